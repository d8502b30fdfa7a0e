/**
 * Loads the .proto files in proto/ once: grpc-js service definitions (with the options the type generator
 * used) and a protobufjs root for the google.rpc error details.
 *
 * The server starts with `loadServiceDefinitions`: the services only, built from protobufjs types the way
 * @grpc/proto-loader builds them, without the descriptors of every message that only server reflection
 * reads. Reflection loads the full definition through proto-loader on its first call
 * (runtime/componentDefinition.ts).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ServiceDefinition } from "@grpc/grpc-js";
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

/** The options the type generator used, for proto-loader and for the definitions built here alike. */
export const LOADER_OPTIONS = { ...loaderOptions, longs: Number, enums: String, includeDirs: [PROTO_DIR] };

/** The component services only, by fully qualified name; encoding as proto-loader's definitions encode. */
export function loadServiceDefinitions(): Record<string, ServiceDefinition> {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) =>
    target.startsWith("google/protobuf/") ? target : path.join(PROTO_DIR, target);
  root.loadSync(COMPONENT_PROTO_FILES, { keepCase: loaderOptions.keepCase === true });
  root.resolveAll();
  const defs: Record<string, ServiceDefinition> = {};
  const visit = (ns: protobuf.NamespaceBase) => {
    for (const obj of ns.nestedArray) {
      if (obj instanceof protobuf.Service) defs[obj.fullName.slice(1)] = serviceDefinition(obj);
      else if (obj instanceof protobuf.Namespace || obj instanceof protobuf.Type) visit(obj);
    }
  };
  visit(root);
  return defs;
}

function serviceDefinition(service: protobuf.Service): ServiceDefinition {
  const name = service.fullName.slice(1);
  const def: Record<string, ServiceDefinition[string]> = {};
  for (const m of service.methodsArray) {
    const req = m.resolvedRequestType!;
    const res = m.resolvedResponseType!;
    def[m.name] = {
      path: `/${name}/${m.name}`,
      requestStream: !!m.requestStream,
      responseStream: !!m.responseStream,
      requestSerialize: serializer(req),
      requestDeserialize: deserializer(req),
      responseSerialize: serializer(res),
      responseDeserialize: deserializer(res),
      originalName: m.name.charAt(0).toLowerCase() + m.name.slice(1),
    };
  }
  return def as ServiceDefinition;
}

function serializer(type: protobuf.Type) {
  return (value: Record<string, unknown>): Buffer => {
    if (Array.isArray(value)) {
      throw new Error(
        `Failed to serialize message: expected object with ${type.name} structure, got array instead`,
      );
    }
    const out = type.encode(type.fromObject(value)).finish();
    return Buffer.isBuffer(out) ? out : Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  };
}

function deserializer(type: protobuf.Type) {
  return (buf: Buffer): unknown => type.toObject(type.decode(buf), LOADER_OPTIONS);
}

export function loadStatusRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) =>
    target.startsWith("google/protobuf/") ? target : path.join(PROTO_DIR, target);
  root.loadSync("google/rpc/status.proto", { keepCase: false });
  return root;
}
