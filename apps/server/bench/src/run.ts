#!/usr/bin/env node
/**
 * `pnpm bench`: bare aedes 1.2.0 and mosquitto against the UNS server (monitor and enforce
 * policy; at QoS 1 also with store.ackAfterDurable), in the same run, driven by the same load
 * generator; then 10,000 idle connections on each. See README.md beside this file for what is
 * measured and how to read the tables.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, setPriority, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  BROKERS,
  type BrokerKind,
  type BrokerProcess,
  findMosquitto,
  isDurable,
  isUns,
  type StartOptions,
  startBroker,
} from "./brokers.js";
import { type IdleResult, measureIdle } from "./idle-connections.js";
import { LoadGenerator, percentile } from "./load-generator.js";
import { type CoreTimes, coreBusyPct, coreTimes, cpuMs, memory, threadCpuMs } from "./proc-stats.js";
import {
  BENCH_PASSWORD,
  type ChildThread,
  IDLE_USER,
  PUBLISHER_USER,
  SUBSCRIBER_USER,
  type UnsTotals,
} from "./protocol.js";
import {
  f0,
  f2,
  idleLines,
  otherPct,
  type RunResult,
  summarise,
  type ThreadCost,
  table,
  targetLines,
  targets,
  type WorkloadResult,
} from "./report.js";

const USAGE = `usage: node apps/server/bench/dist/run.js [options]

  --quick                 1 round, 1.5 s phases, 0.5 s warm-up, 2,000 idle connections: every figure
                          in about 4 minutes (a smoke run; quote the full run)
  --rounds N              alternating rounds per workload; medians are reported (default 3)
  --duration S            max-throughput measurement, seconds (default 3)
  --latency-duration S    fixed-rate latency measurement, seconds (default 3)
  --warmup S              before each measurement, seconds (default 1)
  --steady-after S        the latency phase is measured S seconds after the fixed rate started,
                          every broker alike: a plant's steady state, JIT and first writes done
                          (default 8; --quick 4). The first seconds (from --warmup on) are
                          reported beside it as "fresh"
  --rate N                fixed rate for latency, messages/s in total (default 2000)
  --publishers LIST       publisher counts (default 10,100)
  --qos LIST              QoS levels (default 0,1)
  --brokers LIST          ${BROKERS.join(",")}
                          (default all; the -durable ones, store.ackAfterDurable, run at QoS 1 only)
  --idle N                idle MQTT connections to measure on bare, mosquitto and uns-monitor
                          (default 10000; 0 = skip)
  --idle-only             only the idle-connection measurement (on the --brokers among bare,
                          mosquitto, uns-monitor)
  --no-install            do not apt-get install mosquitto when it is missing (it is then skipped)
  --window N              QoS 1: messages in flight per publisher without PUBACK (default 20, like mosquitto's max_inflight_messages)
  --max-in-flight N       sent but not yet delivered, at most, in max-throughput mode (default 2000)
  --workers N             UNS validation workers (default: the server's default)
  --broker-core LIST      cores the broker runs on, as taskset takes them (default 0; on a bigger
                          machine e.g. 0,2 gives the validation workers a core of their own)
  --generator-core LIST   cores the load generator runs on (default 1)
  --quiet-wait S          before each run, wait up to S seconds for both cores to be idle
                          (other jobs below 10 %); 0 = do not wait (default 60; --quick 10)
  --tcp-nodelay           experiment: turn Nagle's algorithm off on aedes's sockets (the UNS server
                          has mqtt.tcpNoDelay on by default; mosquitto gets set_tcp_nodelay)
  --nice-workers          experiment: lower the priority (nice 19) of every broker thread but the
                          event loop, so validation only gets CPU the event loop leaves
  --max-other-load PCT    repeat a run (up to --retries times, default 2) when other processes took
                          more than PCT % of the broker's core during it (default 20)
  --store-flush-ms N      experiment: the UNS server's store.flushIntervalMs
  --set KEY=VALUE         experiment: any UNS server setting (JSON values; repeatable), e.g.
                          --set auth.mqttLoginCacheSeconds=0 --set workers.queueMaxBytes=8388608
  --no-pin                do not use taskset
  --cpu-prof              write V8 CPU profiles of every broker thread to bench/dist/profiles/<broker>-<n>/;
                          read them with profile-summary.js [--phase latency] <dir>
  --json PATH             where to write the results (default bench-results/<date>.json at the repo root)
`;

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    rounds: { type: "string" },
    duration: { type: "string" },
    "latency-duration": { type: "string" },
    warmup: { type: "string" },
    "steady-after": { type: "string" },
    rate: { type: "string", default: "2000" },
    publishers: { type: "string", default: "10,100" },
    qos: { type: "string", default: "0,1" },
    brokers: { type: "string", default: BROKERS.join(",") },
    idle: { type: "string" },
    "no-install": { type: "boolean", default: false },
    "idle-only": { type: "boolean", default: false },
    window: { type: "string", default: "20" },
    "max-in-flight": { type: "string", default: "2000" },
    workers: { type: "string" },
    "store-flush-ms": { type: "string" },
    set: { type: "string", multiple: true, default: [] },
    "broker-core": { type: "string", default: "0" },
    "generator-core": { type: "string", default: "1" },
    "quiet-wait": { type: "string" },
    "max-other-load": { type: "string", default: "20" },
    retries: { type: "string", default: "2" },
    "tcp-nodelay": { type: "boolean", default: false },
    "nice-workers": { type: "boolean", default: false },
    "no-pin": { type: "boolean", default: false },
    "cpu-prof": { type: "boolean", default: false },
    json: { type: "string" },
    pinned: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (flags.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

function num(name: string, raw: string | undefined, fallback: number, allowZero = false): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !allowZero)) {
    process.stderr.write(
      `--${name}: expected a ${allowZero ? "non-negative" : "positive"} number, got ${JSON.stringify(raw)}\n${USAGE}`,
    );
    process.exit(2);
  }
  return n;
}

/** `0`, `0,2` or `0-3`, as taskset -c takes them. */
function cores(name: string, raw: string): number[] {
  const out: number[] = [];
  for (const part of raw.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) {
      process.stderr.write(`--${name}: a core list like 0 or 0,2 or 0-3, got ${JSON.stringify(raw)}\n`);
      process.exit(2);
    }
    for (let c = Number(m[1]); c <= Number(m[2] ?? m[1]); c++) out.push(c);
  }
  return out;
}

