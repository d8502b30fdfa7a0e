/**
 * The Key Vault DNS suffixes of the Azure clouds. Key Vault's authentication challenge names the suffix
 * its vault lives under, and the Key Vault SDK refuses a vault URL whose host is not under that suffix.
 */
export const KEY_VAULT_DOMAINS = [
  "vault.azure.net",
  "vault.azure.cn",
  "vault.usgovcloudapi.net",
  "vault.microsoftazure.de",
] as const;

export function underKeyVaultDomain(host: string): boolean {
  return KEY_VAULT_DOMAINS.some((d) => host.endsWith(`.${d}`));
}
