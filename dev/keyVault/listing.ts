/** One page of a Key Vault listing (secrets, or one secret's versions) with an opaque $skiptoken. */
import { attributes, type StoredSecret } from "./vaultSecrets.js";

export const MAX_PAGE = 25;

export interface ListItem {
  id: string;
  attributes: unknown;
  contentType?: string;
  tags?: unknown;
}

export function secretItems(origin: string, secrets: StoredSecret[]): ListItem[] {
  return secrets.map((s) => {
    const latest = s.versions[s.versions.length - 1]!;
    return {
      id: `${origin}/secrets/${s.name}`,
      attributes: attributes(latest),
      ...(latest.contentType !== undefined && { contentType: latest.contentType }),
      ...(latest.tags !== undefined && { tags: latest.tags }),
    };
  });
}

export function versionItems(origin: string, s: StoredSecret | undefined): ListItem[] {
  return (s?.versions ?? []).map((v) => ({
    id: `${origin}/secrets/${s!.name}/${v.version}`,
    attributes: attributes(v),
  }));
}

/** The page the request asks for, and the absolute nextLink to the one after it (or null). */
export function page(origin: string, url: URL, items: ListItem[], max: number) {
  const skip = Number(Buffer.from(url.searchParams.get("$skiptoken") ?? "MA", "base64url").toString() || "0");
  const next =
    skip + max < items.length
      ? `${origin}${url.pathname}?api-version=${url.searchParams.get("api-version") ?? ""}&$skiptoken=${Buffer.from(String(skip + max)).toString("base64url")}${url.searchParams.has("maxresults") ? `&maxresults=${max}` : ""}`
      : null;
  return { value: items.slice(skip, skip + max), nextLink: next };
}
