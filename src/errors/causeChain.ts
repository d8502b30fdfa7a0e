/**
 * An error and what it wraps: its `cause` chain and the first members of an AggregateError, breadth first,
 * bounded and cycle-safe. The one walker for every reader of wrapped failures (the Azure failure facts, the
 * doctor's fix hints, Entra's refusal numbers), so they all see the same errors.
 */
const MAX_DEPTH = 8;
const AGGREGATE_MEMBERS = 2;

/** A property of an unknown value, read without asserting its type. */
function prop(o: unknown, k: string): unknown {
  return typeof o === "object" && o !== null ? Reflect.get(o, k) : undefined;
}

export function causeChain(e: unknown): unknown[] {
  const out: unknown[] = [];
  const queue: unknown[] = [e];
  while (queue.length > 0 && out.length < MAX_DEPTH) {
    const cur = queue.shift();
    if (cur === undefined || cur === null || out.includes(cur)) continue;
    out.push(cur);
    const inner = prop(cur, "errors");
    if (Array.isArray(inner)) queue.push(...inner.slice(0, AGGREGATE_MEMBERS));
    queue.push(prop(cur, "cause"));
  }
  return out;
}