const quick = flags.quick;
const opts = {
  rounds: Math.round(num("rounds", flags.rounds, quick ? 1 : 3)),
  durationMs: num("duration", flags.duration, quick ? 1.5 : 3) * 1000,
  latencyMs: num("latency-duration", flags["latency-duration"], quick ? 1.5 : 3) * 1000,
  warmupMs: num("warmup", flags.warmup, quick ? 0.5 : 1) * 1000,
  steadyAfterMs: num("steady-after", flags["steady-after"], quick ? 4 : 8, true) * 1000,
  rate: num("rate", flags.rate, 2000),
  publishers: flags.publishers.split(",").map((s) => Math.round(num("publishers", s, 10))),
  qos: flags.qos.split(",").map((s) => {
    if (s !== "0" && s !== "1") {
      process.stderr.write(`--qos: 0 and/or 1, got ${s}\n`);
      process.exit(2);
    }
    return Number(s) as 0 | 1;
  }),
  brokers: flags.brokers.split(",").map((s) => {
    if (!(BROKERS as readonly string[]).includes(s)) {
      process.stderr.write(`--brokers: ${BROKERS.join(", ")}; got ${s}\n`);
      process.exit(2);
    }
    return s as BrokerKind;
  }),
  idle: Math.round(num("idle", flags.idle, quick ? 2000 : 10_000, true)),
  window: Math.round(num("window", flags.window, 20)),
  maxInFlight: Math.round(num("max-in-flight", flags["max-in-flight"], 2000)),
  workers: flags.workers === undefined ? undefined : Math.round(num("workers", flags.workers, 1)),
  storeFlushMs:
    flags["store-flush-ms"] === undefined
      ? undefined
      : Math.round(num("store-flush-ms", flags["store-flush-ms"], 200)),
  brokerCore: cores("broker-core", flags["broker-core"]),
  generatorCore: cores("generator-core", flags["generator-core"]),
  cpuProf: flags["cpu-prof"],
  tcpNoDelay: flags["tcp-nodelay"],
  niceWorkers: flags["nice-workers"],
  quietWaitMs: num("quiet-wait", flags["quiet-wait"], quick ? 10 : 60, true) * 1000,
  maxOtherLoad: Number(flags["max-other-load"]),
  retries: Number(flags.retries),
};
for (const n of opts.publishers) {
  // The fixture tree allows line-01..99 x cell-01..99; the generator numbers 10 cells per line.
  if (n > 990) {
    process.stderr.write("--publishers: at most 990\n");
    process.exit(2);
  }
}

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const repoRoot = here("../../../../");

