/** Small helpers for daprd's HTTP API, returning status, headers and parsed body. */
import { recordOutput } from "./suiteRecord.js";

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export async function call(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const r = await fetch(url, {
    method,
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await r.text();
  // Error answers are scanned for credentials with the rest of the suite's output.
  if (r.status >= 400) recordOutput("answers", [text]);
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: r.headers, text, json } as HttpResult;
}

export function stateApi(http: string, store: string) {
  const base = `${http}/v1.0/state/${store}`;
  return {
    save: (items: unknown[], query = "") => call("POST", `${base}${query}`, items),
    get: (key: string) => call("GET", `${base}/${encodeURIComponent(key)}`),
    del: (key: string, etag?: string) =>
      call(
        "DELETE",
        `${base}/${encodeURIComponent(key)}`,
        undefined,
        etag === undefined ? {} : { "If-Match": etag },
      ),
    bulk: (keys: string[]) => call("POST", `${base}/bulk`, { keys }),
    transact: (operations: unknown[]) => call("POST", `${base}/transaction`, { operations }),
  };
}
