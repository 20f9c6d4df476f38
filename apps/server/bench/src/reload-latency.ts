#!/usr/bin/env node
/**
 * PUBACK latency while contracts are reloaded (issue 9: "a cyclic, huge or exploding contract
 * dropped in on a running server leaves PUBACKs under 50 ms"):
 * `node apps/server/bench/dist/reload-latency.js` (about 40 s, bounded).
 *
 * One real server on loopback with the test fixtures; one MQTT.js client publishes QoS 1 weld
 * spots at a steady 200/s; in each scenario a file is dropped into the contracts folder of the
 * running server, the reload is awaited, the file is removed again and that reload is awaited
 * too. The table gives PUBACK latency (publish call to PUBACK) over the whole scenario, with a
 * quiet baseline measured in the same run.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { addUser } from "@uns/contracts";
import { createUnsServer, loadConfig } from "@uns/server";
import mqtt from "mqtt";
import { pino } from "pino";
import { aliasBomb, cyclicContract, hugeContract } from "./hostile-docs.js";

const fixtures = fileURLToPath(new URL("../../test/fixtures/", import.meta.url));
const TOPIC = "acme/plant-a/body-shop/line-01/cell-01/weld-spot";
const RATE_PER_S = 200;
const payload = JSON.stringify({
  spotId: "s-1",
  time: "2026-11-22T10:00:00Z",
  currentKA: 9.5,
  weldTimeMs: 300,
  curve: Array.from({ length: 400 }, (_, i) => Math.round(Math.sin(i / 40) * 1000) / 10),
});

async function withServer<T>(
  overrides: NonNullable<Parameters<typeof loadConfig>[0]>["overrides"],
  fn: (s: Awaited<ReturnType<typeof createUnsServer>>, dir: string, client: mqtt.MqttClient) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "uns-reload-bench-"));
  cpSync(join(fixtures, "asyncapi"), join(dir, "asyncapi"), { recursive: true });
  cpSync(join(fixtures, "topics"), join(dir, "topics"), { recursive: true });
  await addUser(join(dir, "topics"), "device", "bench-password", ["device"]);
  const config = loadConfig({
    env: {},
    overrides: {
      "mqtt.host": "127.0.0.1",
      "mqtt.port": 0,
      "http.host": "127.0.0.1",
      "http.port": 0,
      dataDir: join(dir, "data"),
      contractsDir: join(dir, "asyncapi"),
      topicsDir: join(dir, "topics"),
      "workers.size": 1,
      ...overrides,
    },
  });
  const server = await createUnsServer(config, { logger: pino({ level: "silent" }) });
  const { mqttPort } = await server.start();
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
    username: "device",
    password: "bench-password",
    reconnectPeriod: 0,
    protocolVersion: 4,
  });
  try {
    return await fn(server, dir, client);
  } finally {
    await client.endAsync(true).catch(() => {});
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Publish at a steady rate while `during` runs (plus 500 ms either side); PUBACK latencies in ms. */
let loopMaxMs = 0;
async function measure(client: mqtt.MqttClient, during: () => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  // How long the event loop was blocked at worst (includes the process waiting for a core).
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const pending: Promise<void>[] = [];
  let next = performance.now();
  let running = true;
  const pace = (async () => {
    while (running) {
      const started = performance.now();
      pending.push(
        client.publishAsync(TOPIC, payload, { qos: 1 }).then(() => {
          latencies.push(performance.now() - started);
        }),
      );
      next += 1000 / RATE_PER_S;
      // A stalled event loop shows as late PUBACKs, not as fewer publishes: catch up at once.
      await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
    }
  })();
  await new Promise((r) => setTimeout(r, 500));
  await during();
  await new Promise((r) => setTimeout(r, 500));
  running = false;
  await pace;
  await Promise.all(pending);
  loop.disable();
  loopMaxMs = loop.max / 1e6;
  return latencies;
}

async function reloadOf(
  server: Awaited<ReturnType<typeof createUnsServer>>,
  change: () => void,
  timeoutMs = 30_000,
) {
  const before = server.governance.reloads().length;
  const started = performance.now();
  change();
  while (server.governance.reloads().length === before) {
    if (performance.now() - started > timeoutMs) throw new Error("no reload within 30 s");
    await new Promise((r) => setTimeout(r, 20));
  }
  const r = server.governance.reloads().at(-1)!;
  return { ms: performance.now() - started, ok: r.ok, message: r.message.split("\n").slice(0, 2).join(" ") };
}

function stats(name: string, l: number[], note: string): string {
  const s = [...l].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `${name.padEnd(34)} ${String(s.length).padStart(6)} ${q(0.5).toFixed(1).padStart(7)} ${q(0.99).toFixed(1).padStart(7)} ${s[s.length - 1]!.toFixed(1).padStart(7)} ${loopMaxMs.toFixed(1).padStart(8)}  ${note}`;
}

const rows: string[] = [];
const huge = hugeContract();

await withServer({}, async (server, dir, client) => {
  rows.push(
    stats("quiet (no reload)", await measure(client, () => new Promise((r) => setTimeout(r, 2000))), ""),
  );
  const weld = join(dir, "asyncapi", "weld.yaml");
  const original = (await import("node:fs")).readFileSync(weld, "utf8");
  const cases: [string, string, string][] = [
    ["ordinary edit of weld.yaml", "weld.yaml", original.replace("maximum: 30", "maximum: 29")],
    ["cyclic $ref (A -> B -> A)", "cyclic.yaml", cyclicContract()],
    [`alias bomb (${aliasBomb().length} bytes)`, "bomb.yaml", aliasBomb()],
    [`huge: ${(huge.length / 1e6).toFixed(1)} MB, 1,000 channels`, "huge.yaml", huge],
  ];
  for (const [name, file, text] of cases) {
    const path = join(dir, "asyncapi", file);
    let note = "";
    const l = await measure(client, async () => {
      const r = await reloadOf(server, () => writeFileSync(path, text));
      note = `reload ${r.ok ? "ok" : "refused"} after ${r.ms.toFixed(0)} ms: ${r.message.slice(0, 110)}`;
      await reloadOf(server, () => (file === "weld.yaml" ? writeFileSync(path, original) : rmSync(path)));
    });
    rows.push(stats(name, l, note));
  }
});

// The same 5 MB document accepted (limit raised): what swapping in 1,000 channels costs the loop.
await withServer(
  { "contracts.maxFileBytes": 64 * 1024 * 1024, "contracts.loadTimeoutMs": 60_000 },
  async (server, dir, client) => {
    let note = "";
    const l = await measure(client, async () => {
      const r = await reloadOf(server, () => writeFileSync(join(dir, "asyncapi", "huge.yaml"), huge), 60_000);
      note = `reload ${r.ok ? "ok" : "refused"} after ${r.ms.toFixed(0)} ms: ${r.message.slice(0, 80)}`;
      await reloadOf(server, () => rmSync(join(dir, "asyncapi", "huge.yaml")), 60_000);
    });
    rows.push(stats("huge accepted (maxFileBytes 64 MiB)", l, note));
  },
);

process.stdout.write(
  `PUBACK latency, QoS 1 at ${RATE_PER_S}/s, ms\n${"scenario".padEnd(34)} ${"acks".padStart(6)} ${"p50".padStart(7)} ${"p99".padStart(7)} ${"max".padStart(7)} ${"loop max".padStart(8)}\n${rows.join("\n")}\n`,
);
process.exit(0);
