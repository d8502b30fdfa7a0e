/**
 * The component protos as @grpc/proto-loader defines them, with every message's descriptors: what server
 * reflection serves and what test clients call with. The server itself starts from the lighter service
 * definitions of server/protos.ts.
 */
import { loadSync, type PackageDefinition } from "@grpc/proto-loader";
import { COMPONENT_PROTO_FILES, LOADER_OPTIONS } from "../server/protos.js";

export function loadComponentDefinition(): PackageDefinition {
  return loadSync(COMPONENT_PROTO_FILES, LOADER_OPTIONS);
}
