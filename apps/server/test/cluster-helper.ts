import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { addUser } from "@uns/contracts";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { FIXTURES, PASSWORD } from "./helper.js";

const MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));

/** One UNS server node in its own process (so a test can kill -9 it), started from dist/main.js. */
export interface ChildNode {
  nodeId: string;
  mqttUrl: string;
  httpUrl: string;
  process: ChildProcess;
  log(): string;
  connect(username?: string | null, opts?: IClientOptions): Promise<MqttClient>;
  api<T = unknown>(path: string): Promise<{ status: number; body: T }>;
  /** SIGKILL: no clean shutdown, no lease released, no STATE death. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
}

/** A folder with the test fixtures (topics, contracts) and users device / viewer / admin, shared by every node. */
export async function sharedFixtures(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "uns-cluster-"));
  cpSync(join(FIXTURES, "asyncapi"), join(dir, "asyncapi"), { recursive: true });
  cpSync(join(FIXTURES, "topics"), join(dir, "topics"), { recursive: true });
  for (const role of ["device", "viewer", "admin"])
    await addUser(join(dir, "topics"), role, PASSWORD, [role]);
  return dir;
}

export async function startChildNode(options: {
  nodeId: string;
  dir: string;
  redisUrl: string;
  databaseUrl: string;
  env?: Record<string, string>;
}): Promise<ChildNode> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    UNS_MQTT_HOST: "127.0.0.1",
    UNS_MQTT_PORT: "0",
    UNS_HTTP_HOST: "127.0.0.1",
    UNS_HTTP_PORT: "0",
    UNS_MQTT_ALLOW_ANONYMOUS: "false",
    UNS_DATA_DIR: join(options.dir, `data-${options.nodeId}`),
    UNS_CONTRACTS_DIR: join(options.dir, "asyncapi"),
    UNS_TOPICS_DIR: join(options.dir, "topics"),
    DATABASE_URL: options.databaseUrl,
    UNS_WORKERS_SIZE: "1",
    UNS_STORE_FLUSH_INTERVAL_MS: "50",
    UNS_CLUSTER_REDIS_URL: options.redisUrl,
    UNS_CLUSTER_NODE_ID: options.nodeId,
    UNS_CLUSTER_HEARTBEAT_MS: "1000",
    UNS_LOG_LEVEL: "info",
    ...options.env,
  };
  const child = spawn(process.execPath, [MAIN], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const ready = new Promise<{ mqttPort: number; httpPort: number }>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d.toString();
      if (process.env.UNS_TEST_CLUSTER_LOGS)
        appendFileSync(join(process.env.UNS_TEST_CLUSTER_LOGS, `${options.nodeId}.log`), d);
      for (const line of output.split("\n")) {
        if (!line.includes("UNS server ready")) continue;
        const parsed = JSON.parse(line) as { mqttPort: number; httpPort: number };
        resolve(parsed);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
    child.once("exit", (code) =>
      reject(new Error(`node ${options.nodeId} exited (${code}):\n${output.slice(-3000)}`)),
    );
    setTimeout(
      () => reject(new Error(`node ${options.nodeId} not ready in 90 s:\n${output.slice(-3000)}`)),
      90_000,
    ).unref();
  });
  const { mqttPort, httpPort } = await ready;
  const mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  let stopping = false;
  const exited = new Promise<void>((r) =>
    child.once("exit", (code, signal) => {
      // A node that dies on its own is a bug: show why, or the test only sees refused connections.
      if (!stopping)
        console.error(`node ${options.nodeId} exited (${code ?? signal}):\n${output.slice(-4000)}`);
      r();
    }),
  );
  return {
    nodeId: options.nodeId,
    mqttUrl,
    httpUrl,
    process: child,
    log: () => output,
    connect(username = "device", opts = {}) {
      return mqtt.connectAsync(mqttUrl, {
        username: username ?? undefined,
        password: username ? PASSWORD : undefined,
        reconnectPeriod: 0,
        connectTimeout: 15_000,
        protocolVersion: 4,
        ...opts,
      });
    },
    async api<T>(path: string) {
      // Every route but the health checks needs a login: the admin user, over HTTP Basic.
      const res = await fetch(httpUrl + path, {
        headers: { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString("base64")}` },
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON (metrics)
      }
      return { status: res.status, body: body as T };
    },
    async kill() {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
