/** Lists services over gRPC reflection v1alpha, exactly as daprd's discovery does (one list_services "*"). */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);

export function listServices(socket: string, version: "v1alpha" | "v1" = "v1alpha"): Promise<string[]> {
  const protoRoot = path.join(path.dirname(require.resolve("@grpc/reflection/package.json")), "build/proto");
  const def = protoLoader.loadSync(`grpc/reflection/${version}/reflection.proto`, {
    includeDirs: [protoRoot],
  });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    grpc: { reflection: Record<string, { ServerReflection: grpc.ServiceClientConstructor }> };
  };
  const client = new pkg.grpc.reflection[version]!.ServerReflection(
    `unix:${socket}`,
    grpc.credentials.createInsecure(),
  );
  return new Promise((resolve, reject) => {
    const stream = (
      client as unknown as { ServerReflectionInfo(): grpc.ClientDuplexStream<unknown, unknown> }
    ).ServerReflectionInfo();
    stream.on("data", (res: { listServicesResponse?: { service: { name: string }[] } }) => {
      resolve((res.listServicesResponse?.service ?? []).map((s) => s.name).sort());
      stream.cancel();
      client.close();
    });
    stream.on("error", (e: grpc.ServiceError) => {
      if (e.code !== grpc.status.CANCELLED) reject(e);
    });
    stream.write({ host: "", listServices: "*" });
    stream.end();
  });
}
