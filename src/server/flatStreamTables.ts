/**
 * Keeps per-request objects out of V8's old generation on daprd's HTTP/2 connection.
 *
 * Node's http2 session records its open streams in a Map (by id) and a Set (streams still waiting for an
 * id), and every request adds and removes an entry. When V8 resizes a Map or Set it leaves the old table
 * pointing at the new one (so live iterators can follow). Once one such table has been promoted to the old
 * generation, that dead old table keeps its successor alive through every young collection, the successor
 * is promoted in turn, and so on: every stream recorded in any of those tables, with its whole request
 * (grpc-js call, metadata, buffers), is promoted and lives until the next full collection. Measured through
 * daprd on the 2-core machine, ~15 % of everything a request allocates was promoted this way (~200 MB per
 * 50 000 Gets), costing ~10 µs of collector time per request; a process with a small heap (the no-op floor)
 * rarely starts such a chain, keyless with SQLite, pino and prom-client loaded always did.
 *
 * The session keeps both records in fields of its private state; this module swaps them, as each session
 * is created, for tables over plain arrays, which V8 resizes by copying without links between old and new.
 * Node's http2 code uses only get/set/delete/size/forEach on the first and add/delete/size/forEach on the
 * second. The swap happens only when the session's state has exactly the expected shape (two empty
 * collections); on any other Node it reports why it was skipped and Node's own collections stay in place.
 */
import { EventEmitter } from "node:events";
import { isMap, isSet } from "node:util/types";

export type FlattenResult = { applied: true } | { applied: false; reason: string };

/** Key -> value for the few streams open at once on one connection; resizing copies, never links. */
export class StreamTable<K, V> {
  private readonly keys: K[] = [];
  private readonly values: V[] = [];

  get size(): number {
    return this.keys.length;
  }
  get(key: K): V | undefined {
    const i = this.keys.indexOf(key);
    return i < 0 ? undefined : this.values[i];
  }
  has(key: K): boolean {
    return this.keys.indexOf(key) >= 0;
  }
  set(key: K, value: V): this {
    const i = this.keys.indexOf(key);
    if (i >= 0) this.values[i] = value;
    else {
      this.keys.push(key);
      this.values.push(value);
    }
    return this;
  }
  delete(key: K): boolean {
    const i = this.keys.indexOf(key);
    if (i < 0) return false;
    // Order is not kept: the last entry fills the hole, so a delete never shifts the arrays.
    const last = this.keys.length - 1;
    this.keys[i] = this.keys[last]!;
    this.values[i] = this.values[last]!;
    this.keys.pop();
    this.values.pop();
    return true;
  }
  /** Visits the entries present when called that are still present when reached (callbacks may delete). */
  forEach(fn: (value: V, key: K, table: this) => void): void {
    for (const key of [...this.keys]) {
      const i = this.keys.indexOf(key);
      if (i >= 0) fn(this.values[i]!, key, this);
    }
  }
}

/**
 * The streams not yet given an id (on a server one at most, and only within one turn): a table keyed by the
 * stream itself, which gives a Set's add and a Set's forEach arguments (value, value, set).
 */
export class StreamSet<V> extends StreamTable<V, V> {
  add(value: V): this {
    return this.set(value, value);
  }
}

/**
 * Swaps the stream records of a freshly created http2 server session (call from the server's 'session'
 * event, before any stream exists). Never throws: a shape it does not recognise is left untouched.
 */
export function flattenStreamTables(session: EventEmitter): FlattenResult {
  const stateKey = Object.getOwnPropertySymbols(session).find((s) => s.description === "state");
  const state: unknown = stateKey && Reflect.get(session, stateKey);
  if (typeof state !== "object" || state === null)
    return { applied: false, reason: "the http2 session has no state record" };
  const streams: unknown = Reflect.get(state, "streams");
  const pending: unknown = Reflect.get(state, "pendingStreams");
  if (!isMap(streams) || !isSet(pending))
    return { applied: false, reason: "the http2 session does not keep its streams in a Map and a Set" };
  if (streams.size > 0 || pending.size > 0)
    return { applied: false, reason: "the http2 session already has streams" };
  Reflect.set(state, "streams", new StreamTable());
  Reflect.set(state, "pendingStreams", new StreamSet());
  return { applied: true };
}

/**
 * Runs `create` (which makes grpc-js add an http2 server, e.g. createConnectionInjector) and flattens the
 * stream records of every session that server accepts. grpc-js keeps its http2 servers in a private map;
 * when that map is not where this expects it, `report` hears why and nothing is changed.
 */
export function flattenSessionsOf<T>(
  grpcServer: object,
  create: () => T,
  report: (result: FlattenResult) => void,
): T {
  const servers = () => {
    const known: unknown = Reflect.get(grpcServer, "http2Servers");
    return isMap(known) ? [...known.keys()].filter((k) => k instanceof EventEmitter) : [];
  };
  const before = servers();
  const created = create();
  const added = servers().filter((s) => !before.includes(s));
  if (added.length === 0)
    report({ applied: false, reason: "grpc-js did not record the http2 server it created" });
  for (const h2 of added) h2.on("session", (session: EventEmitter) => report(flattenStreamTables(session)));
  return created;
}
