export { waitFor, sleep } from "../../dev/wait.js";
