import getPort from "get-port";

/**
 * A TCP port that is free on the loopback interface right now (get-port: the OS picks it, and a
 * port handed out is not handed out again for a while, which narrows the race between probing
 * a port and the caller binding it).
 *
 * @example
 * const port = await freePort();
 */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return getPort({ host });
}
