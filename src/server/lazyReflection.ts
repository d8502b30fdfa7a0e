/**
 * Server reflection (v1 and v1alpha, which daprd uses to discover the services) registered at start-up
 * but built on the first reflection call: @grpc/reflection brings its own proto-loader, parses its .proto
 * files and indexes every descriptor, which cost ~110 ms and ~6 MiB before the socket could be bound.
 *
 * The methods are registered with pass-through (Buffer) serialisation; the first call builds the real
 * ReflectionService, and each stream is handed to its handler with the real encoder and decoder.
 */
import { EventEmitter } from "node:events";
import { status } from "@grpc/grpc-js";
import type {
  Server,
  ServerDuplexStream,
  ServiceDefinition,
  UntypedHandleCall,
  UntypedServiceImplementation,
} from "@grpc/grpc-js";
import type { PackageDefinition } from "@grpc/proto-loader";
import { errors } from "../errors/catalog.js";
import { commonJsExports } from "../util/commonJsExports.js";

const VERSIONS = ["grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"];
const METHOD = "ServerReflectionInfo";

type Codec = {
  decode: (b: Buffer) => unknown;
  encode: (m: unknown) => Buffer;
  handler: (stream: unknown) => void;
};

function rawDefinition(service: string): ServiceDefinition {
  const same = (b: Buffer) => b;
  return {
    [METHOD]: {
      path: `/${service}/${METHOD}`,
      requestStream: true,
      responseStream: true,
      requestSerialize: same,
      requestDeserialize: same,
      responseSerialize: same,
      responseDeserialize: same,
      originalName: METHOD,
    },
  } as ServiceDefinition;
}

async function buildCodecs(
  loadPackage: () => Promise<PackageDefinition>,
  services: string[],
): Promise<Map<string, Codec>> {
  const { ReflectionService } = commonJsExports(await import("@grpc/reflection"));
  const pkg = await loadPackage();
  const codecs = new Map<string, Codec>();
  // addToServer only calls addService; capture what it would register, keyed by service path.
  const capture = {
    addService(def: ServiceDefinition, impl: UntypedServiceImplementation) {
      const m = def[METHOD]!;
      const service = m.path.split("/")[1]!;
      codecs.set(service, {
        decode: m.requestDeserialize,
        encode: m.responseSerialize,
        handler: impl[METHOD] as (stream: unknown) => void,
      });
    },
  };
  // Always pass an options object: some @grpc/reflection versions read options.services without a check.
  new ReflectionService(pkg, { services }).addToServer(capture as unknown as Server);
  return codecs;
}

/**
 * `loadPackage` gives the full package definition (every descriptor); it is called on the first call. If
 * reflection cannot be built, each reflection call ends with INTERNAL and `onFailure` hears why.
 */
export function addLazyReflection(
  server: Server,
  loadPackage: () => Promise<PackageDefinition>,
  services: string[],
  onFailure: (e: unknown) => void = () => undefined,
): void {
  let codecs: Promise<Map<string, Codec>> | undefined;
  for (const service of VERSIONS) {
    const handle = (stream: ServerDuplexStream<Buffer, Buffer>) => {
      const ready = (codecs ??= buildCodecs(loadPackage, services)).then((all) => {
        const codec = all.get(service)!;
        // The library's handler reads 'data' and 'end' and calls write and end, on decoded messages.
        const inner = Object.assign(new EventEmitter(), {
          write: (m: unknown) => stream.write(codec.encode(m)),
          end: () => stream.end(),
        });
        codec.handler(inner);
        return { inner, codec };
      });
      // Requests keep their order: each step chains on the previous one, in arrival order. A failure to
      // build reflection ends this stream with a status; it never becomes an unhandled rejection.
      let failed = false;
      const fail = (e: unknown) => {
        if (failed) return;
        failed = true;
        onFailure(e);
        // grpc-js sends a stream's error status from its 'error' event; destroy() would close the stream
        // without one and leave the caller (daprd's discovery) waiting.
        stream.emit("error", { code: status.INTERNAL, details: errors.reflectionUnavailable().message });
      };
      let tail: Promise<unknown> = ready.catch(fail);
      const then = (step: (r: Awaited<typeof ready>) => void) => {
        tail = tail.then(() => ready.then(step)).catch(fail);
      };
      stream.on("data", (raw: Buffer) => then(({ inner, codec }) => inner.emit("data", codec.decode(raw))));
      stream.on("end", () => then(({ inner }) => inner.emit("end")));
    };
    server.addService(rawDefinition(service), { [METHOD]: handle as UntypedHandleCall });
  }
}
