/**
 * Which folder the socket goes in. daprd reads DAPR_COMPONENTS_SOCKETS_FOLDER; Dapr's sidecar injector gives
 * component containers DAPR_COMPONENT_SOCKETS_FOLDER (the Go components SDK's name). keyless takes either, so it
 * lands where daprd looks however it was started, and refuses a pair that disagree rather than guess.
 */
export const DEFAULT_SOCKET_FOLDER = "/tmp/dapr-components-sockets";
export const DAPRD_FOLDER_VAR = "DAPR_COMPONENTS_SOCKETS_FOLDER";
export const INJECTOR_FOLDER_VAR = "DAPR_COMPONENT_SOCKETS_FOLDER";

export class SocketFolderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SocketFolderError";
  }
}

function read(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  if (value !== undefined && value.trim() === "") {
    throw new SocketFolderError(
      `${name} is set but empty; daprd would then find no pluggable components. Unset it or name a folder.`,
    );
  }
  return value;
}

export function socketFolder(env: NodeJS.ProcessEnv): string {
  const daprd = read(env, DAPRD_FOLDER_VAR);
  const injector = read(env, INJECTOR_FOLDER_VAR);
  if (daprd !== undefined && injector !== undefined && daprd !== injector) {
    throw new SocketFolderError(
      `${DAPRD_FOLDER_VAR}=${daprd} and ${INJECTOR_FOLDER_VAR}=${injector} name different socket folders; ` +
        `daprd looks only in ${DAPRD_FOLDER_VAR}. Set one of them, or both to the same folder.`,
    );
  }
  return daprd ?? injector ?? DEFAULT_SOCKET_FOLDER;
}
