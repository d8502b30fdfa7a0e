/** Turns an instance name into a single safe path segment: no separators, no dot-only names. */
export function fileSafeName(name: string): string {
  return encodeURIComponent(name).replace(/\./g, "%2E").replace(/\*/g, "%2A");
}
