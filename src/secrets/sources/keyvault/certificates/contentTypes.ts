/** The content types Key Vault gives a certificate's secret; apart, so checking one loads no parser. */
export const PKCS12_CONTENT_TYPE = "application/x-pkcs12";
export const PEM_CONTENT_TYPE = "application/x-pem-file";

export function isCertificateContentType(contentType: string | undefined): boolean {
  const t = contentType?.split(";")[0]?.trim().toLowerCase();
  return t === PKCS12_CONTENT_TYPE || t === PEM_CONTENT_TYPE;
}
