import { createConnection } from "node:net";
import { describe, expect, it } from "vitest";
import { startRedis, startTcpProxy } from "./redis.js";

/** One RESP PING over a fresh connection: "+PONG", or the error that ended the connection. */
function ping(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = createConnection({ host: "127.0.0.1", port });
    s.once("error", (err) => resolve(`error: ${err.message}`));
    s.once("close", () => resolve("closed"));
    s.once("connect", () => s.write("PING\r\n"));
    s.once("data", (d) => {
      resolve(d.toString().trim());
      s.destroy();
    });
  });
}

describe("startRedis and startTcpProxy", () => {
  it("start a real redis-server, relay to it, cut the relay and restore it, and stop the server by pid", async () => {
    const redis = await startRedis();
    const proxy = await startTcpProxy(redis.port, "redis");
    try {
      expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
      expect(await ping(redis.port)).toBe("+PONG");
      expect(await ping(proxy.port)).toBe("+PONG");
      proxy.cut();
      expect(await ping(proxy.port)).not.toBe("+PONG");
      proxy.restore();
      expect(await ping(proxy.port)).toBe("+PONG");
    } finally {
      await proxy.close();
      await redis.destroy();
    }
    expect(() => process.kill(redis.pid, 0)).toThrow();
  });
});
