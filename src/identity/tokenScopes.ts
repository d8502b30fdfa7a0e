/**
 * The token scopes keyless asks for, in one place. They load no SDK, so a caller that only needs a scope
 * (the doctor's token check, Init's early token) never loads the service's client.
 */
export const KEY_VAULT_SCOPE = "https://vault.azure.net/.default";
export const STORAGE_SCOPE = "https://storage.azure.com/.default";
