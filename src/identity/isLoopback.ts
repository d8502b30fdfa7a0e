/**
 * Whether a URL's host is this machine (a dev stand-in or Azurite): only such a host may be reached over
 * plain http with a key (Tables), or skip Key Vault's challenge check, which a loopback name cannot pass.
 */
export function isLoopback(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
