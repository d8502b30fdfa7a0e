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
import { KEY_VAULT_SCOPE, STORAGE_SCOPE } from "../identity/tokenScopes.js";
import { parseSecretMetadata, type SecretMetadata } from "../metadata/secretMetadata.js";
import { parseStateMetadata, type StateMetadata } from "../metadata/stateMetadata.js";
import { buildSource, secretStoreKind } from "../secrets/component.js";
import type { SecretStore } from "../secrets/store.js";
import { openTablesBackend, tablesAuthFor } from "../state/backends/tables/index.js";
import { failureFacts, hasCode } from "./failureFacts.js";
import { loadComponents, type ComponentDoc } from "./loadComponents.js";
import type { Check, ComponentReport, DoctorReport } from "./report.js";
import { addWorkloadIdentityCheck } from "./workloadIdentityCheck.js";
import { listenerCheck } from "./listenerCheck.js";
import { rotationQueueCheck } from "./rotationQueueCheck.js";

const ENV_NAMES = [
  "IDENTITY_ENDPOINT",
  "IDENTITY_HEADER",
  "MSI_ENDPOINT",
  "AZURE_CLIENT_ID",
  "AZURE_TENANT_ID",
  "AZURE_FEDERATED_TOKEN_FILE",
  "AZURE_AUTHORITY_HOST",
  "AZURE_POD_IDENTITY_AUTHORITY_HOST",
  "DAPR_COMPONENTS_SOCKETS_FOLDER",
  "NODE_EXTRA_CA_CERTS",
];
const SECRET_TYPE = "secretstores.keyless";
const STATE_TYPE = "state.keyless";

export interface DoctorOptions {
  paths: string[];
  baseDir: string;
  env: NodeJS.ProcessEnv;
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
  if (spec.kind === "workload") return "the detail ends with the fix; see also the workload identity check";
  return "see the detail; run with KEYLESS_TRACE=all for more";
}

