/**
 * The state backends the end-to-end and conformance suites run against through daprd:
 * SQLite (components/statestore.yaml), Azure Tables on Azurite with a managed identity from the stand-in,
 * and Azure Tables with a connection string resolved through secretKeyRef from a keyless secret store.
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { makeIdentity, startIdentityStandIn } from "../../dev/identityStandIn.js";
import { startTestAzurite } from "../helpers/azurite.js";
import { makeTmpDir } from "../helpers/tmp.js";
import { componentYaml, type MetadataValue } from "../helpers/componentYaml.js";

export interface StateBackendEnv {
  components: string[];
  extra: Record<string, string>;
  keylessEnv: Record<string, string>;
  /** A well-formed etag this backend could issue but that matches nothing stored (the conformance "BadEtag"). */
  wrongEtag: string;
  stop(): Promise<void>;
}

export const SQLITE_WRONG_ETAG = "0000000000000000000000000000dead";
export const TABLES_WRONG_ETAG = Buffer.from(`W/"datetime'2001-01-01T00%3A00%3A00.0000000Z'"`).toString(
  "base64url",
);

export type StateBackendSetup = (storeNames: string[]) => Promise<StateBackendEnv>;

const yaml = (name: string, meta: [string, MetadataValue][], secretStore?: string) =>
  componentYaml(name, "state.keyless", meta, secretStore ? { secretStore } : {});

const tableName = (store: string) =>
  `t${store.replace(/[^A-Za-z0-9]/g, "")}${randomBytes(4).toString("hex")}`;

export const STATE_BACKENDS: [string, StateBackendSetup][] = [
  [
    "sqlite",
    async (names) => ({
      components: ["statestore.yaml"],
      extra: Object.fromEntries(
        names
          .filter((n) => n !== "statestore")
          .map((n) => [`${n}.yaml`, yaml(n, [["ttlCleanupInterval", "1s"]])]),
      ),
      keylessEnv: {},
      wrongEtag: SQLITE_WRONG_ETAG,
      stop: async () => undefined,
    }),
  ],
  [
    "tables (managed identity)",
    async (names) => {
      const id = makeIdentity("state-e2e");
      const mi = await startIdentityStandIn({ identities: [id] });
      const azurite = await startTestAzurite();
      return {
        components: [],
        extra: Object.fromEntries(
          names.map((n) => [
            `${n}.yaml`,
            yaml(n, [
              ["backend", "tables"],
              ["tableEndpoint", azurite.tableUrl],
              ["tableName", tableName(n)],
              ["azureClientId", id.clientId],
              ["ttlCleanupInterval", "1s"],
            ]),
          ]),
        ),
        keylessEnv: mi.env(),
        wrongEtag: TABLES_WRONG_ETAG,
        stop: async () => {
          await azurite.stop();
          await mi.close();
        },
      };
    },
  ],
  [
    "tables (connection string via secretKeyRef)",
    async (names) => {
      const azurite = await startTestAzurite();
      const tmp = makeTmpDir("cs");
      const secrets = path.join(tmp.dir, "secrets.json");
      writeFileSync(
        secrets,
        JSON.stringify({
          "tables-connection": azurite.connectionString,
        }),
      );
      return {
        components: [],
        extra: {
          "state-secrets.yaml": [
            "apiVersion: dapr.io/v1alpha1",
            "kind: Component",
            "metadata:",
            "  name: state-secrets",
            "spec:",
            "  type: secretstores.keyless",
            "  version: v1",
            "  metadata:",
            "    - name: secretsFile",
            `      value: ${JSON.stringify(secrets)}`,
          ].join("\n"),
          ...Object.fromEntries(
            names.map((n) => [
              `${n}.yaml`,
              yaml(
                n,
                [
                  ["backend", "tables"],
                  ["connectionString", { secretKeyRef: "tables-connection" }],
                  ["tableName", tableName(n)],
                  ["ttlCleanupInterval", "1s"],
                ],
                "state-secrets",
              ),
            ]),
          ),
        },
        keylessEnv: {},
        wrongEtag: TABLES_WRONG_ETAG,
        stop: async () => {
          await azurite.stop();
          tmp.cleanup();
        },
      };
    },
  ],
];
