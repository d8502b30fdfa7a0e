/**
 * Runs every Tables call for one backend: each under its own deadline, with one retry after a 401 using
 * a genuinely new token (the credential renews past every cache and the client, whose token cycler holds
 * the old token, is rebuilt). A claims challenge is answered inside the SDK's bearer policy, which asks
 * the credential for a token with those claims. Throttling and 5xx are retried by the SDK's own policy.
 */
import type { TableClient } from "@azure/data-tables";
import { describeAzureFailure } from "../../errors/azureFailure.js";
import { STORAGE_SCOPE, type Connection } from "./tablesConnection.js";

export class TablesCaller {
  private client: TableClient;

  constructor(
    private readonly connection: Connection,
    private readonly timeoutMs: number,
  ) {
    this.client = connection.makeClient();
  }

  async call<T>(fn: (c: TableClient, options: { abortSignal: AbortSignal }) => Promise<T>): Promise<T> {
    const abortSignal = AbortSignal.timeout(this.timeoutMs);
    try {
      return await fn(this.client, { abortSignal });
    } catch (e) {
      const credential = this.connection.credential;
      const f = describeAzureFailure(e);
      if (f.status !== 401 || credential === undefined || abortSignal.aborted) throw e;
      await credential.renew(STORAGE_SCOPE, f.claims);
      this.client = this.connection.makeClient();
      return fn(this.client, { abortSignal });
    }
  }
}
