/**
 * A client of daprd's state API that records every single-key call as porcupine reads it
 * (test/linearizability/checker/main.go): what was asked, when it was invoked and when it returned, and
 * whether it took effect (ok), certainly did not (fail: 409), or may have (unknown: a 5xx, a timeout, a
 * connection lost after the request was sent).
 *
 * Every written value is unique ("c<client>-<n>"), so a value names the write that made it, and an ETag is
 * remembered with the value it was read with. Keys named "big…" hold values above 64 KiB (several
 * entity properties on Tables): the value repeats its name, so a read that mixes two writes is seen.
 */
import { performance } from "node:perf_hooks";

export type Op = "get" | "set" | "cas" | "create" | "del" | "cdel";

export interface HistoryRecord {
  client: number;
  input: { op: Op; key: string; value?: string; expect?: string };
  output: { result: "ok" | "fail" | "unknown"; found?: boolean; value?: string };
  call: number;
  return: number;
}

export interface Replica {
  name: string;
  http: string;
}

export interface History {
  records: HistoryRecord[];
  /** Answers no correct store gives (a 400 to a well-formed call, say): each fails the test. */
  unexpected: string[];
  /** Reads of a big value that mixed two writes. */
  torn: string[];
  bigReads: number;
  count(): number;
  countSince(from: number): { calls: number; unknown: number; failed: number };
}

export function newHistory(): History {
  const h: History = {
    records: [],
    unexpected: [],
    torn: [],
    bigReads: 0,
    count: () => h.records.length,
    countSince(from) {
      const rs = h.records.slice(from);
      return {
        calls: rs.length,
        unknown: rs.filter((r) => r.output.result === "unknown").length,
        failed: rs.filter((r) => r.output.result === "fail").length,
      };
    },
  };
  return h;
}

const KEYS = ["k0", "k1", "k2", "big0", "big1"];
const KEY_EPOCH_MS = 1_000;
const BIG_BYTES = 70 * 1024;
const CALL_TIMEOUT_MS = 15_000;
const now = () => Math.round(performance.now() * 1000); // µs: one clock for every client in this process

function bodyOf(key: string, id: string): string {
  if (!key.startsWith("big")) return id;
  // At least 70 KiB, and a length that differs per write (so chunk counts differ too).
  const copies = Math.ceil(BIG_BYTES / (id.length + 1)) + (Number(id.split("-")[1] ?? 0) % 7) * 400;
  return `${id}.`.repeat(copies);
}

/** The write a body came from, or undefined when it is a mix of several. */
function idOf(key: string, body: string): string | undefined {
  if (!key.startsWith("big")) return body;
  const parts = body.split(".");
  parts.pop();
  const first = parts[0];
  return first !== undefined && parts.every((p) => p === first) ? first : undefined;
}

interface Known {
  etag: string;
  value: string;
}

interface Answer {
  status: number;
  etag?: string;
  body?: unknown;
}

