/**
 * `keyless serve --then daprd ...` (the Container Apps start-up): keyless binds its socket, then runs the real
 * daprd as its child, which therefore always finds the component at its one scan; signals go to daprd first,
 * daprd's exit code becomes keyless's, and daprd's log stays apart from keyless's JSON log.
 */
import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { componentYaml } from "../helpers/componentYaml.js";
import { writeResources } from "../helpers/daprd.js";
import { daprdPath, KEYLESS_MAIN, REPO_ROOT } from "../helpers/paths.js";
import { freePort } from "../helpers/ports.js";
import { makeTmpDir } from "../helpers/tmp.js";
import { waitFor } from "../helpers/wait.js";

function startSupervised(dir: string, thenArgs: string[]) {
  const proc = spawn(process.execPath, [KEYLESS_MAIN, "serve", "--then", ...thenArgs], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      // The injector's name only: daprd must still be told keyless's folder.
      DAPR_COMPONENT_SOCKETS_FOLDER: path.join(dir, "sock"),
      KEYLESS_DATA_DIR: path.join(dir, "data"),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  proc.stdout!.on("data", (c: Buffer) => stdout.push(...c.toString("utf8").split("\n").filter(Boolean)));
  proc.stderr!.on("data", (c: Buffer) => stderr.push(...c.toString("utf8").split("\n").filter(Boolean)));
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  return { proc, stdout, stderr, exited };
}

describe("keyless serve --then daprd", () => {
  it("starts daprd after the socket is bound, serves through it, and stops both on SIGTERM", async () => {
    const tmp = makeTmpDir("sup");
    const resources = writeResources(path.join(tmp.dir, "resources"), [], {
      "state.yaml": componentYaml("statestore", "state.keyless", {}),
    });
    const [http, grpc, metrics, internal] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const run = startSupervised(tmp.dir, [
      daprdPath(),
      "--app-id",
      "sup",
      "--resources-path",
      resources,
      "--dapr-http-port",
      String(http),
      "--dapr-grpc-port",
      String(grpc),
      "--metrics-port",
      String(metrics),
      "--dapr-internal-grpc-port",
      String(internal),
      "--dapr-listen-addresses",
      "127.0.0.1",
    ]);
    const base = `http://127.0.0.1:${http}/v1.0`;
    await waitFor(
      "daprd under keyless to report healthy",
      async () => {
        if (run.proc.exitCode !== null)
          throw new Error(`exited: ${[...run.stdout, ...run.stderr].join("\n")}`);
        const r = await fetch(`${base}/healthz/outbound`).catch(() => undefined);
        return r?.status === 204 ? true : undefined;
      },
      { timeoutMs: 30_000 },
    );
    const saved = await fetch(`${base}/state/statestore`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([{ key: "k", value: "through the supervised daprd" }]),
    });
    expect(saved.status).toBe(204);
    expect(await (await fetch(`${base}/state/statestore/k`)).json()).toBe("through the supervised daprd");

    // daprd's lines are labelled on stderr; keyless's stdout stays JSON only.
    expect(run.stderr.some((l) => l.startsWith("daprd | "))).toBe(true);
    for (const l of run.stdout) expect(() => JSON.parse(l) as unknown).not.toThrow();
    expect(run.stdout.join("\n")).toContain("started daprd now that the socket is bound");

    run.proc.kill("SIGTERM");
    expect(await run.exited).toBe(0);
    expect(run.stdout.join("\n")).toContain("daprd stopped");
    expect(run.stderr.join("\n")).toMatch(/daprd \| .*(shutting down|Daprd shutdown|stop)/i);
    expect(existsSync(path.join(tmp.dir, "sock", "keyless.sock"))).toBe(false);
    tmp.cleanup();
  }, 60_000);

  it("exits with the child's exit code when the child stops by itself, and removes the socket", async () => {
    const tmp = makeTmpDir("sup");
    const run = startSupervised(tmp.dir, [
      "sh",
      "-c",
      'test -S "$DAPR_COMPONENTS_SOCKETS_FOLDER/keyless.sock"; exit 3',
    ]);
    // exit 3 (not 1 from `test`) proves the child saw the bound socket in the folder it was told.
    expect(await run.exited).toBe(3);
    expect(run.stdout.join("\n")).toContain("sh exited with 3; keyless stops too");
    expect(existsSync(path.join(tmp.dir, "sock", "keyless.sock"))).toBe(false);
    tmp.cleanup();
  }, 30_000);

  it("reports a command that cannot start with the shell's 127", async () => {
    const tmp = makeTmpDir("sup");
    const run = startSupervised(tmp.dir, [path.join(tmp.dir, "no-such-daprd")]);
    expect(await run.exited).toBe(127);
    expect(run.stderr.join("\n")).toContain("no-such-daprd | cannot start");
    tmp.cleanup();
  }, 30_000);

  it("reports a killed child as 128 + the signal", async () => {
    const tmp = makeTmpDir("sup");
    const run = startSupervised(tmp.dir, ["sh", "-c", "kill -KILL $$"]);
    expect(await run.exited).toBe(137);
    tmp.cleanup();
  }, 30_000);
});
