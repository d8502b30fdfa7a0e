import { describe, expect, it } from "vitest";
import { socketFolder } from "../../../src/server/socketFolder.js";
import { socketPath } from "../../../src/server/socket.js";

describe("socket folder", () => {
  it("uses daprd's DAPR_COMPONENTS_SOCKETS_FOLDER", () => {
    expect(socketFolder({ DAPR_COMPONENTS_SOCKETS_FOLDER: "/run/a" })).toBe("/run/a");
  });

  it("uses the injector's DAPR_COMPONENT_SOCKETS_FOLDER when it is the only one set", () => {
    expect(socketPath({ DAPR_COMPONENT_SOCKETS_FOLDER: "/run/injected" }, "keyless")).toBe(
      "/run/injected/keyless.sock",
    );
  });

  it("accepts both when they name the same folder", () => {
    expect(
      socketFolder({ DAPR_COMPONENTS_SOCKETS_FOLDER: "/run/s", DAPR_COMPONENT_SOCKETS_FOLDER: "/run/s" }),
    ).toBe("/run/s");
  });

  it("refuses both when they differ, naming both variables and folders", () => {
    const env = { DAPR_COMPONENTS_SOCKETS_FOLDER: "/run/a", DAPR_COMPONENT_SOCKETS_FOLDER: "/run/b" };
    expect(() => socketPath(env, "keyless")).toThrow(
      /DAPR_COMPONENTS_SOCKETS_FOLDER=\/run\/a and DAPR_COMPONENT_SOCKETS_FOLDER=\/run\/b name different/,
    );
  });

  it("refuses an empty injector variable as it does an empty daprd one", () => {
    expect(() => socketFolder({ DAPR_COMPONENT_SOCKETS_FOLDER: " " })).toThrow(
      /DAPR_COMPONENT_SOCKETS_FOLDER is set but empty/,
    );
  });

  it("defaults to daprd's default folder", () => {
    expect(socketFolder({})).toBe("/tmp/dapr-components-sockets");
  });
});
