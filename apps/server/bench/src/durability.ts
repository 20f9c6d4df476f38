/**
 * What durability costs, and what the packet limit saves (issue 9). Not part of the tests:
 * `pnpm build && node apps/server/bench/dist/durability.js` (about 40 s).
 *
 * 1. PUBACK latency at a steady 500 QoS 1 weld spots/s (one publisher, monitor policy), p50 / p99,
 *    for the default (outcomes fsynced every store.flushIntervalMs) and store.ackAfterDurable
 *    (group commit: the PUBACK waits for the outcome's fsync), each in a fresh server process,
 *    measured in the same run.
 * 2. The broker's memory when a socket sends a CONNECT claiming 256 MB and streams at it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { addUser } from "@uns/contracts";
import mqtt from "mqtt";
import { weldPayload } from "./weld-payload.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "8" },
    rate: { type: "string", default: "500" },
  },
});
const SECONDS = Number(values.seconds);
const RATE = Number(values.rate);
const PASSWORD = "bench-password-1";
const MAIN = fileURLToPath(new URL("../../dist/main.js", import.meta.url));
const FIXTURES = fileURLToPath(new URL("../../test/fixtures/", import.meta.url));
const TOPIC = "acme/plant-a/body-shop/line-02/cell-03/weld-spot";

async function startServer(
  env: Record<string, string>,
): Promise<{ proc: ChildProcess; port: number; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "uns-bench-durable-"));
  cpSync(join(FIXTURES, "asyncapi"), join(dir, "asyncapi"), { recursive: true });
  cpSync(join(FIXTURES, "topics"), join(dir, "topics"), { recursive: true });
  await addUser(join(dir, "topics"), "admin", PASSWORD, ["admin"]);
  const proc = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? "",
      UNS_DATA_DIR: join(dir, "data"),
      UNS_CONTRACTS_DIR: join(dir, "asyncapi"),
      UNS_TOPICS_DIR: join(dir, "topics"),
      UNS_MQTT_HOST: "127.0.0.1",
      UNS_MQTT_PORT: "0",
      UNS_HTTP_HOST: "127.0.0.1",
      UNS_HTTP_PORT: "0",
      ...env,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("server did not start")), 60_000);
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /"mqttPort":(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  return { proc, port, dir };
}

async function stopServer(s: { proc: ChildProcess; dir: string }): Promise<void> {
  const exited = new Promise((r) => s.proc.once("exit", r));
  s.proc.kill("SIGTERM");
  await exited;
  rmSync(s.dir, { recursive: true, force: true });
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

async function pubackLatency(port: number): Promise<{ p50: number; p99: number; n: number }> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    username: "admin",
    password: PASSWORD,
    reconnectPeriod: 0,
    protocolVersion: 4,
  });
  const payload = weldPayload(1).bytes;
  // warm-up: contracts compiled, JIT warm
  for (let i = 0; i < 200; i++) await client.publishAsync(TOPIC, payload, { qos: 1 });
  const samples: number[] = [];
  const pending: Promise<void>[] = [];
  const intervalMs = 1000 / RATE;
  const start = performance.now();
  for (let i = 0; i < SECONDS * RATE; i++) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const t0 = performance.now();
    pending.push(
      client.publishAsync(TOPIC, payload, { qos: 1 }).then(() => void samples.push(performance.now() - t0)),
    );
  }
  await Promise.all(pending);
  await client.endAsync();
  samples.sort((a, b) => a - b);
  return { p50: pct(samples, 0.5), p99: pct(samples, 0.99), n: samples.length };
}

async function connectClaim(
  port: number,
  pid: number,
): Promise<{ before: number; peak: number; sentMb: number; closed: boolean }> {
  const before = rssMb(pid);
  let peak = before;
  const sock = connect({ host: "127.0.0.1", port });
  await new Promise((r) => sock.once("connect", r));
  sock.on("error", () => undefined);
  let closed = false;
  sock.once("close", () => {
    closed = true;
  });
  // CONNECT claiming 256 MB (remaining length 268,435,449 = 0xf9 0xff 0xff 0x7f), then up to 200 MB of it.
  sock.write(Buffer.from([0x10, 0xf9, 0xff, 0xff, 0x7f]));
  const chunk = Buffer.alloc(1 << 20, 0x41);
  let sent = 0;
  const until = Date.now() + 10_000;
  while (!closed && sent < 200 && Date.now() < until) {
    if (!sock.write(chunk)) await new Promise((r) => sock.once("drain", r).once("close", r));
    sent++;
    if (sent % 10 === 0) peak = Math.max(peak, rssMb(pid));
  }
  await new Promise((r) => setTimeout(r, 300));
  peak = Math.max(peak, rssMb(pid));
  sock.destroy();
  return { before, peak, sentMb: sent, closed };
}

const results: Record<string, { p50: number; p99: number; n: number }> = {};
for (const [name, env] of [
  ["default", {}],
  ["ackAfterDurable", { UNS_STORE_ACK_AFTER_DURABLE: "true" }],
] as const) {
  const s = await startServer(env);
  results[name] = await pubackLatency(s.port);
  if (name === "default") {
    const m = await connectClaim(s.port, s.proc.pid!);
    console.log(
      `CONNECT claiming 256 MB: connection ${m.closed ? "closed" : "still open"} after ${m.sentMb} MB sent; broker RSS ${m.before.toFixed(0)} -> peak ${m.peak.toFixed(0)} MB (+${(m.peak - m.before).toFixed(0)} MB)`,
    );
  }
  await stopServer(s);
}
const d = results.default!;
const g = results.ackAfterDurable!;
console.log(`PUBACK latency, QoS 1 weld spots at ${RATE}/s for ${SECONDS} s (monitor policy), ms:`);
console.log("| mode | p50 | p99 | samples |\n|---|---|---|---|");
for (const [name, r] of Object.entries(results))
  console.log(`| ${name} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.n} |`);
console.log(
  `ratio ackAfterDurable / default: p50 x${(g.p50 / d.p50).toFixed(1)}, p99 x${(g.p99 / d.p99).toFixed(1)}`,
);
process.exit(0);
