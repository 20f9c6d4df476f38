// Processors benchmark (a script, not a test): `pnpm --filter @uns/processors bench` after `pnpm build`.
//  1. scoring cost per spot in the worker, by batch size (onnxruntime time and the whole batch:
//     decode + contract check + features + both models), next to JSON.parse of the same payloads
//     in the same run as the baseline;
//  2. spots/s one weld quality processor keeps up with against the UNS server (own process),
//     publishing as fast as the server takes them for a bounded time;
//  3. publish-to-result latency at a fixed 500 spots/s.
// Every phase is bounded in time (about 45 s in all). BENCH_PHASES=1 runs the scoring cost only;
// BENCH_PERSISTENCE=memory runs phases 2 and 3 against a server with in-memory sessions.
import { fork } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadContracts } from "@uns/contracts";
import { createPlant, createTraffic } from "@uns/simulator";
import mqtt from "mqtt";
import { loadConfig } from "../dist/config.js";
import { readModel } from "../dist/model/manifest.js";
import { createProcessorsRuntime } from "../dist/runtime/runtime.js";
import { createScoringPool } from "../dist/runtime/scoring-pool.js";
import { packPayloads } from "../dist/runtime/scoring-protocol.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

function makeSpots(n) {
  const traffic = createTraffic(createPlant(), {
    seed: "bench",
    startTime: Date.parse("2026-03-02T06:00:00Z"),
    channels: ["weldSpot"],
  });
  const out = [];
  while (out.length < n) {
    const m = traffic.next();
    out.push({ topic: m.topic, text: m.payload.toString("utf8") });
  }
  return out;
}
const spots = makeSpots(4000);
const contracts = (await loadContracts(join(root, "asyncapi"))).set;

// --- 1. scoring cost ---
const pool = createScoringPool(1);
pool.setContracts(contracts);
const keys = [];
for (const name of ["rsw-nugget-regression", "rsw-curve-autoencoder"]) {
  const m = readModel(join(root, "models", name, "1.0.0", "manifest.json"));
  await pool.load(name, { bytes: m.bytes, features: m.manifest.features, onnx: m.manifest.onnx });
  keys.push(name);
}
console.log("1. scoring cost per spot (µs), median of batches, 1 worker thread");
console.log(
  "   batch | onnxruntime both models | whole batch in worker | JSON.parse only (main) | whole / parse",
);
for (const size of [1, 16, 64, 256]) {
  const ort = [];
  const whole = [];
  const parse = [];
  const end = Date.now() + 2500;
  let i = 0;
  while (Date.now() < end) {
    const batch = Array.from({ length: size }, () => spots[i++ % spots.length]);
    const buffers = batch.map((s) => Buffer.from(s.text));
    const t0 = performance.now();
    const r = await pool.score({
      channel: "weldSpot",
      topics: batch.map((s) => s.topic),
      ...packPayloads(buffers),
      models: keys,
      use: batch.map(() => [0, 1]),
      monitor: null,
    });
    whole.push(((performance.now() - t0) * 1000) / size);
    ort.push(((r.runs[keys[0]].ms + r.runs[keys[1]].ms) * 1000) / size);
    const t1 = performance.now();
    for (const b of buffers) JSON.parse(b.toString("utf8"));
    parse.push(((performance.now() - t1) * 1000) / size);
  }
  const w = median(whole);
  const p = median(parse);
  console.log(
    `   ${String(size).padStart(5)} | ${median(ort).toFixed(1).padStart(23)} | ${w.toFixed(1).padStart(21)} | ${p.toFixed(1).padStart(22)} | ${(w / p).toFixed(1).padStart(5)}x`,
  );
}
await pool.close();
if (process.env.BENCH_PHASES === "1") process.exit(0);

