/**
 * How the Tables backend reaches its table: the auth mode, the endpoint, the transport rule, and how to
 * build its client (again after a rejected token).
 *
 * - Connection strings are checked here, before the SDK sees them: a malformed or endpoint-less one is a
 *   configuration mistake (METADATA_INVALID naming `connectionString`), never an INTERNAL error. The value
 *   is never echoed.
 * - http:// is accepted only for a loopback host (Azurite) with a shared key, a connection string or
 *   `UseDevelopmentStorage=true`; a bearer token never travels over plain http, and no other host is
 *   reached without TLS. Anything else is refused at Init saying why.
 * - Messages name the endpoint without its query string (a SAS lives there) and name a SAS as a SAS.
 */
import { AzureNamedKeyCredential, TableClient, type TableServiceClientOptions } from "@azure/data-tables";
import { stateErrors } from "../../../errors/state.js";
import { CachedCredential } from "../../../identity/cachedCredential.js";
import { isLoopback } from "../../../identity/isLoopback.js";
import type { TablesAuth } from "./tablesAuth.js";

const DEV_TABLE_ENDPOINT = "http://127.0.0.1:10002/devstoreaccount1";

/** The auth mode as named in messages: an identity, a shared key, or a SAS. */
export interface Who {
  kind: "token" | "sharedKey" | "sas";
  describe: string;
}

export interface ConnectionStringFacts {
  endpoint: string;
  keyKind: "sharedKey" | "sas";
  development: boolean;
}

/** Reads the parts of a storage connection string that decide transport and wording; never its secrets. */
export function readConnectionString(instance: string, cs: string): ConnectionStringFacts {
  const parts = new Map<string, string>();
  for (const seg of cs.split(";")) {
    if (seg.trim() === "") continue;
    const eq = seg.indexOf("=");
    if (eq <= 0)
      throw stateErrors.connectionStringInvalid(
        instance,
        "it is not a list of Name=value pairs separated by ;",
      );
    parts.set(seg.slice(0, eq).trim().toLowerCase(), seg.slice(eq + 1).trim());
  }
  if (parts.get("usedevelopmentstorage")?.toLowerCase() === "true") {
    return { endpoint: DEV_TABLE_ENDPOINT, keyKind: "sharedKey", development: true };
  }
  const keyKind = parts.has("sharedaccesssignature")
    ? "sas"
    : parts.has("accountkey")
      ? "sharedKey"
      : undefined;
  if (keyKind === undefined) {
    throw stateErrors.connectionStringInvalid(
      instance,
      "it has neither AccountKey nor SharedAccessSignature",
    );
  }
  let endpoint = parts.get("tableendpoint");
  const account = parts.get("accountname");
  if (endpoint === undefined && account) {
    const protocol = parts.get("defaultendpointsprotocol") ?? "https";
    endpoint = `${protocol}://${account}.table.${parts.get("endpointsuffix") ?? "core.windows.net"}`;
  }
  if (!endpoint) {
    throw stateErrors.connectionStringInvalid(
      instance,
      "it names no table endpoint (TableEndpoint, or AccountName)",
    );
  }
  if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) {
    throw stateErrors.connectionStringInvalid(instance, "its table endpoint is not an http(s) URL");
  }
  return { endpoint, keyKind, development: false };
}

/** Endpoint origin and path only: a query string (a SAS) never reaches a message. */
export function printableEndpoint(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname.replace(/\/+$/, "")}`;
}

export interface ConnectionPlan {
  endpoint: string;
  who: Who;
  /** Only for a loopback http endpoint with a key (Azurite); see the transport rule above. */
  allowInsecureConnection: boolean;
  makeClient(): TableClient;
  /** A token credential to renew after a 401, when the auth mode has one. */
  credential?: CachedCredential;
}

/**
 * Decides endpoint, wording and transport for an auth mode, or refuses it (METADATA_INVALID); it builds
 * one client to prove the SDK accepts the settings, but sends nothing.
 */
export function planConnection(instance: string, table: string, auth: TablesAuth): ConnectionPlan {
  const facts =
    auth.kind === "connectionString"
      ? readConnectionString(instance, auth.connectionString)
      : { endpoint: auth.endpoint, keyKind: auth.kind, development: false };
  const field = auth.kind === "connectionString" ? "connectionString" : "tableEndpoint";
  const insecure = new URL(facts.endpoint).protocol === "http:";
  if (insecure && facts.keyKind === "token") {
    throw stateErrors.tablesInsecureEndpoint(
      instance,
      field,
      "http:// would send the identity's bearer token without TLS, which the Azure SDK refuses; use an https:// endpoint " +
        "(Azurite: start it with --cert/--key and --oauth basic), or a shared key for a local Azurite",
    );
  }
  if (insecure && !isLoopback(facts.endpoint)) {
    throw stateErrors.tablesInsecureEndpoint(
      instance,
      field,
      "http:// is accepted only for a local Azurite on a loopback address (127.0.0.1, ::1, localhost); use https://",
    );
  }
  const who: Who =
    auth.kind === "token"
      ? { kind: "token", describe: auth.describe }
      : facts.keyKind === "sas"
        ? { kind: "sas", describe: "the SAS in the connection string" }
        : { kind: "sharedKey", describe: "the shared key" };
  const options: TableServiceClientOptions = {
    retryOptions: { maxRetries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 4000 },
    ...(insecure && { allowInsecureConnection: true }),
  };
  const build = (): TableClient => {
    switch (auth.kind) {
      case "connectionString":
        return TableClient.fromConnectionString(auth.connectionString, table, options);
      case "sharedKey":
        return new TableClient(
          auth.endpoint,
          table,
          new AzureNamedKeyCredential(auth.accountName, auth.accountKey),
          options,
        );
      case "token":
        return new TableClient(auth.endpoint, table, auth.credential, options);
    }
  };
  // The SDK parses connection strings itself; whatever it cannot read is a configuration mistake.
  const makeClient = (): TableClient => {
    try {
      return build();
    } catch (e) {
      if (auth.kind !== "connectionString") throw e;
      throw stateErrors.connectionStringInvalid(instance, "the Azure SDK cannot read it", e);
    }
  };
  makeClient();
  return {
    endpoint: printableEndpoint(facts.endpoint),
    who,
    allowInsecureConnection: insecure,
    makeClient,
    ...(auth.kind === "token" &&
      auth.credential instanceof CachedCredential && { credential: auth.credential }),
  };
}
