/**
 * Key Vault secret names allow only letters, digits and "-". With `nameMapping: dashes` (the default)
 * "_" and "." become "-", so `db_password` and `db.password` are read from `db-password`; the answer is
 * still keyed by the name the caller asked for. Anything else that is not a legal vault name is never
 * sent to the vault (the source answers "not here"), which also keeps path tricks out of request URLs.
 */
export type NameMapping = "dashes" | "none";

const LEGAL = /^[0-9A-Za-z-]{1,127}$/;

export function toKeyVaultName(name: string, mapping: NameMapping): string | undefined {
  const mapped = mapping === "dashes" ? name.replace(/[_.]/g, "-") : name;
  return LEGAL.test(mapped) ? mapped : undefined;
}