// --- 2 and 3 against the server ---
const child = fork(fileURLToPath(new URL("./server-child.mjs", import.meta.url)), [], {
  stdio: ["ignore", "inherit", "inherit", "ipc"],
});
const { port, dir } = await new Promise((resolve) => child.once("message", resolve));
const url = `mqtt://127.0.0.1:${port}`;
console.log(`\nserver: mqtt.persistence ${process.env.BENCH_PERSISTENCE === "memory" ? "memory" : "level"}`);
const config = loadConfig({
  env: {},
  overrides: {
    "mqtt.url": url,
    "mqtt.username": "processor",
    "mqtt.password": "bench-password",
    contractsDir: join(dir, "asyncapi"),
    modelsDir: join(root, "models"),
    dataDir: join(dir, "processors"),
    "checkGate.enabled": false,
    "http.enabled": false,
  },
});
const quiet = { info() {}, warn() {}, error: (m) => console.error(m) };
let runtime = await createProcessorsRuntime(config, { logger: quiet, contracts });
await runtime.start();
const connect = (user) =>
  mqtt.connectAsync(url, {
    username: user,
    password: "bench-password",
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
const device = await connect("device");
const viewer = await connect("viewer");
let seq = 1;
const sentAt = new Map();
const latencies = [];
let results = 0;
viewer.on("message", (_t, payload) => {
  results++;
  const r = JSON.parse(payload.toString());
  const t = sentAt.get(r.spot.seq);
  if (t !== undefined) {
    latencies.push(performance.now() - t);
    sentAt.delete(r.spot.seq);
  }
});
await viewer.subscribeAsync("acme/+/+/+/+/results/weld-quality", { qos: 1 });
// Every spot gets a unique seq, so results can be matched to their publish time.
function next() {
  const s = spots[seq % spots.length];
  const id = seq++;
  return { id, topic: s.topic, payload: s.text.replace(/"seq":\d+/, `"seq":${id}`) };
}

console.log(`\n2. throughput: publish as fast as the server accepts (QoS 1, 400 in flight) for ${seconds} s`);
{
  const start = performance.now();
  const stopAt = start + seconds * 1000;
  let sent = 0;
  let inflight = 0;
  const before = results;
  await new Promise((resolve) => {
    const pump = () => {
      while (inflight < 400 && performance.now() < stopAt) {
        const m = next();
        inflight++;
        sent++;
        device.publish(m.topic, m.payload, { qos: 1 }, () => {
          inflight--;
          pump();
        });
      }
      if (performance.now() >= stopAt && inflight === 0) resolve();
    };
    pump();
  });
  const published = performance.now();
  const deadline = published + 15_000;
  while (results - before < sent && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const done = performance.now();
  const got = results - before;
  console.log(
    `   published ${sent} spots in ${((published - start) / 1000).toFixed(1)} s = ${(sent / ((published - start) / 1000)).toFixed(0)} spots/s accepted by the server`,
  );
  console.log(
    `   results ${got} / ${sent} within ${((done - start) / 1000).toFixed(1)} s = ${(got / ((done - start) / 1000)).toFixed(0)} spots/s scored and published by one processor`,
  );
}

console.log("\n2b. catch-up: 6000 spots wait in the processor's persistent session, then it starts");
{
  await runtime.stop();
  const backlog = 6000;
  for (let i = 0; i < backlog; i += 200)
    await Promise.all(
      Array.from({ length: 200 }, () => next()).map((m) =>
        device.publishAsync(m.topic, m.payload, { qos: 1 }),
      ),
    );
  const before = results;
  const again = await createProcessorsRuntime(config, { logger: quiet, contracts });
  const start = performance.now();
  await again.start();
  const deadline = start + 30_000;
  while (results - before < backlog && performance.now() < deadline)
    await new Promise((r) => setTimeout(r, 10));
  const s = (performance.now() - start) / 1000;
  console.log(
    `   ${results - before} / ${backlog} results in ${s.toFixed(1)} s = ${((results - before) / s).toFixed(0)} spots/s (start included)`,
  );
  runtime = again;
}

console.log(`\n3. publish-to-result latency at 500 spots/s for ${seconds} s`);
{
  latencies.length = 0;
  sentAt.clear();
  const start = performance.now();
  let sent = 0;
  await new Promise((resolve) => {
    const tick = setInterval(() => {
      const due = Math.floor(((performance.now() - start) / 1000) * 500);
      while (sent < due) {
        const m = next();
        sentAt.set(m.id, performance.now());
        device.publish(m.topic, m.payload, { qos: 1 });
        sent++;
      }
      if (performance.now() - start > seconds * 1000) {
        clearInterval(tick);
        resolve();
      }
    }, 5);
  });
  const deadline = performance.now() + 10_000;
  while (latencies.length < sent && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const status = runtime.weldQuality.status();
  console.log(
    `   ${latencies.length} / ${sent} results; latency p50 ${pct(latencies, 0.5).toFixed(1)} ms, p99 ${pct(latencies, 0.99).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms`,
  );
  console.log(
    `   processor's own lag (receipt to publish ack) p50 ${status.lagMs.p50} ms, p99 ${status.lagMs.p99} ms`,
  );
}

await device.endAsync();
await viewer.endAsync();
await runtime.stop();
child.disconnect();
