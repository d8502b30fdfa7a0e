/**
 * Reads the projected service-account token (the client assertion) from AZURE_FEDERATED_TOKEN_FILE each
 * time a new access token is needed: the kubelet rewrites the file about hourly, so a copy kept in memory
 * goes stale. A file that is missing, unreadable, empty, not a JWT or already expired fails here, with the
 * fix, instead of as an opaque refusal from Entra ID. The token itself never appears in an error or a log.
 */
import { readFile } from "node:fs/promises";
import { decodeJwt } from "jose";
import { errors } from "../errors/catalog.js";
import { describeWorkload, type WorkloadSettings } from "./workloadSettings.js";

/** The claims Entra matches against a federated credential; shown in messages (they are not secret). */
export interface AssertionClaims {
  issuer: string;
  subject: string;
  audiences: string[];
  /** Epoch seconds. */
  expiresAt?: number;
}

const PROJECTION_FIX =
  'check that the pod is labelled azure.workload.identity/use: "true" and its service account is annotated with azure.workload.identity/client-id, so the webhook projects the token';

export async function readFederatedToken(
  s: WorkloadSettings,
  now: () => number,
): Promise<{ token: string; claims: AssertionClaims }> {
  const who = describeWorkload(s);
  let text: string;
  try {
    text = await readFile(s.tokenFile, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const problem =
      code === "ENOENT"
        ? "does not exist"
        : code === "EACCES" || code === "EPERM"
          ? "cannot be read by keyless (permission denied)"
          : `cannot be read (${code ?? "error"})`;
    const fix =
      code === "EACCES" || code === "EPERM"
        ? "run keyless as a user that may read the projected volume (fsGroup in the pod's securityContext)"
        : PROJECTION_FIX;
    throw errors.federatedTokenUnusable(who, s.tokenFile, problem, fix, e);
  }
  const token = text.trim();
  if (token === "") throw errors.federatedTokenUnusable(who, s.tokenFile, "is empty", PROJECTION_FIX);
  const claims = decodeClaims(token);
  if (!claims) throw errors.federatedTokenUnusable(who, s.tokenFile, "does not hold a JWT", PROJECTION_FIX);
  if (claims.expiresAt !== undefined && claims.expiresAt * 1000 <= now()) {
    throw errors.federatedTokenUnusable(
      who,
      s.tokenFile,
      `holds a service account token that expired at ${new Date(claims.expiresAt * 1000).toISOString()}`,
      "the kubelet rewrites it before it expires: check that the projected token volume is still mounted and the kubelet is healthy, and the node's clock",
    );
  }
  return { token, claims };
}

export function decodeClaims(token: string): AssertionClaims | undefined {
  try {
    const p = decodeJwt(token);
    return {
      issuer: p.iss ?? "",
      subject: p.sub ?? "",
      audiences: p.aud === undefined ? [] : Array.isArray(p.aud) ? p.aud : [p.aud],
      ...(p.exp !== undefined && { expiresAt: p.exp }),
    };
  } catch {
    return undefined;
  }
}
