/**
 * `keyless doctor`: for each keyless component in the given YAMLs, which credential would be used,
 * whether a token can be had, whether the vault / table is reachable and the identity may use it, and
 * whether every secretKeyRef into a keyless secret store resolves, each failure with its fix.
 * It only reads: no secrets are printed, no table is created.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { pino } from "pino";
import type { BuildContext } from "../components/kind.js";
import { isKeylessError } from "../errors/keylessError.js";
import { CredentialPool } from "../identity/credentialPool.js";
import { describeIdentity, identityFromMetadata, type IdentitySpec } from "../identity/identitySpec.js";
import { parseSecretMetadata, type SecretMetadata } from "../metadata/secretMetadata.js";
import { parseStateMetadata, type StateMetadata } from "../metadata/stateMetadata.js";
import { secretStoreKind } from "../secrets/component.js";
import { createKeyVaultSource, KEY_VAULT_SCOPE } from "../secrets/sources/keyvault.js";
import { createFileSource } from "../secrets/sources/file.js";
import type { SecretStore } from "../secrets/store.js";
import { openTablesBackend } from "../state/backends/tables.js";
import { loadComponents, type ComponentDoc } from "./loadComponents.js";
import type { Check, ComponentReport, DoctorReport } from "./report.js";

const ENV_NAMES = [
  "IDENTITY_ENDPOINT",
  "IDENTITY_HEADER",
  "MSI_ENDPOINT",
  "AZURE_CLIENT_ID",
  "AZURE_TENANT_ID",
  "AZURE_FEDERATED_TOKEN_FILE",
  "AZURE_POD_IDENTITY_AUTHORITY_HOST",
  "DAPR_COMPONENTS_SOCKETS_FOLDER",
  "NODE_EXTRA_CA_CERTS",
];
const STORAGE_SCOPE = "https://storage.azure.com/.default";
const SECRET_TYPE = "secretstores.keyless";
const STATE_TYPE = "state.keyless";

export interface DoctorOptions {
  paths: string[];
  baseDir: string;
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

function fixForIdentity(code: string, spec: IdentitySpec): string {
  const id = spec.kind === "managed" && spec.by !== "system" ? spec.id : undefined;
  if (code === "IDENTITY_UNKNOWN") {
    return id
      ? `check that ${id} is the identity's ${spec.kind === "managed" ? spec.by : "id"} (az identity show -n <name> -g <group> --query clientId) and that the identity is assigned to this app (az containerapp identity assign --user-assigned <resource id>)`
      : "enable the system-assigned identity of this app (az containerapp identity assign --system-assigned), or name a user-assigned one with azureClientId";
  }
  if (code === "IDENTITY_UNREACHABLE") {
    return "managed identity is not available to keyless: enable it for the app (IDENTITY_ENDPOINT/IDENTITY_HEADER or IMDS must be reachable); on a laptop use azureCredential: cli";
  }
  return "see the detail; run with KEYLESS_TRACE=all for more";
}

/** Records the metadata check; returns the parsed metadata when it is valid. */
function metadataCheck<T>(
  c: ComponentDoc,
  report: ComponentReport,
  parsed: { value?: T; problems: string[] },
  describe: (v: T) => string,
): T | undefined {
  if (!parsed.value || parsed.problems.length > 0) {
    report.checks.push({
      name: "metadata",
      status: "fail",
      detail: parsed.problems.join("; "),
      fix: `fix ${c.file}`,
    });
    return undefined;
  }
  report.checks.push({ name: "metadata", status: "ok", detail: describe(parsed.value) });
  return parsed.value;
}

