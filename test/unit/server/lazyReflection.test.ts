/** Lazy server reflection over a real grpc-js server on a Unix socket, read by a real reflection client. */
import { Server, status } from "@grpc/grpc-js";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { addLazyReflection } from "../../../src/server/lazyReflection.js";
import { listenLabelled } from "../../../src/server/listener.js";
import { loadComponentDefinition } from "../../../src/runtime/componentDefinition.js";
import { reflectionCodecs } from "../../../src/runtime/reflectionCodecs.js";
import { listServices } from "../../helpers/reflection.js";
import { makeTmpDir } from "../../helpers/tmp.js";

const STATE = "dapr.proto.components.v1.StateStore";

async function withServer(
  loadCodecs: () => Promise<ReturnType<typeof reflectionCodecs>>,
  run: (socket: string, failures: unknown[]) => Promise<void>,
) {
  const tmp = makeTmpDir("refl");
  const socket = path.join(tmp.dir, "r.sock");
  const server = new Server();
  const failures: unknown[] = [];
  addLazyReflection(server, loadCodecs, (e) => failures.push(e));
  const listener = await listenLabelled(server, socket, {}, 0o600);
  try {
    await run(socket, failures);
  } finally {
    server.forceShutdown();
    await listener.close();
    tmp.cleanup();
  }
}

describe("lazy server reflection", () => {
  it("lists the given services over v1alpha and v1, building them on the first call", async () => {
    let loads = 0;
    const load = async () => (loads++, reflectionCodecs(loadComponentDefinition(), [STATE]));
    await withServer(load, async (socket) => {
      expect(loads).toBe(0);
      expect(await listServices(socket, "v1alpha")).toEqual([STATE]);
      expect(await listServices(socket, "v1")).toEqual([STATE]);
      expect(loads).toBe(1);
    });
  });

  it("answers INTERNAL, and reports why once per call, when reflection cannot be built", async () => {
    const broken = new Error("proto files missing");
    await withServer(
      () => Promise.reject(broken),
      async (socket, failures) => {
        for (const version of ["v1alpha", "v1"] as const) {
          const err = await listServices(socket, version).catch((e: unknown) => e);
          expect(err).toMatchObject({
            code: status.INTERNAL,
            details: expect.stringContaining("daprd cannot discover its services"),
          });
        }
        expect(failures).toEqual([broken, broken]);
      },
    );
  });
});
