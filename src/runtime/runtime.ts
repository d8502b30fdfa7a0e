/**
 * What `serve` needs once daprd is talking to it, behind loadRuntime(): both component kinds and server
 * reflection. The Azure SDKs, SQLite and prom-client stay out of it: each loads on its own first use.
 */
export { secretStoreKind } from "../secrets/component.js";
export { stateKind } from "../state/component.js";
export { loadComponentDefinition } from "./componentDefinition.js";
export { reflectionCodecs } from "./reflectionCodecs.js";
