import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ChildReply, ChildThread, UnsTotals } from "./protocol.js";

/**
 * The brokers the bench compares, each in a process of its own (pinned to the broker's core):
 * bare aedes and the UNS server in `broker-child.js`, mosquitto (Debian's package) as a second
 * reference.
 */
export const BROKERS = [
  "bare",
  "mosquitto",
  "uns-monitor",
  "uns-enforce",
  "uns-monitor-durable",
  "uns-enforce-durable",
] as const;
export type BrokerKind = (typeof BROKERS)[number];

export const isUns = (k: BrokerKind) => k.startsWith("uns-");
/** store.ackAfterDurable: only meaningful at QoS 1 (a PUBACK to delay). */
export const isDurable = (k: BrokerKind) => k.endsWith("-durable");

export interface BrokerProcess {
  pid: number;
  port: number;
  info: Record<string, unknown>;
  /** The UNS server's counts (null for the others). */
  totals(): Promise<UnsTotals | null>;
  /** Task ids of the worker threads, by role (empty for the others). */
  threads(): Promise<ChildThread[]>;
  /** Marks a moment in the child (for --cpu-prof: the window profile-summary looks at). */
  mark(name: string): void;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** taskset -c list, or null for unpinned. */
  cores: number[] | null;
  workers?: number;
  tcpNoDelay: boolean;
  storeFlushMs?: number;
  /** The UNS server's mqtt.clientQueueMaxBytes. */
  clientQueueMaxBytes?: number;
  /** UNS server settings, key=value (broker-child.ts --set). */
  settings?: string[];
  /** Initialised embedded database to copy (UNS). */
  dataTemplate: string | null;
  /** Make the template in this folder instead of running a bench broker. */
  makeTemplate?: string;
  /** Write V8 CPU profiles to this folder. */
  cpuProfDir?: string;
}

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * The broker process's environment. MALLOC_ARENA_MAX as `pnpm start` and the Docker image set
 * it (see the README's memory section): glibc otherwise keeps an arena per thread that touched
 * malloc, and scrypt's 16 MiB blocks from the libuv pool stay in them.
 */
export function brokerEnv(): NodeJS.ProcessEnv {
  return { ...process.env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? "2" };
}

export function startBroker(kind: BrokerKind, o: StartOptions): Promise<BrokerProcess> {
  return kind === "mosquitto" ? startMosquitto(o) : startNodeBroker(kind, o);
}

function startNodeBroker(kind: BrokerKind, o: StartOptions): Promise<BrokerProcess> {
  const uns = isUns(kind);
  const nodeArgs: string[] = [];
  const childArgs: string[] = [];
  if (o.makeTemplate) childArgs.push("--make-template", o.makeTemplate);
  else if (uns && o.dataTemplate) childArgs.push("--data-template", o.dataTemplate);
  if (o.cpuProfDir && !o.makeTemplate) {
    mkdirSync(o.cpuProfDir, { recursive: true });
    nodeArgs.push("--cpu-prof", `--cpu-prof-dir=${o.cpuProfDir}`);
    childArgs.push("--marks", join(o.cpuProfDir, "marks.json"));
  }
  const script = [
    here("./broker-child.js"),
    uns ? "uns" : "bare",
    ...childArgs,
    ...(o.workers ? ["--workers", String(o.workers)] : []),
    ...(o.tcpNoDelay ? ["--nodelay"] : []),
    ...(o.storeFlushMs ? ["--store-flush-ms", String(o.storeFlushMs)] : []),
    ...(o.clientQueueMaxBytes ? ["--client-queue-max-bytes", String(o.clientQueueMaxBytes)] : []),
    ...(isDurable(kind) ? ["--ack-after-durable"] : []),
    ...(uns ? (o.settings ?? []).flatMap((s) => ["--set", s]) : []),
  ];
  const stdio: ("ignore" | "inherit" | "ipc")[] = ["ignore", "inherit", "inherit", "ipc"];
  const child: ChildProcess = o.cores
    ? spawn("taskset", ["-c", o.cores.join(","), process.execPath, ...nodeArgs, ...script], {
        stdio,
        env: brokerEnv(),
      })
    : spawn(process.execPath, [...nodeArgs, ...script], { stdio, env: brokerEnv() });
  let nextId = 1;
  const waiting = new Map<number, (v: unknown) => void>();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ask = <T>(type: "totals" | "threads") =>
    new Promise<T>((res) => {
      if (child.exitCode !== null || !child.connected) return res((type === "totals" ? null : []) as T);
      const id = nextId++;
      waiting.set(id, res as (v: unknown) => void);
      child.send({ type, id });
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${kind}: broker not ready within 120 s`));
    }, 120_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${kind}: broker exited with code ${code} before it was ready`));
    });
    child.on("message", (msg: ChildReply) => {
      if (msg.type === "failed") {
        clearTimeout(timer);
        reject(new Error(`${kind}: broker failed to start:\n${msg.message}`));
      } else if (msg.type === "totals" || msg.type === "threads") {
        waiting.get(msg.id)?.(msg.type === "totals" ? msg.totals : msg.threads);
        waiting.delete(msg.id);
      } else if (msg.type === "ready") {
        clearTimeout(timer);
        resolve({
          pid: child.pid!,
          port: msg.port,
          info: msg.info,
          totals: () => ask<UnsTotals | null>("totals"),
          threads: () => ask<ChildThread[]>("threads"),
          mark: (name) => child.send({ type: "mark", name }),
          async stop() {
            if (child.exitCode !== null) return;
            child.send({ type: "stop" });
            const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
            await exited;
            clearTimeout(killer);
          },
        });
      }
    });
  });
}

