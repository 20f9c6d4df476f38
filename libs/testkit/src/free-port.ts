import { createServer } from "node:net";

/**
 * A TCP port that is free on the loopback interface right now (the OS picks it).
 *
 * There is a short race between closing the probe socket and the caller binding the port; that is
 * acceptable for tests.
 *
 * @example
 * const port = await freePort();
 */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error("freePort: the server has no TCP address"));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}
