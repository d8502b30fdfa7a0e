/**
 * The stand-in vault's request handlers, one per operation, each answering like Key Vault does (status,
 * error code, inner error code) and recording the status it answered.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { applyFault, type Fault } from "../faults.js";
import type { TokenClaims } from "../jwt.js";
import { MAX_PAGE, page, secretItems, versionItems } from "./listing.js";
import { attributes, type VaultSecrets } from "./vaultSecrets.js";

const NAME = /^[0-9A-Za-z-]{1,127}$/;

export interface VaultRequest {
  method: string;
  /** "get" | "get-version" | "list" | "list-versions" | "set" | "other" */
  op: string;
  name?: string;
  /** Object id of the caller, when the request carried a valid token. */
  caller?: string;
  status: number;
}

/** One request: what it asks for, where it is recorded, and how to answer it. */
export class VaultCall {
  readonly origin: string;
  readonly url: URL;
  /** ["secrets", name?, version | "versions" | ""?] */
  readonly segs: string[];
  readonly name: string | undefined;
  readonly op: string;
  readonly entry: VaultRequest;
  caller?: TokenClaims;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
  ) {
    this.origin = `https://${req.headers.host ?? "127.0.0.1"}`;
    this.url = new URL(req.url ?? "/", this.origin);
    this.segs = this.url.pathname.split("/").slice(1);
    this.name =
      this.segs[1] !== undefined && this.segs[1] !== "" ? decodeURIComponent(this.segs[1]) : undefined;
    this.op = opOf(req.method, this.segs, this.name);
    this.entry = {
      method: req.method ?? "GET",
      op: this.op,
      ...(this.name !== undefined && { name: this.name }),
      status: 0,
    };
  }

  json(status: number, body: unknown, headers: Record<string, string> = {}): void {
    this.entry.status = status;
    this.res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
    this.res.end(JSON.stringify(body));
  }

  error(status: number, code: string, message: string, inner?: string, headers: Record<string, string> = {}) {
    this.json(status, { error: { code, message, ...(inner && { innererror: { code: inner } }) } }, headers);
  }

  forbidden(action: string): void {
    const c = this.caller!;
    this.error(
      403,
      "Forbidden",
      `Caller is not authorized to perform action on resource. Caller: appid=${c.appid};oid=${c.oid}; Action: '${action}'`,
      "ForbiddenByRbac",
    );
  }

  /** Applies a fault switch; true when the request was answered by it. */
  async fault(f: Fault): Promise<boolean> {
    const done = await applyFault(f, this.req, this.res, (status, code) => ({
      error: { code, message: `stand-in fault ${status}` },
    }));
    if (done) this.entry.status = f.kind === "status" ? f.status : 0;
    return done;
  }

  body(): Promise<string> {
    return new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      this.req.on("data", (c: Buffer) => chunks.push(c));
      this.req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    });
  }
}

function opOf(method: string | undefined, segs: string[], name: string | undefined): string {
  if (segs[0] !== "secrets") return "other";
  if (method === "PUT") return "set";
  if (name === undefined) return "list";
  const third = segs[2];
  if (third === "versions") return "list-versions";
  return third !== undefined && third !== "" ? "get-version" : "get";
}

export function serveList(vault: VaultSecrets, call: VaultCall): void {
  const oid = call.caller!.oid;
  const readMetadata = "Microsoft.KeyVault/vaults/secrets/readMetadata/action";
  if (call.op === "list" && !vault.hasAnyAccess(oid)) return call.forbidden(readMetadata);
  if (call.op === "list-versions" && !vault.listable(oid, call.name!)) return call.forbidden(readMetadata);
  const q = call.url.searchParams;
  const max = q.has("maxresults") ? Number(q.get("maxresults")) : MAX_PAGE;
  if (!Number.isInteger(max) || max < 1 || max > MAX_PAGE) {
    return call.error(400, "BadParameter", `maxresults must be between 1 and ${MAX_PAGE}`);
  }
  const items =
    call.op === "list"
      ? secretItems(
          call.origin,
          vault.all().filter((s) => vault.listable(oid, s.name)),
        )
      : versionItems(call.origin, vault.get(call.name!));
  call.json(200, page(call.origin, call.url, items, max));
}

/** A name Key Vault accepts; anything else is answered 400 here. */
export async function checkName(call: VaultCall): Promise<string | undefined> {
  if (call.name && NAME.test(call.name)) return call.name;
  await call.body();
  call.error(400, "BadParameter", "The request URI contains an invalid name");
  return undefined;
}

export async function serveGet(
  vault: VaultSecrets,
  call: VaultCall,
  name: string,
  getFault: Fault,
): Promise<void> {
  if (!vault.allowed(call.caller!.oid, name))
    return call.forbidden("Microsoft.KeyVault/vaults/secrets/getSecret/action");
  if (await call.fault(getFault)) return;
  const s = vault.get(name);
  const third = call.segs[2];
  const v =
    s &&
    (call.op === "get-version"
      ? s.versions.find((x) => x.version === third!.toLowerCase())
      : s.versions.at(-1));
  if (!s || !v) {
    return call.error(
      404,
      "SecretNotFound",
      `A secret with (name/id) ${name}${call.op === "get-version" ? `/${third}` : ""} was not found in this key vault.`,
    );
  }
  if (!v.enabled) {
    return call.error(
      403,
      "Forbidden",
      "Operation get is not allowed on a disabled secret.",
      "SecretDisabled",
    );
  }
  call.json(200, {
    value: v.value,
    id: `${call.origin}/secrets/${s.name}/${v.version}`,
    attributes: attributes(v),
    ...(v.contentType !== undefined && { contentType: v.contentType }),
    ...(v.tags !== undefined && { tags: v.tags }),
  });
}

export async function serveSet(vault: VaultSecrets, call: VaultCall, name: string): Promise<void> {
  const body = JSON.parse((await call.body()) || "{}") as {
    value?: string;
    contentType?: string;
    attributes?: { enabled?: boolean; nbf?: number; exp?: number };
    tags?: Record<string, string>;
  };
  if (!vault.allowed(call.caller!.oid, name))
    return call.forbidden("Microsoft.KeyVault/vaults/secrets/setSecret/action");
  if (typeof body.value !== "string") return call.error(400, "BadParameter", "value is required");
  const version = vault.set({
    name,
    value: body.value,
    ...(body.contentType !== undefined && { contentType: body.contentType }),
    ...(body.attributes?.enabled !== undefined && { enabled: body.attributes.enabled }),
    ...(body.attributes?.nbf !== undefined && { notBefore: body.attributes.nbf }),
    ...(body.attributes?.exp !== undefined && { expiresOn: body.attributes.exp }),
    ...(body.tags !== undefined && { tags: body.tags }),
  });
  const stored = vault.get(name)!;
  const v = stored.versions.at(-1)!;
  call.json(200, {
    value: v.value,
    id: `${call.origin}/secrets/${stored.name}/${version}`,
    attributes: attributes(v),
    ...(v.contentType !== undefined && { contentType: v.contentType }),
  });
}
