// Generates TypeScript types for the protos into src/gen/ (ignored by git, never edited by hand).
// Uses @grpc/proto-loader's generator: pure JavaScript, installed from npm, no network at run time.
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const bin = require.resolve("@grpc/proto-loader/build/bin/proto-loader-gen-types.js");
const opts = JSON.parse(readFileSync(path.join(root, "proto/loader-options.json"), "utf8"));
const files = [
  "dapr/proto/components/v1/common.proto",
  "dapr/proto/components/v1/secretstore.proto",
  "dapr/proto/components/v1/state.proto",
  "google/rpc/status.proto",
];
const out = path.join(root, "src/gen");
rmSync(out, { recursive: true, force: true });
const args = [
  bin,
  `--longs=${opts.longs}`,
  `--enums=${opts.enums}`,
  ...(opts.defaults ? ["--defaults"] : []),
  ...(opts.oneofs ? ["--oneofs"] : []),
  "--grpcLib=@grpc/grpc-js",
  "-I",
  path.join(root, "proto"),
  "-O",
  out,
  ...files,
];
const r = spawnSync(process.execPath, args, { stdio: "inherit" });
if (r.status !== 0) {
  console.error("proto type generation failed");
  process.exit(r.status ?? 1);
}
