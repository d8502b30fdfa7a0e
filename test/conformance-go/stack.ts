/**
 * What the Go conformance suite runs against: Azurite (HTTPS), the managed-identity and Key Vault
 * stand-ins (24-hour tokens, as real managed identities issue), and one built keyless process serving
 * every profile's instance on one socket. Each profile is what a component YAML would say.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startTestAzurite } from "../helpers/azurite.js";
import { startKeyless, type KeylessProcess } from "../helpers/keyless.js";
import { makeIdentity, startStandIns } from "../helpers/standins.js";
import { makeTmpDir } from "../helpers/tmp.js";
import { SQLITE_WRONG_ETAG, TABLES_WRONG_ETAG } from "../e2e/stateBackends.js";

export interface StateProfile {
  name: string;
  instance: string;
  properties: Record<string, string>;
  operations: string[];
  /** A well-formed etag of this backend that matches nothing stored. */
  badEtag: string;
  /** "rpc": BulkSet/BulkDelete as daprd sends them (one call). "per-item": one call per item. */
  bulk: "rpc" | "per-item";
}

export interface SecretStoreProfile {
  name: string;
  instance: string;
  properties: Record<string, string>;
}

export interface ConformanceConfig {
  socket: string;
  state: StateProfile[];
  secretstores: SecretStoreProfile[];
}

export interface ConformanceStack {
  config: ConformanceConfig;
  keyless: KeylessProcess;
  stop(): Promise<void>;
}

/** keyless's state features, as components-contrib's tests.yml names them (no query, no keyslike: no RPC). */
const STATE_OPERATIONS = ["transaction", "etag", "first-write", "ttl", "actorStateStore"];
/** The values the secret store suite asks for (it sets them in its own environment, which keyless cannot see). */
const SUITE_SECRETS = { conftestsecret: "abcd", secondsecret: "efgh" };
const ENV_PREFIX = "KEYLESS_CONFORMANCE_";

const say = (m: string) => process.stderr.write(`[conformance-go] ${m}\n`);

export async function startConformanceStack(): Promise<ConformanceStack> {
  const tmp = makeTmpDir("cgo");
  const closers: (() => Promise<void> | void)[] = [() => tmp.cleanup()];
  const stop = async () => {
    for (const close of closers.reverse()) await close();
  };
  try {
    say("starting Azurite (HTTPS) and the identity and Key Vault stand-ins");
    const azurite = await startTestAzurite();
    closers.push(() => azurite.stop());
    const id = makeIdentity("keyless-conformance");
    const standIns = await startStandIns({
      identities: [id],
      secrets: Object.entries(SUITE_SECRETS).map(([name, value]) => ({ name, value })),
      access: { [id.objectId]: "*" },
      tokenLifetimeSeconds: 24 * 3600,
    });
    closers.push(() => standIns.close());

    const secretsDir = path.join(tmp.dir, "containerapp");
    mkdirSync(secretsDir);
    for (const [name, value] of Object.entries(SUITE_SECRETS))
      writeFileSync(path.join(secretsDir, name), value);
    const secretsFile = path.join(tmp.dir, "secrets.json");
    writeFileSync(secretsFile, JSON.stringify(SUITE_SECRETS));

    say("starting keyless (node dist/src/main.js serve)");
    const keyless = await startKeyless({
      socketDir: path.join(tmp.dir, "sockets"),
      dataDir: path.join(tmp.dir, "data"),
      env: {
        ...standIns.identity.env(),
        ...Object.fromEntries(Object.entries(SUITE_SECRETS).map(([k, v]) => [ENV_PREFIX + k, v])),
      },
    });
    closers.push(async () => void (await keyless.stop()));

    const sqlite = (bulk: StateProfile["bulk"]): StateProfile => ({
      name: bulk === "rpc" ? "sqlite" : "sqlite-bulk-per-item",
      instance: `conf-sqlite-${bulk}`,
      properties: { path: path.join(tmp.dir, `state-${bulk}.db`) },
      operations: STATE_OPERATIONS,
      badEtag: SQLITE_WRONG_ETAG,
      bulk,
    });
    const tables = (bulk: StateProfile["bulk"]): StateProfile => ({
      name: bulk === "rpc" ? "tables-azurite" : "tables-azurite-bulk-per-item",
      instance: `conf-tables-${bulk}`,
      properties: {
        backend: "tables",
        tableEndpoint: azurite.tableUrl,
        tableName: bulk === "rpc" ? "conformance" : "conformanceperitem",
        azureClientId: id.clientId,
      },
      operations: STATE_OPERATIONS,
      badEtag: TABLES_WRONG_ETAG,
      bulk,
    });
    const secretStore = (name: string, properties: Record<string, string>): SecretStoreProfile => ({
      name,
      instance: `conf-secrets-${name}`,
      properties,
    });
    const config: ConformanceConfig = {
      socket: keyless.socket,
      state: [sqlite("rpc"), sqlite("per-item"), tables("rpc"), tables("per-item")],
      secretstores: [
        secretStore("file", { secretsFile }),
        secretStore("env", { envPrefix: ENV_PREFIX }),
        secretStore("containerapp", { secretsMountPath: secretsDir }),
        secretStore("keyvault", { vaultUri: standIns.vault.url, azureClientId: id.clientId }),
      ],
    };
    return { config, keyless, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