// Pin the generator (this process) by starting it again under taskset, so every thread it has
// from the first instruction is on its core.
if (!flags.pinned && !flags["no-pin"]) {
  const problem =
    spawnSync("taskset", ["-V"]).error !== undefined
      ? "taskset not found (util-linux)"
      : availableParallelism() < 2
        ? `only ${availableParallelism()} core available`
        : null;
  if (problem) {
    process.stderr.write(`warning: ${problem}; running unpinned, broker and generator share cores\n`);
  } else {
    const args = [
      "-c",
      opts.generatorCore.join(","),
      process.execPath,
      ...process.execArgv,
      here("./run.js"),
      ...process.argv.slice(2),
      "--pinned",
    ];
    const r = spawnSync("taskset", args, { stdio: "inherit" });
    process.exit(r.status ?? 1);
  }
}
const pinned = flags.pinned;
// Ctrl-C: run the exit handlers (temporary folders); broker children exit when their IPC channel closes.
process.on("SIGINT", () => process.exit(130));

// ---------------------------------------------------------------------------------------------

let profiled = 0;
/** An initialised embedded database the UNS runs start from (see broker-child.ts). */
let dataTemplate: string | null = null;

function launch(kind: BrokerKind, makeTemplate?: string): Promise<BrokerProcess> {
  const o: StartOptions = {
    cores: pinned ? opts.brokerCore : null,
    workers: opts.workers,
    tcpNoDelay: opts.tcpNoDelay,
    storeFlushMs: opts.storeFlushMs,
    settings: flags.set,
    // bare aedes and mosquitto (max_queued_bytes 0) do not bound a subscriber's queue; the bench
    // keeps at most --max-in-flight messages out, so the UNS server's bound (8 MB by default) is
    // raised above that: a moment in which the generator's core is taken must not drop QoS 0
    // deliveries (which would also shrink the generator's in-flight budget for the rest of the run).
    clientQueueMaxBytes: Math.max(8 * 2 ** 20, 4 * opts.maxInFlight * 4200),
    dataTemplate,
    makeTemplate,
    cpuProfDir: opts.cpuProf && !makeTemplate ? here(`./profiles/${kind}-${++profiled}/`) : undefined,
  };
  return startBroker(kind, o);
}

