/**
 * The broker under test, in its own process so its CPU and memory are its own (the bench starts it
 * pinned to one core). `node broker-child.js bare` runs aedes 1.2.0 with no hooks;
 * `node broker-child.js uns` runs the UNS server on a temporary copy of the test fixtures with an
 * embedded database. Talks to the bench over IPC: "ready" with the port, then "totals" on request,
 * and exits on "stop".
 */
import { randomBytes, scryptSync } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parseDocument } from "yaml";
import {
  BENCH_PASSWORD,
  type ChildReply,
  type ChildRequest,
  IDLE_USER,
  PUBLISHER_USER,
  SUBSCRIBER_USER,
  type UnsTotals,
} from "./protocol.js";
import { installThreadMap, threadMap } from "./thread-map.js";

/** `key=value` pairs as config overrides; a value that is not JSON is taken as a string. */
function settingOverrides(pairs: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const i = pair.indexOf("=");
    if (i <= 0) throw new Error(`--set ${pair}: expected key=value, e.g. workers.queueMaxBytes=8388608`);
    const raw = pair.slice(i + 1);
    try {
      out[pair.slice(0, i)] = JSON.parse(raw);
    } catch {
      out[pair.slice(0, i)] = raw;
    }
  }
  return out;
}

// Before the server is imported, so every worker thread it starts is mapped to its task id.
installThreadMap();

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    fixtures: { type: "string" },
    workers: { type: "string" },
    "store-flush-ms": { type: "string" },
    "client-queue-max-bytes": { type: "string" },
    /** A server setting, key=value (JSON values), e.g. --set auth.mqttLoginCacheSeconds=0. */
    set: { type: "string", multiple: true, default: [] },
    /** store.ackAfterDurable: a QoS 1 PUBACK waits until the outcome is fsynced (group commit). */
    "ack-after-durable": { type: "boolean", default: false },
    nodelay: { type: "boolean", default: false },
    /** Where to write the time marks that bound the measured window in --cpu-prof profiles. */
    marks: { type: "string" },
    /** Start with a copy of this data folder (an initialised embedded database). */
    "data-template": { type: "string" },
    /** Initialise the embedded database in this folder and keep it, to be used as a template. */
    "make-template": { type: "string" },
  },
});
const kind = positionals[0];

function send(msg: ChildReply): void {
  process.send?.(msg);
}

// The bench going away must not leave a broker behind.
process.on("disconnect", () => process.exit(0));

/**
 * `--nodelay`: turn Nagle's algorithm off on every MQTT connection, the same way for both brokers
 * (aedes leaves it on). An experiment, not what the server ships.
 */
function noDelay(client: { conn: unknown }): void {
  (client.conn as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
}

/**
 * The user the idle-connection measurement logs in 10,000 times. The server checks its password
 * with scrypt like any other, but with N = 1024 (128 KiB, well under a millisecond) instead of
 * 16384: the measurement is about what an idle connection holds, not about 10,000 scrypt runs
 * (minutes of CPU on two cores).
 */
function addCheapUser(file: string, name: string, password: string, roles: string[]): void {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 32, { N: 1024, r: 8, p: 1 });
  const doc = parseDocument(readFileSync(file, "utf8"));
  doc.setIn(["users", name], {
    roles,
    password: `scrypt$1024$8$1$${salt.toString("base64")}$${key.toString("base64")}`,
  });
  writeFileSync(file, doc.toString());
}

