// Processors benchmark (a script, not a test): `pnpm --filter @uns/processors bench` after `pnpm build`.
// Each figure is printed with its target (issue 10) and the 1-minute load average (shared machine).
//  1. scoring cost per spot in the worker, by batch size: the input check by ajv (baseline) and by
//     the native fast path, in the same run (bench/scoring-cost.mjs); target ≤ 0.1 ms CPU per spot;
//  2. spots/s one weld quality processor keeps up with against the UNS server (own process),
//     publishing as fast as the server takes them for a bounded time; target 2,000 spots/s;
//  3. publish-to-result latency at a fixed 500 spots/s; target p99 ≤ 50 ms;
//  4. a live model swap at 1,000 spots/s: lost, scored twice, without a version; target 0, 0, 0.
// Every phase is bounded in time (about 60 s in all). BENCH_PHASES=1 runs the scoring cost only;
// BENCH_PERSISTENCE=memory runs phases 2 and 3 against a server with in-memory sessions.
// Phases 2 and 3 also print the server's CPU time per spot (all its threads; its main thread) and
// how busy its main thread was: on a shared machine those move less with the neighbours' load than spots/s.
import { fork } from "node:child_process";
import { cpSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadContracts } from "@uns/contracts";
import { createPlant, createTraffic } from "@uns/simulator";
import mqtt from "mqtt";
import { loadConfig } from "../dist/config.js";
import { createProcessorsRuntime } from "../dist/runtime/runtime.js";
import { load1, scoringCost } from "./scoring-cost.mjs";
import { swapUnderLoad } from "./swap.mjs";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
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
await scoringCost({ root, contracts, spots });
if (process.env.BENCH_PHASES === "1") process.exit(0);

// --- 2 and 3 against the server ---
const child = fork(fileURLToPath(new URL("./server-child.mjs", import.meta.url)), [], {
  stdio: ["ignore", "inherit", "inherit", "ipc"],
});
const { port, dir } = await new Promise((resolve) => child.once("message", resolve));
const url = `mqtt://127.0.0.1:${port}`;
/** The server child's CPU time and event loop use so far (server-child.mjs). */
const serverUsage = () =>
  new Promise((resolve) => {
    const onMessage = (m) => {
      if (m?.type !== "usage") return;
      child.off("message", onMessage);
      resolve(m);
    };
    child.on("message", onMessage);
    child.send({ type: "usage" });
  });
/** Server CPU (all threads) per spot and its main thread's busy share between two serverUsage(). */
const serverCost = (a, b, spots) => {
  const cpuUs = b.cpu.user + b.cpu.system - a.cpu.user - a.cpu.system;
  const busy = (b.elu.active - a.elu.active) / (b.elu.idle + b.elu.active - a.elu.idle - a.elu.active);
  const mainUs = b.mainCpuUs - a.mainCpuUs;
  return `server CPU per spot ${(cpuUs / spots).toFixed(0)} µs (all threads), ${(mainUs / spots).toFixed(0)} µs (main thread); main thread busy ${(100 * busy).toFixed(0)} % of the time`;
};
console.log(`\nserver: mqtt.persistence ${process.env.BENCH_PERSISTENCE === "memory" ? "memory" : "level"}`);
cpSync(join(root, "models"), join(dir, "models"), { recursive: true });
const config = loadConfig({
  env: {},
  overrides: {
    "mqtt.url": url,
    "mqtt.username": "processor",
    "mqtt.password": "bench-password",
    contractsDir: join(dir, "asyncapi"),
    // A copy: phase 4 adds a version to swap to.
    modelsDir: join(dir, "models"),
    dataDir: join(dir, "processors"),
    // The registry stays a local file here: the bench measures scoring, not the store.
    "registry.url": "",
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
  const usageBefore = await serverUsage();
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
  const usageAfter = await serverUsage();
  const got = results - before;
  const rate = got / ((done - start) / 1000);
  console.log(
    `   published ${sent} spots in ${((published - start) / 1000).toFixed(1)} s = ${(sent / ((published - start) / 1000)).toFixed(0)} spots/s accepted by the server`,
  );
  console.log(
    `   results ${got} / ${sent} within ${((done - start) / 1000).toFixed(1)} s = ${rate.toFixed(0)} spots/s scored and published by one processor (target 2,000: ${rate >= 2000 ? "met" : "MISSED"}; load ${load1()})`,
  );
  console.log(`   ${serverCost(usageBefore, usageAfter, sent)}`);
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
  const usageBefore = await serverUsage();
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
  const usageAfter = await serverUsage();
  const status = runtime.weldQuality.status();
  console.log(
    `   ${latencies.length} / ${sent} results; latency p50 ${pct(latencies, 0.5).toFixed(1)} ms, p99 ${pct(latencies, 0.99).toFixed(1)} ms (target ≤ 50: ${pct(latencies, 0.99) <= 50 ? "met" : "MISSED"}), max ${Math.max(...latencies).toFixed(1)} ms; load ${load1()}`,
  );
  console.log(
    `   processor's own lag (receipt to publish ack) p50 ${status.lagMs.p50} ms, p99 ${status.lagMs.p99} ms`,
  );
  console.log(`   ${serverCost(usageBefore, usageAfter, sent)}`);
}

console.log(`\n4. live model swap at 1,000 spots/s for ${seconds} s`);
runtime = await swapUnderLoad({
  root,
  dir,
  config,
  contracts,
  runtime,
  device,
  viewer,
  next,
  seconds,
  quiet,
});

await device.endAsync();
await viewer.endAsync();
await runtime.stop();
child.disconnect();