/** A failed table check, with the fix chosen from the failure's status and service code. */
function tableFailure(name: string, md: StateMetadata, e: unknown): Check {
  const f = failureFacts(e);
  if (f.httpStatus === 404 && f.serviceCode === "TableNotFound") {
    // The doctor opened the table without creating it; say what serve would do with this metadata.
    return md.skipCreateTable
      ? {
          name,
          status: "fail",
          detail: "the table does not exist and skipCreateTable is set, so keyless will not create it",
          fix: `create the table (az storage table create --name ${md.tableName} --account-name <account> --auth-mode login) or remove skipCreateTable`,
        }
      : {
          name,
          status: "warn",
          detail: "the table does not exist yet; keyless creates it at Init (skipCreateTable is not set)",
          fix: 'the identity then needs "Storage Table Data Contributor"; or create the table and set skipCreateTable',
        };
  }
  const detail = isKeylessError(e) ? e.message : "the table check failed unexpectedly";
  if (hasCode(f, "METADATA_INVALID")) {
    return { name, status: "fail", detail, fix: "correct the component metadata as the message says" };
  }
  if (f.httpStatus === 401 || f.httpStatus === 403) {
    return {
      name,
      status: "fail",
      detail,
      fix:
        md.connectionString || md.accountKey
          ? "check the account key (or connection string) and that shared-key access is enabled on the account"
          : `az role assignment create --role "Storage Table Data Contributor" --assignee <principal id> --scope <resource id of the storage account>`,
    };
  }
  return {
    name,
    status: "fail",
    detail,
    fix: "check tableEndpoint / accountName and the account's network rules",
  };
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
  const { components, problems, files } = loadComponents(opts.paths);
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
  const byName = new Map(components.map((c) => [c.name, c]));
  const stores = new Map<string, Promise<SecretStore>>();

  const literal = (c: ComponentDoc) =>
    Object.fromEntries(c.metadata.filter((m) => m.value !== undefined).map((m) => [m.name, m.value!]));

  /** A keyless secret store built from its own YAML (secret stores take literal values only). */
  const storeFor = (name: string) => {
    let p = stores.get(name);
    if (!p) {
      const doc = byName.get(name)!;
      // Without the rotationQueue fields: the doctor must not start a reader that would take events from
      // the running keyless (each queue is checked with a peek instead).
      const props = Object.fromEntries(
        Object.entries(literal(doc)).filter(([k]) => !k.toLowerCase().startsWith("rotationqueue")),
      );
      p = secretStoreKind.build(props, ctx(name));
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
        // Only our own messages are shown; a foreign error's text may echo request details.
        detail: isKeylessError(e)
          ? e.message
          : `getting a token for ${describeIdentity(spec)} failed unexpectedly (${e instanceof Error ? e.name : "error"})`,
        fix: fixForIdentity(code, spec),
      };
    }
  }

  /** One vault, read through the source exactly as serve builds it (cache, timeouts, name mapping). */
  async function vaultCheck(
    c: ComponentDoc,
    md: SecretMetadata,
    spec: IdentitySpec,
    vaultUrl: string,
  ): Promise<Check> {
    try {
      const source = await buildSource("keyvault", { ...md, vaultUrl, vaultUrls: [vaultUrl] }, ctx(c.name));
      const some = await source.list({ maxResults: 1 });
      return {
        name: `vault ${vaultUrl}`,
        status: "ok",
        detail: `reachable; the identity may list and read secrets (${some.size > 0 ? "read one" : "the vault is empty"})`,
      };
    } catch (e) {
      const facts = failureFacts(e);
      return {
        name: `vault ${vaultUrl}`,
        status: "fail",
        detail: isKeylessError(e) ? e.message : "the vault check failed unexpectedly",
        fix: hasCode(facts, "IDENTITY_UNKNOWN", "IDENTITY_UNREACHABLE")
          ? fixForIdentity(
              facts.codes.find((k) => k.startsWith("IDENTITY_"))!,
              spec,
            )
          : facts.httpStatus === 403
            ? `az role assignment create --role "Key Vault Secrets User" --assignee <principal id of ${describeIdentity(spec)}> --scope <resource id of the vault>`
            : "check vaultName / vaultUri / vaultUris and that the vault's firewall lets this app in",
      };
    }
  }

  async function secretStoreChecks(c: ComponentDoc, md: SecretMetadata, report: ComponentReport) {
    const spec = identityFromMetadata(md);
    if (md.sources.includes("keyvault") || md.sources.includes("containerapp"))
      report.identity = describeIdentity(spec);
    for (const kind of md.sources) {
      if (kind === "keyvault") {
        await addWorkloadIdentityCheck(report, spec, opts.env);
        const token = await tokenCheck(spec, KEY_VAULT_SCOPE);
        report.checks.push(token);
        if (token.status !== "ok") continue;
        // Every vault of a failover store is checked alone: failover would hide a broken one.
        for (const vaultUrl of md.vaultUrls) report.checks.push(await vaultCheck(c, md, spec, vaultUrl));
        if (md.rotationQueueUrl) {
          const queueToken = await tokenCheck(spec, STORAGE_SCOPE);
          report.checks.push(
            queueToken.status === "ok"
              ? await rotationQueueCheck(c.name, md.rotationQueueUrl, credentials.get(spec))
              : queueToken,
          );
        }
      } else if (kind === "file") {
        try {
          const src = await buildSource("file", md, ctx(c.name));
          report.checks.push({
            name: `file ${md.secretsFile}`,
            status: "ok",
            detail: `readable, ${(await src.list()).size} secrets`,
          });
        } catch (e) {
          report.checks.push({
            name: `file ${md.secretsFile}`,
            status: "fail",
            detail: isKeylessError(e) ? e.message : "reading the file failed unexpectedly",
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
        try {
          // Built as serve builds it: an unreadable manifest fails here as it would fail Init.
          await buildSource("containerapp", md, ctx(c.name));
        } catch (e) {
          report.checks.push({
            name: "containerapp source",
            status: "fail",
            detail: isKeylessError(e) ? e.message : "building the source failed unexpectedly",
            fix: "fix containerAppManifest (relative paths resolve against keyless's working directory)",
          });
          continue;
        }
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
    const { auth, identity } = tablesAuthFor(md, credentials);
    if (identity) {
      report.identity = describeIdentity(identity);
      await addWorkloadIdentityCheck(report, identity, opts.env);
      const token = await tokenCheck(identity, STORAGE_SCOPE);
      report.checks.push(token);
      if (token.status !== "ok") return;
    }
    const name = `table ${md.tableName}`;
    try {
      // As serve opens it, except that the doctor never creates the table (it only reads).
      const backend = await openTablesBackend({
        instance: c.name,
        auth,
        table: md.tableName,
        skipCreateTable: true,
        cleanupIntervalMs: 3_600_000,
        timeoutMs: md.requestTimeout,
        now: Date.now,
        log,
      });
      await backend.close();
      report.checks.push({ name, status: "ok", detail: "reachable and readable" });
    } catch (e) {
      report.checks.push(tableFailure(name, md, e));
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
  const keyless = components.filter((c) => c.type === SECRET_TYPE || c.type === STATE_TYPE).length;
  if (keyless === 0) {
    // Checking nothing is not a pass: the operator pointed the doctor at the wrong place.
    problems.push({
      file: opts.paths.join(", "),
      message: `no ${SECRET_TYPE} or ${STATE_TYPE} component found in ${files.length} YAML file(s); nothing was checked`,
    });
  }
  const listener = await listenerCheck(opts.env);
  return {
    ok:
      problems.length === 0 &&
      listener.status !== "fail" &&
      reports.every((r) => r.checks.every((k) => k.status !== "fail")),
    listener,
    checked: { files, keylessComponents: keyless },
    environment: { set, unset: ENV_NAMES.filter((n) => !set.includes(n)) },
    components: reports,
    problems,
  };
}
