/**
 * Last line of defence for free text that leaves the process (log lines, error answers, doctor output):
 * URL query strings (where a SAS lives), SAS signatures, account keys, connection-string secrets and
 * bearer tokens are replaced by "[redacted]". Messages are built not to contain these in the first place;
 * this catches the text of unexpected errors, which keyless did not write.
 */
const RULES: [RegExp, string][] = [
  // A URL's query string: keep scheme, host and path.
  [/(\bhttps?:\/\/[^\s?#"'<>]+)\?[^\s#"'<>]*/gi, "$1?[redacted]"],
  // Connection-string parts that are credentials (up to the next ; or quote).
  [/\b(AccountKey|SharedAccessSignature|SharedAccessKey|Password|Pwd)=[^;"'\s]*/gi, "$1=[redacted]"],
  // A SAS outside a URL: sig=..., and a bare "sv=...&...sig=..." token.
  [/\bsig=[^&;"'\s]*/gi, "sig=[redacted]"],
  // Bearer tokens and anything shaped like a JWT.
  [/\bBearer\s+[\w.~+/=-]+/g, "Bearer [redacted]"],
  [/\beyJ[\w-]+\.[\w-]+\.[\w-]*/g, "[redacted]"],
];

export function scrubCredentials(text: string): string {
  let out = text;
  for (const [re, to] of RULES) out = out.replace(re, to);
  return out;
}
