/**
 * Server reflection (v1 and v1alpha, which daprd uses to discover the services) registered at start-up
 * but built on the first reflection call: @grpc/reflection brings its own proto-loader, parses its .proto
 * files and indexes every descriptor, which would cost ~55 ms and ~9 MiB before the socket could be bound
 * (docs/performance.md, Start-up).
 *
 * The methods are registered with pass-through (Buffer) serialisation; the first call builds the real
 * ReflectionService behind loadRuntime(), and each stream is handed to its handler with the real encoder
 * and decoder.
 */
import { EventEmitter } from "node:events";
import { status } from "@grpc/grpc-js";
import type { Server, ServerDuplexStream, ServiceDefinition, UntypedHandleCall } from "@grpc/grpc-js";
import { errors } from "../errors/catalog.js";

const VERSIONS = ["grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"];
export const REFLECTION_METHOD = "ServerReflectionInfo";

/** One reflection version's encoder, decoder and the library's handler (runtime/reflectionCodecs.ts). */
export type ReflectionCodec = {
  decode: (b: Buffer) => unknown;
  encode: (m: unknown) => Buffer;
  handler: (stream: unknown) => void;
};

function rawDefinition(service: string): ServiceDefinition {
  const same = (b: Buffer) => b;
  return {
    [REFLECTION_METHOD]: {
      path: `/${service}/${REFLECTION_METHOD}`,
      requestStream: true,
      responseStream: true,
      requestSerialize: same,
      requestDeserialize: same,
      responseSerialize: same,
      responseDeserialize: same,
      originalName: REFLECTION_METHOD,
    },
  } as ServiceDefinition;
}

/**
 * `loadCodecs` builds the codecs of both versions (runtime/reflectionCodecs.ts, behind loadRuntime()); it
 * is called on the first call. If reflection cannot be built, each reflection call ends with INTERNAL and
 * `onFailure` hears why.
 */
export function addLazyReflection(
  server: Server,
  loadCodecs: () => Promise<ReadonlyMap<string, ReflectionCodec>>,
  onFailure: (e: unknown) => void = () => undefined,
): void {
  let codecs: Promise<ReadonlyMap<string, ReflectionCodec>> | undefined;
  for (const service of VERSIONS) {
    const handle = (stream: ServerDuplexStream<Buffer, Buffer>) => {
      const ready = (codecs ??= loadCodecs()).then((all) => {
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
    server.addService(rawDefinition(service), { [REFLECTION_METHOD]: handle as UntypedHandleCall });
  }
}
