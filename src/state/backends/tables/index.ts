/**
 * The Tables backend's public surface (Azure Storage Tables, or Cosmos DB's Table API). Importing it loads
 * the Tables SDK, so importers that may never use Tables (the state component) import it on first use.
 */
export { openTablesBackend, type TablesBackendOptions } from "./tablesBackend.js";
export { tablesAuthFor, type TablesAuth } from "./tablesAuth.js";
export { planConnection, readConnectionString, type ConnectionPlan } from "./tablesConnection.js";
