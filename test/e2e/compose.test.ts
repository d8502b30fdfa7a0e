/** docker-compose.yml is valid for Docker Compose v2 (checked with `docker compose config`, no engine needed). */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { REPO_ROOT } from "../helpers/paths.js";

const compose = process.env.KEYLESS_COMPOSE;

describe("docker-compose.yml", () => {
  it.skipIf(!compose)("is accepted by docker compose config, with the services the README describes", () => {
    const [cmd, args] =
      compose === "docker-compose-plugin" ? ["docker", ["compose"]] : [compose!, [] as string[]];
    const r = spawnSync(
      cmd,
      [...args, "-f", path.join(REPO_ROOT, "docker-compose.yml"), "config", "--format", "json"],
      {
        encoding: "utf8",
        cwd: REPO_ROOT,
      },
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const cfg = JSON.parse(r.stdout) as {
      services: Record<
        string,
        { depends_on?: Record<string, { condition: string }>; volumes?: { target: string }[] }
      >;
    };
    expect(Object.keys(cfg.services).sort()).toEqual([
      "azurite",
      "daprd",
      "keyless",
      "queuereader",
      "standins",
    ]);
    expect(cfg.services.daprd!.depends_on?.keyless?.condition).toBe("service_healthy");
    const socketMounts = (s: string) =>
      cfg.services[s]!.volumes?.filter((v) => v.target === "/var/run/dapr-sockets").length;
    expect(socketMounts("daprd")).toBe(1);
    expect(socketMounts("keyless")).toBe(1);
  });
});
