/**
 * Reads the projected service-account token (the client assertion) from AZURE_FEDERATED_TOKEN_FILE each
 * time a new access token is needed: the kubelet rewrites the file about hourly, so a copy kept in memory
 * goes stale. A file that is missing, unreadable, empty, not a JWT or already expired fails here, with the
 * fix, instead of as an opaque refusal from Entra ID. The token itself never appears in an error or a log.
 */
import { readFile } from "node:fs/promises";
import { decodeJwt } from "jose";
import { identityErrors } from "../errors/identity.js";
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

/** What is wrong with the token file, and what to do about it (also shown by keyless doctor). */
export interface TokenFileProblem {
  problem: string;
  fix: string;
  cause?: unknown;
}

export type TokenFileState = { token: string; claims: AssertionClaims } | TokenFileProblem;

export async function inspectFederatedToken(file: string, now: () => number): Promise<TokenFileState> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const denied = code === "EACCES" || code === "EPERM";
    return {
      problem:
        code === "ENOENT"
          ? "does not exist"
          : denied
            ? "cannot be read by keyless (permission denied)"
            : `cannot be read (${code ?? "error"})`,
      fix: denied
        ? "run keyless as a user that may read the projected volume (fsGroup in the pod's securityContext)"
        : PROJECTION_FIX,
      cause: e,
    };
  }
  const token = text.trim();
  if (token === "") return { problem: "is empty", fix: PROJECTION_FIX };
  const claims = decodeClaims(token);
  if (!claims) return { problem: "does not hold a JWT", fix: PROJECTION_FIX };
  if (claims.expiresAt !== undefined && claims.expiresAt * 1000 <= now()) {
    return {
      problem: `holds a service account token that expired at ${new Date(claims.expiresAt * 1000).toISOString()}`,
      fix: "the kubelet rewrites it before it expires: check that the projected token volume is still mounted and the kubelet is healthy, and the node's clock",
    };
  }
  return { token, claims };
}

/** The current token and its claims; throws IDENTITY_FAILED naming the identity, the file and the fix. */
export async function readFederatedToken(
  s: WorkloadSettings,
  now: () => number,
): Promise<{ token: string; claims: AssertionClaims }> {
  const state = await inspectFederatedToken(s.tokenFile, now);
  if ("problem" in state)
    throw identityErrors.federatedTokenUnusable({
      who: describeWorkload(s),
      file: s.tokenFile,
      problem: state.problem,
      fix: state.fix,
      cause: state.cause,
    });
  return state;
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
