import type { SetInput } from "../../src/state/store.js";

/** A Set as the state service hands it to the store: no etag, no metadata, default concurrency. */
export function setInput(key: string, value: string, extra: Partial<SetInput> = {}): SetInput {
  return {
    key,
    value: Buffer.from(value),
    etag: null,
    metadata: {},
    concurrency: "unspecified",
    contentType: "",
    ...extra,
  };
}