async function startBare() {
  // Imported here so the bare broker's memory holds aedes only, not the UNS server's modules.
  const { Aedes } = await import("aedes");
  const broker = await Aedes.createBroker();
  if (values.nodelay) broker.on("client", noDelay);
  const server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  return {
    port: typeof addr === "object" && addr ? addr.port : 0,
    info: {},
    totals: async () => null,
    async stop() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function startUns() {
  const [{ createUnsServer, loadConfig }, { addUser }] = await Promise.all([
    import("@uns/server"),
    import("@uns/contracts"),
  ]);
  const fixtures = values.fixtures ?? fileURLToPath(new URL("../../test/fixtures/", import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), "uns-bench-"));
  // Removed however the child ends (stopped, failed to start, or orphaned by the bench).
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(fixtures, "asyncapi"), join(dir, "asyncapi"), { recursive: true });
  cpSync(join(fixtures, "topics"), join(dir, "topics"), { recursive: true });
  await addUser(join(dir, "topics"), PUBLISHER_USER, BENCH_PASSWORD, ["device"]);
  await addUser(join(dir, "topics"), SUBSCRIBER_USER, BENCH_PASSWORD, ["viewer"]);
  addCheapUser(join(dir, "topics", "users.yaml"), IDLE_USER, BENCH_PASSWORD, ["device"]);
  // A fresh embedded database runs initdb and the migrations: seconds of work that is not what we
  // measure, so every run but the first starts from a copy of one initialised data folder.
  const template = values["data-template"];
  if (template) cpSync(template, join(dir, "data"), { recursive: true });
  const dataDir = values["make-template"] ?? join(dir, "data");
  // env: {} so settings in the caller's shell do not change what is measured.
  const config = loadConfig({
    env: {},
    overrides: {
      "mqtt.host": "127.0.0.1",
      "mqtt.port": 0,
      "http.host": "127.0.0.1",
      "http.port": 0,
      dataDir,
      contractsDir: join(dir, "asyncapi"),
      topicsDir: join(dir, "topics"),
      "log.level": "silent",
      ...(values.workers ? { "workers.size": Number(values.workers) } : {}),
      ...(values["store-flush-ms"] ? { "store.flushIntervalMs": Number(values["store-flush-ms"]) } : {}),
      ...(values["client-queue-max-bytes"]
        ? { "mqtt.clientQueueMaxBytes": Number(values["client-queue-max-bytes"]) }
        : {}),
      ...(values["ack-after-durable"] ? { "store.ackAfterDurable": true } : {}),
      ...settingOverrides(values.set),
    },
  });
  const server = await createUnsServer(config);
  if (values.nodelay) server.broker.broker.on("client", noDelay);
  const { mqttPort } = await server.start();
  return {
    port: mqttPort ?? 0,
    info: {
      workers: config.workers.size,
      queueLength: config.workers.queueLength,
      batchSize: config.workers.batchSize,
      ackAfterDurable: config.store.ackAfterDurable,
    },
    totals: async (): Promise<UnsTotals> => {
      const dropped = await server.metrics.slowClientDropped.get();
      return {
        ...server.live.totals(),
        pool: server.pool.stats(),
        inline: server.inline.stats().judged,
        slowClientDropped: dropped.values.reduce((sum, v) => sum + v.value, 0),
      };
    },
    stop: () => server.stop(),
  };
}

try {
  if (kind !== "bare" && kind !== "uns") throw new Error(`usage: broker-child.js bare|uns (got ${kind})`);
  const broker = kind === "bare" ? await startBare() : await startUns();
  // Microseconds on the monotonic clock, the time base of V8's CPU profiles (startTime, timeDeltas).
  const marks: Record<string, number> = {};
  process.on("message", (msg: ChildRequest) => {
    if (msg.type === "totals")
      void broker.totals().then((totals) => send({ type: "totals", id: msg.id, totals }));
    else if (msg.type === "threads") send({ type: "threads", id: msg.id, threads: threadMap() });
    else if (msg.type === "mark") {
      marks[msg.name] = Number(process.hrtime.bigint() / 1000n);
      if (values.marks) writeFileSync(values.marks, JSON.stringify(marks));
    } else if (msg.type === "stop") {
      broker.stop().then(
        () => process.exit(0),
        (err: Error) => {
          console.error(`broker-child: stop failed: ${err.message}`);
          process.exit(1);
        },
      );
    }
  });
  send({ type: "ready", port: broker.port, info: broker.info });
} catch (err) {
  send({ type: "failed", message: (err as Error).stack ?? String(err) });
  process.exit(1);
}
