/**
 * Not-ready reasons that long-running parts of keyless (rotation queue readers) post and clear; /readyz
 * lists them. Reasons are catalog messages: names and codes, never values.
 */
export class HealthBoard {
  private readonly problems = new Map<string, string>();

  /** Sets (or, with undefined, clears) the problem of `part`. */
  set(part: string, reason: string | undefined): void {
    if (reason === undefined) this.problems.delete(part);
    else this.problems.set(part, reason);
  }

  reasons(): string[] {
    return [...this.problems.values()];
  }
}
