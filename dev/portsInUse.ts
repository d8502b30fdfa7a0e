/**
 * The dev loop's first step: every port it will listen on must be free, or it stops at once naming the port
 * and the variable that moves it (rather than a later, vaguer time-out from whichever part lost the race).
 */
import net from "node:net";

function inUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(true));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(false)));
  });
}

/** Returns one line per busy port: "<port> (<variable>)". */
export async function portsInUse(ports: Record<string, number>): Promise<string[]> {
  const busy: string[] = [];
  for (const [variable, port] of Object.entries(ports)) {
    if (await inUse(port)) busy.push(`${port} (${variable})`);
  }
  return busy;
}
