/**
 * Builds @grpc/reflection's ReflectionService for the given services and takes its handlers apart into the
 * codecs server/lazyReflection.ts serves its pass-through methods with.
 */
import type { Server, ServiceDefinition, UntypedServiceImplementation } from "@grpc/grpc-js";
import type { PackageDefinition } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { REFLECTION_METHOD, type ReflectionCodec } from "../server/lazyReflection.js";

/** The codecs by reflection service name (v1 and v1alpha), over `pkg`'s descriptors. */
export function reflectionCodecs(pkg: PackageDefinition, services: string[]): Map<string, ReflectionCodec> {
  const codecs = new Map<string, ReflectionCodec>();
  // addToServer only calls addService; capture what it would register, keyed by service path.
  const capture = {
    addService(def: ServiceDefinition, impl: UntypedServiceImplementation) {
      const m = def[REFLECTION_METHOD]!;
      const service = m.path.split("/")[1]!;
      codecs.set(service, {
        decode: m.requestDeserialize,
        encode: m.responseSerialize,
        handler: impl[REFLECTION_METHOD] as (stream: unknown) => void,
      });
    },
  };
  // Always pass an options object: some @grpc/reflection versions read options.services without a check.
  new ReflectionService(pkg, { services }).addToServer(capture as unknown as Server);
  return codecs;
}
