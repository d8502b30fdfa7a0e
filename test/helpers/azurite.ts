export { startAzurite, DEV_ACCOUNT, DEV_KEY, type Azurite } from "../../dev/azurite.js";