function topicsFor(kind: BrokerKind, publishers: number): string[] {
  // Monitor policy under plant-a, enforce under plant-b (test/fixtures/topics/tree.yaml). The
  // reference brokers get the plant-a topics: same lengths, same bytes on the wire.
  const site = kind.startsWith("uns-enforce") ? "plant-b" : "plant-a";
  return Array.from({ length: publishers }, (_, i) => {
    const line = String(Math.floor(i / 10) + 1).padStart(2, "0");
    const cell = String((i % 10) + 1).padStart(2, "0");
    return `acme/${site}/body-shop/line-${line}/cell-${cell}/weld-spot`;
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Snapshot {
  at: number;
  brokerCpuMs: number;
  generatorCpuUs: number;
  sent: number;
  delivered: number;
  cores: CoreTimes[];
  threads: Map<number, number>;
}

/** The main thread and the others, busiest first (percent of a core). */
function threadSplit(a: Snapshot, b: Snapshot, pid: number, seconds: number) {
  const pct = (tid: number) => ((b.threads.get(tid) ?? 0) - (a.threads.get(tid) ?? 0)) / 10 / seconds;
  const others = [...b.threads.keys()]
    .filter((t) => t !== pid)
    .map(pct)
    .filter((p) => p >= 0.5)
    .sort((x, y) => y - x);
  return { mainPct: pct(pid), otherThreadsPct: others.map((p) => Math.round(p * 10) / 10) };
}

/** CPU per delivered message by thread role, in microseconds. */
function costByThread(a: Snapshot, b: Snapshot, pid: number, roles: ChildThread[]): ThreadCost {
  const role = new Map(roles.map((t) => [t.tid, t.role]));
  const cost: ThreadCost = { eventLoop: 0, validation: 0, store: 0, contracts: 0, other: 0 };
  const delivered = Math.max(1, b.delivered - a.delivered);
  for (const [tid, ms] of b.threads) {
    const us = ((ms - (a.threads.get(tid) ?? 0)) * 1000) / delivered;
    const r = tid === pid ? "eventLoop" : role.get(tid);
    if (r === "validation" || r === "store" || r === "contracts" || r === "eventLoop") cost[r] += us;
    else cost.other += us;
  }
  return cost;
}

function coresBusyPct(a: CoreTimes[], b: CoreTimes[], list: number[]): number {
  return list.reduce((sum, c) => sum + coreBusyPct(a, b, c), 0);
}

/** CPU used on the broker's and the generator's cores by anything else (other jobs on the machine). */
function otherLoad(a: Snapshot, b: Snapshot, brokerPct: number, generatorPct: number) {
  return {
    brokerCorePct: Math.max(0, coresBusyPct(a.cores, b.cores, opts.brokerCore) - brokerPct),
    generatorCorePct: Math.max(0, coresBusyPct(a.cores, b.cores, opts.generatorCore) - generatorPct),
  };
}

/** Waits (up to --quiet-wait) until neither core is busy with other jobs. */
async function waitQuiet(): Promise<{ waitedMs: number; busyPct: number }> {
  const started = performance.now();
  let busyPct = 0;
  for (;;) {
    const a = coreTimes();
    await sleep(500);
    const b = coreTimes();
    busyPct = Math.max(...[...opts.brokerCore, ...opts.generatorCore].map((c) => coreBusyPct(a, b, c)));
    if (!(busyPct > 10) || performance.now() - started > opts.quietWaitMs) break;
  }
  return { waitedMs: performance.now() - started, busyPct };
}

async function runOne(kind: BrokerKind, publishers: number, qos: 0 | 1, round: number): Promise<RunResult> {
  const quiet = opts.quietWaitMs > 0 ? await waitQuiet() : null;
  const broker = await launch(kind);
  const problems: string[] = [];
  const gen = new LoadGenerator({
    port: broker.port,
    topics: topicsFor(kind, publishers),
    qos,
    username: PUBLISHER_USER,
    password: BENCH_PASSWORD,
    subscriberUsername: SUBSCRIBER_USER,
    subscriberPassword: BENCH_PASSWORD,
    window: opts.window,
    maxInFlight: opts.maxInFlight,
  });
  const snap = (): Snapshot => {
    const c = process.cpuUsage();
    return {
      at: performance.now(),
      brokerCpuMs: cpuMs(broker.pid),
      generatorCpuUs: c.user + c.system,
      sent: gen.sent,
      delivered: gen.delivered,
      cores: coreTimes(),
      threads: threadCpuMs(broker.pid),
    };
  };
  try {
    await gen.connect();
    const roles = await broker.threads();
    if (opts.niceWorkers) {
      // setpriority(2) on a thread id changes that thread only (Linux).
      for (const tid of threadCpuMs(broker.pid).keys()) if (tid !== broker.pid) setPriority(tid, 19);
    }
    const first = snap();
    const poolBefore = (await broker.totals())?.pool.busyMs;

    // Latency at a fixed rate first: the fresh broker's first seconds, then (every broker after
    // the same time at that rate) its steady state, the figure that is compared.
    const rateStarted = performance.now();
    gen.startRate(opts.rate);
    await sleep(opts.warmupMs);
    gen.recordLatencyFromNow();
    const f0 = snap();
    const freshFrom = gen.clockUs();
    await sleep(opts.latencyMs);
    const f1 = snap();
    const freshTo = gen.clockUs();
    await sleep(Math.max(0, opts.steadyAfterMs - (performance.now() - rateStarted)));
    const l0 = snap();
    const steadyFrom = gen.clockUs();
    broker.mark("latency-from");
    await sleep(opts.latencyMs);
    gen.stop();
    const l1 = snap();
    broker.mark("latency-to");
    if (!(await gen.drain(30_000)))
      problems.push(`latency phase: ${gen.sent - gen.delivered} of ${gen.sent} not delivered after 30 s`);
    gen.stopRecordingLatency();
    const lat = gen.latenciesSentBetween(steadyFrom, Number.POSITIVE_INFINITY);
    const freshLat = gen.latenciesSentBetween(freshFrom, freshTo);
    const ldt = (l1.at - l0.at) / 1000;
    const fdt = (f1.at - f0.at) / 1000;

    // Then as fast as the broker delivers.
    gen.startMax();
    await sleep(opts.warmupMs);
    const t0 = snap();
    broker.mark("throughput-from");
    await sleep(opts.durationMs);
    const t1 = snap();
    broker.mark("throughput-to");
    gen.stop();
    const rssEnd = memory(broker.pid).rss;
    const drained = await gen.drain(60_000);
    const tdt = (t1.at - t0.at) / 1000;

    // Every PUBLISH must be counted exactly once by the server.
    let counted: UnsTotals | null = null;
    if (isUns(kind)) {
      const until = performance.now() + 30_000;
      for (;;) {
        counted = await broker.totals();
        if (!counted || counted.total >= gen.sent || performance.now() > until) break;
        await sleep(50);
      }
      if (counted && counted.total !== gen.sent)
        problems.push(`server counted ${counted.total} messages, ${gen.sent} were sent`);
      if (counted && counted.invalid + counted.ungoverned > 0)
        problems.push(`unexpected outcomes: ${JSON.stringify(counted)}`);
    }
    if (!drained) {
      // A QoS 0 delivery the broker dropped for a subscriber whose queue was full is counted
      // against that subscriber (client-delivery.ts): say so, apart from anything unexplained.
      const missing = gen.sent - gen.delivered;
      const dropped = counted?.slowClientDropped ?? 0;
      const acks = qos > 0 ? ` (${gen.sent - gen.acked} not acked)` : "";
      problems.push(
        dropped > 0 && dropped === missing
          ? `throughput phase: ${missing} of ${gen.sent} not delivered: all ${dropped} dropped by the broker for the subscriber, counted (uns_mqtt_slow_client_dropped_total)`
          : `throughput phase: ${missing} of ${gen.sent} not delivered${acks} after 60 s${dropped > 0 ? ` (${dropped} of them dropped for the subscriber and counted)` : ""}`,
      );
    }
    const last = snap();
    if (gen.unreadable > 0) problems.push(`${gen.unreadable} deliveries without a readable send time`);
    for (const e of gen.failures()) problems.push(e.message);

    let validation: RunResult["validation"] = null;
    if (counted && counted.valid + counted.invalid - (counted.inline ?? 0) > 0) {
      // The workers' CPU over what the workers judged (messages judged on the event loop are not theirs).
      const validated = counted.valid + counted.invalid - (counted.inline ?? 0);
      const workerMs = roles
        .filter((t) => t.role === "validation")
        .reduce((s, t) => s + (last.threads.get(t.tid) ?? 0) - (first.threads.get(t.tid) ?? 0), 0);
      const busy = counted.pool.busyMs;
      const busyMs =
        busy && poolBefore ? busy.reduce((s, v, i) => s + v - (poolBefore[i] ?? 0), 0) : Number.NaN;
      validation = {
        cpuUsPerMsg: (workerMs * 1000) / validated,
        busyUsPerMsg: Number.isNaN(busyMs) ? null : (busyMs * 1000) / validated,
        validated,
      };
    }

    const peak = memory(broker.pid).peakRss;
    const delivered = t1.delivered - t0.delivered;
    const pct = (ms: number, seconds: number) => (100 * ms) / 1000 / seconds;
    const tBroker = pct(t1.brokerCpuMs - t0.brokerCpuMs, tdt);
    const tGen = pct((t1.generatorCpuUs - t0.generatorCpuUs) / 1000, tdt);
    const lBroker = pct(l1.brokerCpuMs - l0.brokerCpuMs, ldt);
    const lGen = pct((l1.generatorCpuUs - l0.generatorCpuUs) / 1000, ldt);
    return {
      broker: kind,
      round,
      payloadBytes: gen.payloadBytes,
      throughput: {
        deliveredPerSec: delivered / tdt,
        publishedPerSec: (t1.sent - t0.sent) / tdt,
        brokerCpuPct: tBroker,
        brokerCpuUsPerMsg: ((t1.brokerCpuMs - t0.brokerCpuMs) * 1000) / Math.max(1, delivered),
        generatorCpuPct: tGen,
        otherLoad: otherLoad(t0, t1, tBroker, tGen),
        threads: threadSplit(t0, t1, broker.pid, tdt),
        usPerMsgByThread: costByThread(t0, t1, broker.pid, roles),
      },
      latency: {
        samples: lat.length,
        achievedRate: (l1.sent - l0.sent) / ldt,
        p50Ms: percentile(lat, 50) / 1000,
        p99Ms: percentile(lat, 99) / 1000,
        p999Ms: percentile(lat, 99.9) / 1000,
        maxMs: (lat[lat.length - 1] ?? Number.NaN) / 1000,
        brokerCpuPct: lBroker,
        brokerCpuUsPerMsg:
          ((l1.brokerCpuMs - l0.brokerCpuMs) * 1000) / Math.max(1, l1.delivered - l0.delivered),
        generatorCpuPct: lGen,
        otherLoad: otherLoad(l0, l1, lBroker, lGen),
        threads: threadSplit(l0, l1, broker.pid, ldt),
        usPerMsgByThread: costByThread(l0, l1, broker.pid, roles),
        windowStalls: gen.windowStalls,
        startedAfterS: (l0.at - rateStarted) / 1000,
        fresh: {
          startedAfterS: (f0.at - rateStarted) / 1000,
          samples: freshLat.length,
          p50Ms: percentile(freshLat, 50) / 1000,
          p99Ms: percentile(freshLat, 99) / 1000,
          brokerCpuPct: pct(f1.brokerCpuMs - f0.brokerCpuMs, fdt),
          brokerCpuUsPerMsg:
            ((f1.brokerCpuMs - f0.brokerCpuMs) * 1000) / Math.max(1, f1.delivered - f0.delivered),
        },
      },
      validation,
      peakRssMb: peak / 2 ** 20,
      rssEndMb: rssEnd / 2 ** 20,
      sent: gen.sent,
      delivered: gen.delivered,
      counted,
      problems,
      info: { ...broker.info, threads: roles },
      quiet,
    };
  } finally {
    await gen.close().catch(() => {});
    await broker.stop();
  }
}

/** 10,000 idle clients on one broker (a fresh process, nothing else connected). */
async function runIdle(kind: BrokerKind): Promise<IdleResult> {
  if (opts.quietWaitMs > 0) await waitQuiet();
  const broker = await launch(kind);
  try {
    return await measureIdle({
      pid: broker.pid,
      port: broker.port,
      count: opts.idle,
      username: isUns(kind) ? IDLE_USER : PUBLISHER_USER,
      password: BENCH_PASSWORD,
    });
  } finally {
    await broker.stop();
  }
}

// ---------------------------------------------------------------------------------------------

const startedAt = new Date();
const notes: string[] = [];
if (opts.brokers.includes("mosquitto")) {
  const m = findMosquitto(!flags["no-install"]);
  if (!m.path) {
    notes.push(m.note);
    opts.brokers = opts.brokers.filter((b) => b !== "mosquitto");
  }
}
process.stdout.write(
  `UNS bench: ${opts.brokers.join(", ")}; publishers ${opts.publishers.join(", ")}; QoS ${opts.qos.join(", ")}; ` +
    `${opts.rounds} round(s)${quick ? " (quick)" : ""}\n` +
    (pinned
      ? `broker pinned to core ${opts.brokerCore.join(",")}, load generator to core ${opts.generatorCore.join(",")}\n`
      : "not pinned\n") +
    notes.map((n) => `note: ${n}\n`).join(""),
);
const workloads: WorkloadResult[] = [];
let payloadBytes = 0;
let failed = false;
if (opts.brokers.some(isUns)) {
  const t = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "uns-bench-template-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  const b = await launch("uns-monitor", join(dir, "data"));
  await b.stop();
  dataTemplate = join(dir, "data");
  process.stdout.write(
    `embedded database initialised for the UNS runs in ${((performance.now() - t) / 1000).toFixed(1)} s\n`,
  );
}
const noisy = (r: RunResult) => otherPct(r) > opts.maxOtherLoad;
for (const publishers of flags["idle-only"] ? [] : opts.publishers) {
  for (const qos of opts.qos) {
    const w: WorkloadResult = { publishers, qos, summaries: {}, runs: [], discarded: [] };
    workloads.push(w);
    // ackAfterDurable only changes when a PUBACK goes out: nothing to measure at QoS 0.
    const kinds = opts.brokers.filter((k) => qos === 1 || !isDurable(k));
    for (let round = 1; round <= opts.rounds; round++) {
      for (const kind of kinds) {
        const t = performance.now();
        try {
          let r = await runOne(kind, publishers, qos, round);
          // A run that shared its core with other jobs measures them too: repeat it (a few times).
          for (let retry = 1; retry <= opts.retries && noisy(r); retry++) {
            process.stdout.write(
              `  ${publishers} pub QoS ${qos} round ${round} ${kind}: other jobs took ${f0(otherPct(r))}% of the broker's core; repeating\n`,
            );
            w.discarded.push(r);
            r = await runOne(kind, publishers, qos, round);
          }
          payloadBytes = r.payloadBytes;
          w.runs.push(r);
          const c = r.throughput.usPerMsgByThread;
          process.stdout.write(
            `  ${publishers} pub QoS ${qos} round ${round} ${kind.padEnd(19)} ${f0(r.throughput.deliveredPerSec).padStart(7)} msg/s ` +
              `${r.throughput.brokerCpuUsPerMsg.toFixed(1)} us/msg (loop ${c.eventLoop.toFixed(1)}, valid ${c.validation.toFixed(1)}, store ${c.store.toFixed(1)}, other ${(c.other + c.contracts).toFixed(1)}; gen ${f0(r.throughput.generatorCpuPct)}%)  ` +
              `p50 ${f2(r.latency.p50Ms)} p99 ${f2(r.latency.p99Ms)} ms at ${f0(r.latency.achievedRate)}/s (CPU ${f0(r.latency.brokerCpuPct)}%, ${f0(r.latency.brokerCpuUsPerMsg)} us/msg: ` +
              `loop ${f0(r.latency.usPerMsgByThread.eventLoop)}, valid ${f0(r.latency.usPerMsgByThread.validation)}, store ${f0(r.latency.usPerMsgByThread.store)}, other ${f0(r.latency.usPerMsgByThread.other + r.latency.usPerMsgByThread.contracts)}; ` +
              `fresh p99 ${f2(r.latency.fresh?.p99Ms ?? Number.NaN)} ms, ${f0(r.latency.fresh?.brokerCpuUsPerMsg ?? Number.NaN)} us/msg)  ` +
              `RSS ${f0(r.peakRssMb)} MB  other ${f0(otherPct(r))}%  [${((performance.now() - t) / 1000).toFixed(0)} s]` +
              (r.counted
                ? `  inline ${f0(r.counted.inline ?? 0)}, unvalidated ${f0(r.counted.unvalidated)}, dropped ${f0(r.counted.slowClientDropped ?? 0)}`
                : "") +
              (r.problems.length ? `  PROBLEMS: ${r.problems.join("; ")}` : "") +
              "\n",
          );
        } catch (err) {
          failed = true;
          process.stdout.write(
            `  ${publishers} pub QoS ${qos} round ${round} ${kind}: FAILED: ${(err as Error).message}\n`,
          );
        }
      }
    }
    const of = (k: BrokerKind) => w.runs.filter((r) => r.broker === k);
    const bare = of("bare").length ? summarise(of("bare")) : undefined;
    const mosq = of("mosquitto").length ? summarise(of("mosquitto"), bare) : undefined;
    for (const kind of kinds) {
      if (of(kind).length === 0) continue;
      w.summaries[kind] =
        kind === "bare" ? bare : kind === "mosquitto" ? mosq : summarise(of(kind), bare, mosq);
    }
  }
}

const idle: Partial<Record<string, IdleResult>> = {};
if (opts.idle > 0) {
  process.stdout.write(`\n${opts.idle} idle connections (fresh broker each):\n`);
  for (const kind of ["bare", "mosquitto", "uns-monitor"] as BrokerKind[]) {
    if (!opts.brokers.includes(kind)) continue;
    try {
      idle[kind] = await runIdle(kind);
      process.stdout.write(`${idleLines({ [kind]: idle[kind] })}\n`);
    } catch (err) {
      failed = true;
      process.stdout.write(`  ${kind}: FAILED: ${(err as Error).message}\n`);
    }
  }
}

const results = targets(workloads, idle);
const head = {
  payloadBytes,
  durationS: opts.durationMs / 1000,
  latencyS: opts.latencyMs / 1000,
  rate: opts.rate,
  rounds: opts.rounds,
  warmupS: opts.warmupMs / 1000,
  steadyAfterS: opts.steadyAfterMs / 1000,
};
process.stdout.write(`\n${table(workloads, opts.brokers, head)}\n`);
if (opts.idle > 0) process.stdout.write(`\n${opts.idle} idle connections:\n${idleLines(idle)}\n`);
process.stdout.write(
  `\nTargets of issue 14 (UNS against bare aedes in the same run; -durable = store.ackAfterDurable):\n${targetLines(results)}\n`,
);
const met = results.filter((t) => t.pass).length;
process.stdout.write(`  ${met} of ${results.length} met\n`);
const problems = workloads.flatMap((w) =>
  Object.entries(w.summaries).flatMap(([k, s]) =>
    s.problems.map((p) => `${w.publishers} pub QoS ${w.qos} ${k} ${p}`),
  ),
);
if (problems.length > 0) process.stdout.write(`\nProblems:\n${problems.map((p) => `  ${p}`).join("\n")}\n`);

const unsInfo = workloads.flatMap((w) => w.runs).find((r) => isUns(r.broker))?.info ?? null;
const stamp = startedAt.toISOString().replace(/[:]/g, "-").replace(/\..*$/, "");
const jsonPath = flags.json ?? join(repoRoot, "bench-results", `${stamp}.json`);
mkdirSync(dirname(jsonPath), { recursive: true });
const body = `${JSON.stringify(
  {
    generator: "apps/server/bench/src/run.ts (pnpm bench)",
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      node: process.version,
      pinned,
      brokerCore: opts.brokerCore,
      generatorCore: opts.generatorCore,
    },
    options: opts,
    notes,
    payloadBytes,
    uns: unsInfo,
    targets: results,
    idle,
    workloads,
  },
  null,
  2,
)}\n`;
writeFileSync(jsonPath, body);
writeFileSync(here("./last-result.json"), body);
process.stdout.write(`\nresults written to ${jsonPath}\n`);
process.exit(failed || problems.length > 0 ? 1 : 0);
