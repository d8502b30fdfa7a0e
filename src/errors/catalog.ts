/**
 * Transition only: every area's wording under the one `errors` name that importers used before the areas
 * were split (#23). New code imports the area it needs: errors/instances.ts, server.ts, secrets.ts,
 * state.ts or identity.ts. What still imports this file is the server and the component kinds, whose
 * files are being reworked for the boot boundary at the same time.
 */
import { identityErrors } from "./identity.js";
import { instanceErrors } from "./instances.js";
import { secretErrors } from "./secrets.js";
import { serverErrors } from "./server.js";
import { stateErrors } from "./state.js";

export const errors = {
  ...instanceErrors,
  ...serverErrors,
  ...stateErrors,
  ...secretErrors,
  ...identityErrors,
};
