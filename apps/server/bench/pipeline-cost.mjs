// The publish pipeline's cost on the event loop per message (aedes excluded): the real pipeline,
// governance (test fixtures), validation pool (2 workers), outcome sink, metrics and live stats,
// with an in-memory Accumulator as the store. Needs `pnpm build`. Give another checkout's root to
// compare (before/after) in the same conditions.
//   node apps/server/bench/pipeline-cost.mjs <repo root> <monitor|enforce> [messages] [rate msg/s]
// INLINE=N: validation.inlineMaxPerSecond (default 4000, 0 = every message to the workers).
// Prints JSON: eventLoopUsPerMsg (this thread, from /proc/thread-self/schedstat), processUsPerMsg.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [root, policy, nArg, rateArg] = process.argv.slice(2);
const N = Number(nArg ?? 20000);
const rate = rateArg ? Number(rateArg) : 0;
const imp = (p) => import(pathToFileURL(join(root, p)).href);
const { createGovernance } = await imp("apps/server/dist/governance.js");
const { createValidationPool } = await imp("apps/server/dist/dispatcher/validation-pool.js");
const { createPublishPipeline } = await imp("apps/server/dist/dispatcher/publish-pipeline.js");
const { createOutcomeSink } = await imp("apps/server/dist/dispatcher/outcome-sink.js");
const { createMetrics } = await imp("apps/server/dist/metrics.js");
const { createLiveStats } = await imp("apps/server/dist/live-stats.js");
const { Accumulator } = await imp("libs/store/dist/batch.js");
const fixtures = join(root, "apps/server/test/fixtures");
const logger = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  trace() {},
  fatal() {},
  child() {
    return logger;
  },
};
const g = await createGovernance({
  contractsDir: join(fixtures, "asyncapi"),
  topicsDir: join(fixtures, "topics"),
  logger,
  onChange: () => {},
});
const acc = new Accumulator(65536);
const store = {
  record: (o) => acc.add(o, Date.now()),
  recordAggregate: (b) => acc.merge(b, Date.now()),
  whenDurable: () => Promise.resolve(),
};
const metrics = createMetrics();
const live = createLiveStats();
const sink = createOutcomeSink({ metrics, live, store });
const pool = createValidationPool({
  size: 2,
  queueLength: 20000,
  batchSize: 256,
  batchTimeoutMs: 10000,
  batchWindowMs: 10,
  payloadCapBytes: 65536,
  logger,
});
pool.setContracts(g.current.contractsJson);
await pool.ready();
// Judging on the event loop at low rates, where the tree has it (INLINE=0 turns it off).
const inlineModule = await imp("apps/server/dist/dispatcher/inline-judge.js").catch(() => null);
const inline = inlineModule?.createInlineJudge({
  maxPerSecond: Number(process.env.INLINE ?? 4000),
  fastPath: "auto",
  payloadCapBytes: 65536,
  onTally: (t) => sink.recordTally(t),
});
const pipeline = createPublishPipeline({
  inline,
  governance: () => g.current,
  pool,
  identityOf: (c) => c.identity,
  maxPayloadBytes: 1 << 20,
  record: (o, l) => sink.record(o, l),
  recordTally: (t) => sink.recordTally(t),
  onInternalError: (e) => console.error(e),
});
const site = policy === "enforce" ? "plant-b" : "plant-a";
const clients = Array.from({ length: 10 }, (_, i) => ({
  id: `pub-${i}`,
  identity: { username: "gw", clientId: `pub-${i}`, roles: ["device"] },
}));
const topics = clients.map(
  (_, i) => `acme/${site}/body-shop/line-01/cell-${String(i + 1).padStart(2, "0")}/weld-spot`,
);
const payload = Buffer.from(
  JSON.stringify({
    spotId: "s-1",
    time: "2026-11-22T10:00:00Z",
    currentKA: 9.5,
    weldTimeMs: 300,
    curve: Array.from({ length: 400 }, (_, i) => Math.round(Math.sin(i / 40) * 1000) / 10),
  }),
);
const threadNs = () => Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]);
let done = 0;
const cb = () => {
  done++;
};
function send(k) {
  const i = k % 10;
  pipeline.authorizePublish(clients[i], { topic: topics[i], payload, qos: 0, retain: false }, cb);
}
// warm up
for (let k = 0; k < 2000; k++) send(k);
while (done < 2000 || pool.stats().queued + pool.stats().inFlight > 0)
  await new Promise((r) => setTimeout(r, 5));
await new Promise((r) => setTimeout(r, 50));
done = 0;
const t0 = threadNs();
const c0 = process.cpuUsage();
const w0 = performance.now();
let sent = 0;
if (rate) {
  const per = Number(process.env.PER ?? 10),
    every = (per / rate) * 1000;
  await new Promise((resolve) => {
    const start = performance.now();
    const tick = () => {
      const due = Math.min(N, Math.floor(((performance.now() - start) / every) * per));
      while (sent < due) send(sent++);
      if (sent >= N) return resolve();
      setTimeout(tick, every / 2);
    };
    tick();
  });
} else {
  while (sent < N) {
    for (let j = 0; j < 100 && sent < N; j++) send(sent++);
    await new Promise((r) => setImmediate(r));
  }
}
while (done < N || pool.stats().queued + pool.stats().inFlight > 0)
  await new Promise((r) => setTimeout(r, 25));
// What was judged on the event loop is counted within 10 ms (inline-judge.ts).
await new Promise((r) => setTimeout(r, 30));
const t1 = threadNs();
const c1 = process.cpuUsage(c0);
const wall = performance.now() - w0;
const mainUs = (t1 - t0) / 1000 / N;
const allUs = (c1.user + c1.system) / N;
const tot = live.totals();
console.log(
  JSON.stringify({
    tree: root,
    policy,
    N,
    rate: rate || "max",
    eventLoopUsPerMsg: +mainUs.toFixed(2),
    processUsPerMsg: +allUs.toFixed(2),
    otherThreadsUsPerMsg: +(allUs - mainUs).toFixed(2),
    wallMs: Math.round(wall),
    // every measured message counted once (the 2,000 of the warm-up excluded)
    counted: tot.total - 2000,
    valid: tot.valid,
    inline: inline?.stats().judged ?? 0,
  }),
);
await pool.close();
g.close();
process.exit(0);