let mosquittoPath: string | null | undefined;

/** The mosquitto binary, or null when it is not installed (and could not be). */
export function findMosquitto(install: boolean): { path: string | null; note: string } {
  if (mosquittoPath !== undefined)
    return { path: mosquittoPath, note: mosquittoPath ? "" : "mosquitto not available" };
  const which = () => {
    for (const p of ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"]) {
      if (spawnSync(p, ["-h"]).error === undefined) return p;
    }
    return null;
  };
  let path = which();
  let note = "";
  if (!path && install) {
    // Debian's package; needs root and a reachable mirror. A failure only skips mosquitto.
    const r = spawnSync("apt-get", ["install", "-y", "--no-install-recommends", "mosquitto"], {
      stdio: "ignore",
      timeout: 180_000,
    });
    path = which();
    if (!path)
      note = `mosquitto not installed and apt-get install failed (${r.error?.message ?? `exit ${r.status}`}); skipped`;
  } else if (!path) note = "mosquitto not installed (--no-install); skipped";
  mosquittoPath = path;
  return { path, note };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const addr = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return typeof addr === "object" && addr ? addr.port : 0;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: "127.0.0.1" });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/**
 * mosquitto 2 with what it needs to take the bench's load without dropping: no limit on a
 * subscriber's queue or in-flight QoS 1 messages (aedes has none either), anonymous access (the
 * bench's user names are ignored), no persistence, no logging.
 */
async function startMosquitto(o: StartOptions): Promise<BrokerProcess> {
  const { path } = findMosquitto(false);
  if (!path) throw new Error("mosquitto not available");
  const dir = mkdtempSync(join(tmpdir(), "uns-bench-mosquitto-"));
  const port = await freePort();
  const conf = join(dir, "mosquitto.conf");
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      "allow_anonymous true",
      "persistence false",
      "log_dest none",
      "max_inflight_messages 0",
      "max_queued_messages 0",
      "max_queued_bytes 0",
      "max_connections -1",
      o.tcpNoDelay ? "set_tcp_nodelay true" : "",
      "",
    ].join("\n"),
  );
  const args = ["-c", conf];
  const child = o.cores
    ? spawn("taskset", ["-c", o.cores.join(","), path, ...args], { stdio: ["ignore", "ignore", "inherit"] })
    : spawn(path, args, { stdio: ["ignore", "ignore", "inherit"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const until = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || Date.now() > until) {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`mosquitto did not listen on ${port} (exit ${child.exitCode})`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const version = spawnSync(path, ["-h"], { encoding: "utf8" }).stdout.split("\n")[0] ?? "";
  return {
    // taskset execs mosquitto: same pid.
    pid: child.pid!,
    port,
    info: { version: version.trim() },
    totals: async () => null,
    threads: async () => [],
    mark: () => {},
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(killer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
