import { startAzurite, type Azurite, type AzuriteOptions } from "../../dev/azurite.js";
import { testTls } from "./standins.js";

export { startAzurite, DEV_ACCOUNT, DEV_KEY, type Azurite } from "../../dev/azurite.js";

/** Azurite over HTTPS with the suite's test certificate (and OAuth), on free ports unless given. */
export function startTestAzurite(opts: Omit<AzuriteOptions, "certFile" | "keyFile"> = {}): Promise<Azurite> {
  const tls = testTls();
  return startAzurite({ certFile: tls.certFile, keyFile: tls.keyFile, ...opts });
}
