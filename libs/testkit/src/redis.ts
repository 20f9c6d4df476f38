import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.js";

/** A throwaway Redis server on a loopback port; see {@link startRedis}. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The server's process id (stopped by this pid only). */
  readonly pid: number;
  /** Stop the server (SIGTERM, waits for the exit) and remove its temporary folder. */
  destroy(): Promise<void>;
}

export interface StartRedisOptions {
  /** Path of redis-server. Default: /usr/bin/redis-server if present, else PATH. */
  bin?: string;
}

/**
 * Start a throwaway `redis-server` on a free loopback port with its working directory in a temp
 * folder, no snapshots and no append-only file (a test's Redis need not survive itself).
 *
 * @example
 * const redis = await startRedis();
 * try { await use(redis.url); } finally { await redis.destroy(); }
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), "uns-redis-"));
  const port = await freePort();
  const bin = options.bin ?? "redis-server";
  const child = spawn(
    bin,
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  try {
    await waitForReady(child, port, () => output);
  } catch (err) {
    child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const pid = child.pid ?? 0;
  let destroyed: Promise<void> | null = null;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid,
    destroy() {
      destroyed ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((r) => child.once("exit", r));
          child.kill("SIGTERM");
          await exited;
        }
        await rm(dir, { recursive: true, force: true });
      })();
      return destroyed;
    },
  };
}

async function waitForReady(child: ChildProcess, port: number, output: () => string): Promise<void> {
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`testkit: redis-server exited:\n${output()}`);
    if (await ping(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`testkit: redis-server not ready on port ${port} within 10 s:\n${output()}`);
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: "127.0.0.1", port });
    s.once("error", () => resolve(false));
    s.once("connect", () => s.write("PING\r\n"));
    s.once("data", (d) => {
      s.destroy();
      resolve(d.toString().startsWith("+PONG"));
    });
  });
}

/** A TCP relay to a target port that a test can cut (to cut one client off a server) and restore. */
export interface TcpProxy {
  readonly port: number;
  readonly url: string;
  /** Destroy every relayed connection and refuse new ones until {@link TcpProxy.restore}. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/**
 * A loopback TCP relay to `targetPort`, for cutting one process off a shared server (Redis,
 * PostgreSQL) while the others keep it.
 *
 * @example
 * const proxy = await startTcpProxy(redis.port, "redis");
 * proxy.cut(); // the node behind the proxy has lost Redis
 */
export async function startTcpProxy(targetPort: number, scheme = "tcp"): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let open = true;
  const server: Server = createServer((inbound) => {
    if (!open) {
      inbound.destroy();
      return;
    }
    const outbound = createConnection({ host: "127.0.0.1", port: targetPort });
    sockets.add(inbound);
    sockets.add(outbound);
    const drop = () => {
      inbound.destroy();
      outbound.destroy();
      sockets.delete(inbound);
      sockets.delete(outbound);
    };
    inbound.on("error", drop).on("close", drop);
    outbound.on("error", drop).on("close", drop);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  const proxy: TcpProxy = {
    port,
    url: `${scheme}://127.0.0.1:${port}`,
    cut() {
      open = false;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    restore() {
      open = true;
    },
    close() {
      proxy.cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
