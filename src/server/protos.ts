/**
 * Loads the .proto files in proto/ once: grpc-js service definitions (through @grpc/proto-loader,
 * with the options the type generator used) and a protobufjs root for the google.rpc error details.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as protoLoader from "@grpc/proto-loader";
import protobuf from "protobufjs";

function findProtoDir(): string {
  // Works from src/ (tests, tsx) and from dist/src/ (the built server).
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, "proto");
    try {
      readFileSync(path.join(candidate, "loader-options.json"));
      return candidate;
    } catch {
      dir = path.dirname(dir);
    }
  }
  throw new Error("keyless: cannot find the proto/ folder next to the installed package");
}

export const PROTO_DIR = findProtoDir();

const loaderOptions = JSON.parse(readFileSync(path.join(PROTO_DIR, "loader-options.json"), "utf8")) as Record<
  string,
  unknown
>;

export const COMPONENT_PROTO_FILES = [
  "dapr/proto/components/v1/common.proto",
  "dapr/proto/components/v1/secretstore.proto",
  "dapr/proto/components/v1/state.proto",
];

export function loadComponentDefinition(): protoLoader.PackageDefinition {
  return protoLoader.loadSync(COMPONENT_PROTO_FILES, {
    ...loaderOptions,
    longs: Number,
    enums: String,
    includeDirs: [PROTO_DIR],
  });
}

export function loadStatusRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) =>
    target.startsWith("google/protobuf/") ? target : path.join(PROTO_DIR, target);
  root.loadSync("google/rpc/status.proto", { keepCase: false });
  return root;
}