/** undefined: the request certainly never reached daprd (connection refused); "unknown" otherwise. */
async function send(url: string, init: RequestInit): Promise<Answer | "unknown" | undefined> {
  try {
    const r = await fetch(url, { ...init, signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
    const text = await r.text();
    return {
      status: r.status,
      ...(r.headers.get("etag") !== null && { etag: r.headers.get("etag")! }),
      ...(text !== "" && { body: safeJson(text) }),
    };
  } catch (e) {
    const code =
      e instanceof Error && e.cause instanceof Error && "code" in e.cause ? e.cause.code : undefined;
    return code === "ECONNREFUSED" ? undefined : "unknown";
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export interface ClientOptions {
  history: History;
  replica: Replica;
  client: number;
  keyPrefix: string;
  stop: AbortSignal;
}

/** Calls one replica in a loop, one call at a time, until `stop`; returns when its last call has ended. */
export async function runClient(o: ClientOptions): Promise<void> {
  const known = new Map<string, Known>();
  let n = 0;
  let seed = o.client * 7919 + o.keyPrefix.length;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const started = Date.now();
  while (!o.stop.aborted) {
    // A fresh set of keys every KEY_EPOCH_MS keeps each key's history short: a call with an unknown outcome
    // stays open to the end of its key's history, and the checker's search grows with what overlaps it.
    const epoch = Math.floor((Date.now() - started) / KEY_EPOCH_MS);
    const key = `${o.keyPrefix}-e${epoch}-${KEYS[Math.floor(rand() * KEYS.length)]!}`;
    const id = `c${o.client}-${n++}`;
    const roll = rand();
    const op: Op =
      roll < 0.35
        ? "get"
        : roll < 0.5
          ? "set"
          : roll < 0.7
            ? "cas"
            : roll < 0.8
              ? "create"
              : roll < 0.9
                ? "del"
                : "cdel";
    // Sometimes the ETag of another key: it must never match.
    const foreign = rand() < 0.1;
    const etagKey = foreign ? [...known.keys()].find((k) => k !== key) : key;
    const k = etagKey === undefined ? undefined : known.get(etagKey);
    const ok = await one(o, key, id, op, foreign ? (k ? { etag: k.etag, value: "" } : undefined) : k, known);
    if (!ok) await new Promise((r) => setTimeout(r, 100)); // the replica is down: do not spin
  }
}

async function one(
  o: ClientOptions,
  key: string,
  id: string,
  op: Op,
  k: Known | undefined,
  known: Map<string, Known>,
): Promise<boolean> {
  const base = `${o.replica.http}/v1.0/state/statestore`;
  if (k === undefined && (op === "cas" || op === "cdel")) op = op === "cas" ? "set" : "del";
  const conditional = op === "cas" || op === "cdel";
  const value = bodyOf(key, id);
  const call = now();
  let answer: Answer | "unknown" | undefined;
  switch (op) {
    case "get":
      answer = await send(`${base}/${key}`, { method: "GET" });
      break;
    case "del":
    case "cdel":
      answer = await send(`${base}/${key}`, {
        method: "DELETE",
        headers: op === "cdel" ? { "If-Match": k!.etag } : {},
      });
      break;
    default:
      answer = await send(base, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify([
          {
            key,
            value,
            ...(op === "cas" && { etag: k!.etag }),
            ...(op !== "set" && { options: { concurrency: "first-write" } }),
          },
        ]),
      });
  }
  const ret = now();
  if (answer === undefined) return false;
  const input: HistoryRecord["input"] = {
    op,
    key,
    ...(op !== "get" && op !== "del" && op !== "cdel" && { value: id }),
    ...(conditional && { expect: k!.value }),
  };
  const push = (output: HistoryRecord["output"]) =>
    o.history.records.push({ client: o.client, input, output, call, return: ret });
  // daprd could not even connect to keyless: the call was never sent, so it changed nothing and is left out
  // (recording it as unknown would only widen the checker's search).
  if (
    answer !== "unknown" &&
    answer.status >= 500 &&
    /error while dialing/.test(JSON.stringify(answer.body))
  ) {
    return false;
  }
  if (answer === "unknown" || answer.status >= 500) {
    // A read that failed changed nothing: it is left out.
    if (op !== "get") push({ result: "unknown" });
    return answer !== "unknown";
  }
  if (op === "get") return read(o, key, answer, push, known);
  if (answer.status === 204) push({ result: "ok" });
  else if (answer.status === 409) push({ result: "fail" });
  else
    o.history.unexpected.push(
      `${o.replica.name} ${op} ${key}: ${answer.status} ${JSON.stringify(answer.body)}`,
    );
  return true;
}

function read(
  o: ClientOptions,
  key: string,
  answer: Answer,
  push: (out: HistoryRecord["output"]) => void,
  known: Map<string, Known>,
): boolean {
  if (answer.status === 204) {
    push({ result: "ok", found: false });
    known.delete(key);
    return true;
  }
  if (answer.status !== 200 || typeof answer.body !== "string" || answer.etag === undefined) {
    o.history.unexpected.push(
      `${o.replica.name} get ${key}: ${answer.status} ${JSON.stringify(answer.body)?.slice(0, 200)}`,
    );
    return true;
  }
  if (key.includes("big")) o.history.bigReads++;
  const id = idOf(key, answer.body);
  if (id === undefined) {
    o.history.torn.push(`${o.replica.name} get ${key}: a value made of several writes`);
    push({ result: "ok", found: true, value: "torn" });
    return true;
  }
  push({ result: "ok", found: true, value: id });
  known.set(key, { etag: answer.etag, value: id });
  return true;
}
