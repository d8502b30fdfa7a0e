/**
 * Allow-list redaction for component metadata: a value is shown only when its component type declares the
 * field loggable (src/metadata/declaration.ts). Credentials and unknown keys are logged as "[redacted]".
 */
import type { MetadataDeclaration } from "../metadata/declaration.js";

export const REDACTED = "[redacted]";

export function redactMetadata(
  props: Record<string, string>,
  declaration: MetadataDeclaration,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(props)) out[k] = declaration.mayLog(k) ? v : REDACTED;
  return out;
}
