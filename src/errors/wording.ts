/**
 * What the wording of every area (errors/secrets.ts, state.ts, identity.ts, instances.ts, server.ts) shares:
 * how an operator-given name is quoted in a message, the fix of a metadata mistake, and the shape in which
 * a classifier beside its caller hands a failure to the wording.
 */

/** A name from the caller, quoted and cut short, so a message stays one readable line whatever it holds. */
export const quote = (s: string, max = 120): string =>
  JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);

export const FIX_METADATA = "correct the component metadata as the message says";

/**
 * A failure as a classifier beside its caller decided it: the reason, which the area's wording turns into a
 * message and a fix, and whether it may pass by itself and how long to wait, which the wording never decides.
 */
export interface ClassifiedFailure<R> {
  why: R;
  transient: boolean;
  retryAfterMs?: number;
}
