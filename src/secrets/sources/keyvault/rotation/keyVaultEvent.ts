/**
 * Reads one Storage Queue message that Event Grid wrote for a Key Vault event: the body is base64 (as
 * Event Grid writes it; plain JSON is accepted too) holding one event, or an array of events, in the Event
 * Grid schema (`eventType`, `data`) or CloudEvents 1.0 (`specversion`, `type`, `data`). Key Vault's data
 * names the vault (`VaultName`), the object (`ObjectType`, `ObjectName`) and the `Version`.
 * https://learn.microsoft.com/azure/event-grid/event-schema-key-vault
 */
import { z } from "zod";

export const NEW_VERSION = "Microsoft.KeyVault.SecretNewVersionCreated";
export const NEAR_EXPIRY = "Microsoft.KeyVault.SecretNearExpiry";
export const EXPIRED = "Microsoft.KeyVault.SecretExpired";
export const CERTIFICATE_NEW_VERSION = "Microsoft.KeyVault.CertificateNewVersionCreated";

export type EventType =
  | "SecretNewVersionCreated"
  | "SecretNearExpiry"
  | "SecretExpired"
  | "CertificateNewVersionCreated"
  | "CertificateNearExpiry"
  | "CertificateExpired";

export interface SecretEvent {
  /** The short type, e.g. SecretNewVersionCreated or CertificateNewVersionCreated. */
  type: EventType;
  /** A certificate's event names its secret too: Key Vault keeps the certificate as a secret of that name. */
  object: "secret" | "certificate";
  vaultName: string;
  /** The name in the vault (Key Vault's own, e.g. db-password). */
  secretName: string;
  version?: string;
}

export type ReadMessage =
  | { kind: "events"; events: SecretEvent[] }
  /** Well-formed, but not an event this reader acts on (another event type, a key...). */
  | { kind: "foreign"; what: string }
  | { kind: "malformed"; why: string };

const keyVaultData = z.object({
  VaultName: z.string().min(1),
  ObjectType: z.string().optional(),
  ObjectName: z.string().min(1),
  Version: z.string().optional(),
});

const eventGridEvent = z.object({ eventType: z.string(), data: z.unknown() });
const cloudEvent = z.object({ specversion: z.literal("1.0"), type: z.string(), data: z.unknown() });

const TYPES: Record<string, EventType> = {
  [NEW_VERSION]: "SecretNewVersionCreated",
  [NEAR_EXPIRY]: "SecretNearExpiry",
  [EXPIRED]: "SecretExpired",
  [CERTIFICATE_NEW_VERSION]: "CertificateNewVersionCreated",
  "Microsoft.KeyVault.CertificateNearExpiry": "CertificateNearExpiry",
  "Microsoft.KeyVault.CertificateExpired": "CertificateExpired",
};

export function readMessage(text: string): ReadMessage {
  const json = parseBody(text);
  if (json === undefined) return { kind: "malformed", why: "the body is neither base64 JSON nor JSON" };
  const items = Array.isArray(json) ? json : [json];
  if (items.length === 0) return { kind: "malformed", why: "the body is an empty array" };
  const events: SecretEvent[] = [];
  const foreign: string[] = [];
  for (const item of items) {
    const r = readEvent(item);
    if (r.kind === "malformed") return r;
    if (r.kind === "foreign") foreign.push(r.what);
    else events.push(r.event);
  }
  return events.length > 0 ? { kind: "events", events } : { kind: "foreign", what: foreign.join(", ") };
}

function readEvent(
  item: unknown,
):
  | { kind: "event"; event: SecretEvent }
  | { kind: "foreign"; what: string }
  | { kind: "malformed"; why: string } {
  const grid = eventGridEvent.safeParse(item);
  const cloud = cloudEvent.safeParse(item);
  const e = cloud.success
    ? { type: cloud.data.type, data: cloud.data.data }
    : grid.success
      ? { type: grid.data.eventType, data: grid.data.data }
      : undefined;
  if (!e) return { kind: "malformed", why: "not an Event Grid event nor a CloudEvents 1.0 event" };
  const type = TYPES[e.type];
  if (!type) return { kind: "foreign", what: `event type ${bounded(e.type)}` };
  const data = keyVaultData.safeParse(e.data);
  if (!data.success) return { kind: "malformed", why: `a ${type} event without VaultName / ObjectName` };
  const object = type.startsWith("Certificate") ? "certificate" : "secret";
  if (data.data.ObjectType && data.data.ObjectType.toLowerCase() !== object) {
    return { kind: "foreign", what: `a ${type} event for a ${bounded(data.data.ObjectType)}` };
  }
  return {
    kind: "event",
    event: {
      type,
      object,
      vaultName: data.data.VaultName,
      secretName: data.data.ObjectName,
      ...(data.data.Version && { version: data.data.Version }),
    },
  };
}

function parseBody(text: string): unknown {
  const trimmed = text.trim();
  const candidates = [trimmed];
  if (/^[A-Za-z0-9+/=\s]+$/.test(trimmed))
    candidates.unshift(Buffer.from(trimmed, "base64").toString("utf8"));
  for (const c of candidates) {
    try {
      return JSON.parse(c) as unknown;
    } catch {
      // try the next reading
    }
  }
  return undefined;
}

/** Foreign text shown in a log line: short, one line. */
function bounded(s: string): string {
  const one = s.replace(/[^\x20-\x7e]/g, "?");
  return one.length > 80 ? `${one.slice(0, 80)}…` : one;
}