export async function runDoctor(opts: DoctorOptions): Promise<DoctorReport> {
  const { components, problems } = loadComponents(opts.paths);
  const credentials = new CredentialPool();
  const log = pino({ level: "silent" });
  const ctx = (instance: string): BuildContext => ({
    instance,
    dataDir: path.join(opts.baseDir, ".data"),
    baseDir: opts.baseDir,
    env: opts.env,
    now: Date.now,
    log,
    credentials,
  });
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const byName = new Map(components.map((c) => [c.name, c]));
  const stores = new Map<string, Promise<SecretStore>>();

  const literal = (c: ComponentDoc) =>
    Object.fromEntries(c.metadata.filter((m) => m.value !== undefined).map((m) => [m.name, m.value!]));

  /** A keyless secret store built from its own YAML (secret stores take literal values only). */
  const storeFor = (name: string) => {
    let p = stores.get(name);
    if (!p) {
      const doc = byName.get(name)!;
      p = secretStoreKind.build(literal(doc), ctx(name));
      p.catch(() => undefined);
      stores.set(name, p);
    }
    return p;
  };

  /** Resolves secretKeyRefs through keyless secret stores; returns props plus one check per reference. */
  async function resolve(c: ComponentDoc): Promise<{ props: Record<string, string>; checks: Check[] }> {
    const props = literal(c);
    const checks: Check[] = [];
    for (const m of c.metadata) {
      if (m.inlineSecretRef) {
        checks.push({
          name: `metadata ${m.name}`,
          status: "skip",
          detail: `comes from the component's own secret "${m.inlineSecretRef}", resolved by Container Apps`,
        });
        continue;
      }
      if (!m.secretKeyRef) continue;
      const storeName = c.secretStore;
      const check = { name: `secret for metadata ${m.name}` };
      if (!storeName) {
        checks.push({
          ...check,
          status: "fail",
          detail: `uses secretKeyRef "${m.secretKeyRef.name}" but names no secret store`,
          fix: "add auth: { secretStore: <name> } to the component (standalone daprd has no default secret store)",
        });
        continue;
      }
      const storeDoc = byName.get(storeName);
      if (!storeDoc || storeDoc.type !== SECRET_TYPE) {
        checks.push({
          ...check,
          status: "skip",
          detail: `secret store "${storeName}" is not a ${SECRET_TYPE} component in these files`,
        });
        continue;
      }
      try {
        const data = await (await storeFor(storeName)).get(m.secretKeyRef.name);
        const v = data[m.secretKeyRef.key] ?? data[m.secretKeyRef.name];
        if (v === undefined || v === "") {
          checks.push({
            ...check,
            status: "fail",
            detail: `secret "${m.secretKeyRef.name}" in "${storeName}" has no key "${m.secretKeyRef.key}"`,
            fix: `fix secretKeyRef.key in ${c.file}`,
          });
        } else {
          props[m.name] = v;
          checks.push({
            ...check,
            status: "ok",
            detail: `secret "${m.secretKeyRef.name}" resolves through "${storeName}"`,
          });
        }
      } catch (e) {
        const missing = isKeylessError(e) && e.code === "SECRET_NOT_FOUND";
        checks.push({
          ...check,
          status: "fail",
          detail: isKeylessError(e) ? e.message : "the secret store could not be built",
          fix: missing
            ? `create the secret (az keyvault secret set --vault-name <vault> --name ${m.secretKeyRef.name} --value ...) or fix secretKeyRef.name in ${c.file}`
            : `fix secret store "${storeName}" first (see its checks)`,
        });
      }
    }
    return { props, checks };
  }

  async function tokenCheck(spec: IdentitySpec, scope: string): Promise<Check> {
    try {
      await credentials.get(spec).getToken(scope);
      return {
        name: `token for ${scope.replace("/.default", "")}`,
        status: "ok",
        detail: `issued for ${describeIdentity(spec)}`,
      };
    } catch (e) {
      const code = isKeylessError(e) ? e.code : "IDENTITY_FAILED";
      return {
        name: `token for ${scope.replace("/.default", "")}`,
        status: "fail",
        detail: isKeylessError(e) ? e.message : String(e),
        fix: fixForIdentity(code, spec),
      };
    }
  }

  async function secretStoreChecks(c: ComponentDoc, md: SecretMetadata, report: ComponentReport) {
    const spec = identityFromMetadata(md);
    if (md.sources.includes("keyvault") || md.sources.includes("containerapp"))
      report.identity = describeIdentity(spec);
    for (const kind of md.sources) {
      if (kind === "keyvault") {
        const token = await tokenCheck(spec, KEY_VAULT_SCOPE);
        report.checks.push(token);
        if (token.status !== "ok") continue;
        const source = createKeyVaultSource({
          instance: c.name,
          vaultUrl: md.vaultUrl!,
          credential: credentials.get(spec),
          nameMapping: md.nameMapping,
          timeoutMs,
          log,
        });
        try {
          const some = await source.list({ maxResults: 1 });
          report.checks.push({
            name: `vault ${md.vaultUrl}`,
            status: "ok",
            detail: `reachable; the identity may list and read secrets (${some.size > 0 ? "read one" : "the vault is empty"})`,
          });
        } catch (e) {
          const msg = isKeylessError(e) ? e.message : String(e);
          const forbidden = /HTTP 403/.test(msg);
          report.checks.push({
            name: `vault ${md.vaultUrl}`,
            status: "fail",
            detail: msg,
            fix: forbidden
              ? `az role assignment create --role "Key Vault Secrets User" --assignee <principal id of ${describeIdentity(spec)}> --scope <resource id of the vault>`
              : "check vaultName / vaultUri and that the vault's firewall lets this app in",
          });
        }
      } else if (kind === "file") {
        try {
          const src = await createFileSource({
            instance: c.name,
            file: md.secretsFile!,
            separator: md.nestedSeparator,
            baseDir: opts.baseDir,
          });
          report.checks.push({
            name: `file ${md.secretsFile}`,
            status: "ok",
            detail: `readable, ${(await src.list()).size} secrets`,
          });
        } catch (e) {
          report.checks.push({
            name: `file ${md.secretsFile}`,
            status: "fail",
            detail: isKeylessError(e) ? e.message : String(e),
            fix: "fix secretsFile (relative paths resolve against keyless's working directory)",
          });
        }
      } else if (kind === "env") {
        const n = Object.keys(opts.env).filter((k) => k.startsWith(md.envPrefix!)).length;
        report.checks.push({
          name: `env ${md.envPrefix}*`,
          status: n > 0 ? "ok" : "warn",
          detail: `${n} variables with this prefix in this shell (keyless reads its own environment)`,
        });
      } else if (kind === "containerapp") {
        const mount = md.secretsMountPath ? path.resolve(opts.baseDir, md.secretsMountPath) : undefined;
        report.checks.push(
          mount && !existsSync(mount)
            ? {
                name: `secrets volume ${mount}`,
                status: "warn",
                detail:
                  "does not exist here (it exists inside the container app when a secrets volume is mounted)",
              }
            : {
                name: "containerapp source",
                status: "ok",
                detail:
                  `${mount ? `volume ${mount}` : ""}${md.containerAppManifest ? ` manifest ${md.containerAppManifest}` : ""}`.trim(),
              },
        );
      }
    }
  }

  async function stateChecks(c: ComponentDoc, md: StateMetadata, report: ComponentReport) {
    if (md.backend === "sqlite") {
      const file = md.path ? path.resolve(opts.baseDir, md.path) : "(under KEYLESS_DATA_DIR)";
      report.checks.push({
        name: "sqlite",
        status: "ok",
        detail: `database ${md.connectionString ? "named by connectionString" : file}`,
      });
      return;
    }
    let credential;
    if (!md.connectionString && !md.accountKey) {
      const spec = identityFromMetadata(md);
      report.identity = describeIdentity(spec);
      const token = await tokenCheck(spec, STORAGE_SCOPE);
      report.checks.push(token);
      if (token.status !== "ok") return;
      credential = credentials.get(spec);
    }
    try {
      const backend = await openTablesBackend({
        instance: c.name,
        auth: md.connectionString
          ? { kind: "connectionString", connectionString: md.connectionString }
          : md.accountKey
            ? {
                kind: "sharedKey",
                endpoint: md.tableEndpoint!,
                accountName: md.accountName!,
                accountKey: md.accountKey,
              }
            : {
                kind: "token",
                endpoint: md.tableEndpoint!,
                credential: credential!,
                describe: report.identity!,
              },
        table: md.tableName,
        skipCreateTable: true,
        cleanupIntervalMs: 3_600_000,
        timeoutMs,
        now: Date.now,
        log,
      });
      await backend.close();
      report.checks.push({ name: `table ${md.tableName}`, status: "ok", detail: "reachable and readable" });
    } catch (e) {
      // Only KeylessError messages are shown: SDK text can carry a URL with a SAS.
      const msg = isKeylessError(e) ? e.message : `unexpected ${e instanceof Error ? e.name : "error"}`;
      report.checks.push({
        name: `table ${md.tableName}`,
        status: /does not exist/.test(msg) && !md.skipCreateTable ? "warn" : "fail",
        detail: msg,
        fix:
          isKeylessError(e) && e.code === "METADATA_INVALID"
            ? "correct the component metadata as the message says"
            : /Storage Table Data Contributor/.test(msg)
              ? `az role assignment create --role "Storage Table Data Contributor" --assignee <principal id> --scope <resource id of the storage account>`
              : /does not exist/.test(msg)
                ? "keyless creates the table at Init unless skipCreateTable is set"
                : "check tableEndpoint / accountName and the account's network rules",
      });
    }
  }

  const reports: ComponentReport[] = [];
  for (const c of components) {
    const isKeyless = c.type === SECRET_TYPE || c.type === STATE_TYPE;
    const resolved = await resolve(c);
    if (!isKeyless) {
      if (resolved.checks.length > 0)
        reports.push({ component: c.name, type: c.type, file: c.file, checks: resolved.checks });
      continue;
    }
    const report: ComponentReport = {
      component: c.name,
      type: c.type,
      file: c.file,
      checks: [...resolved.checks],
    };
    reports.push(report);
    if (resolved.checks.some((k) => k.status === "fail")) continue;
    if (c.type === SECRET_TYPE) {
      const md = metadataCheck(
        c,
        report,
        parseSecretMetadata(resolved.props),
        (v) => `sources ${v.sources.join(" -> ")}`,
      );
      if (md) await secretStoreChecks(c, md, report);
    } else {
      const md = metadataCheck(c, report, parseStateMetadata(resolved.props), (v) => `backend ${v.backend}`);
      if (md) await stateChecks(c, md, report);
    }
  }
  for (const p of stores.values()) await p.then((s) => s.close()).catch(() => undefined);
  const set = ENV_NAMES.filter((n) => opts.env[n] !== undefined);
  return {
    ok: problems.length === 0 && reports.every((r) => r.checks.every((k) => k.status !== "fail")),
    environment: { set, unset: ENV_NAMES.filter((n) => !set.includes(n)) },
    components: reports,
    problems,
  };
}
