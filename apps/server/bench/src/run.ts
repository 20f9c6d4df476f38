#!/usr/bin/env node
/**
 * `pnpm bench`: bare aedes 1.2.0 against the UNS server (monitor and enforce policy), in the same
 * run, driven by the same load generator. See README.md beside this file for what is measured and
 * how to read the table.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, setPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { LoadGenerator, percentile } from "./load-generator.js";
import { type CoreTimes, coreBusyPct, coreTimes, cpuMs, memory, threadCpuMs } from "./proc-stats.js";
import {
  BENCH_PASSWORD,
  type ChildReply,
  PUBLISHER_USER,
  SUBSCRIBER_USER,
  type UnsTotals,
} from "./protocol.js";

const USAGE = `usage: node apps/server/bench/dist/run.js [options]

  --quick                 1 round, 1.5 s phases, 0.5 s warm-up (a smoke run, not for figures)
  --rounds N              alternating rounds per workload; medians are reported (default 3)
  --duration S            max-throughput measurement, seconds (default 5)
  --latency-duration S    fixed-rate latency measurement, seconds (default 5)
  --warmup S              before each measurement, seconds (default 1)
  --rate N                fixed rate for latency, messages/s in total (default 2000)
  --publishers LIST       publisher counts (default 10,100)
  --qos LIST              QoS levels (default 0,1)
  --brokers LIST          bare,uns-monitor,uns-enforce (default all three)
  --window N              QoS 1: messages in flight per publisher without PUBACK (default 20, like mosquitto's max_inflight_messages)
  --max-in-flight N       sent but not yet delivered, at most, in max-throughput mode (default 2000)
  --workers N             UNS validation workers (default: the server's default)
  --broker-core LIST      cores the broker runs on, as taskset takes them (default 0; on a bigger
                          machine e.g. 0,2 gives the validation workers a core of their own)
  --generator-core LIST   cores the load generator runs on (default 1)
  --quiet-wait S          before each run, wait up to S seconds for both cores to be idle
                          (other jobs below 10 %); 0 = do not wait (default 60)
  --tcp-nodelay           experiment: turn Nagle's algorithm off on the brokers' MQTT sockets
                          (both brokers alike; aedes and the server leave it on)
  --nice-workers          experiment: lower the priority (nice 19) of every broker thread but the
                          event loop, so validation only gets CPU the event loop leaves
  --max-other-load PCT    repeat a run (up to --retries times, default 2) when other processes took
                          more than PCT % of the broker's core during it (default 20)
  --store-flush-ms N      experiment: the UNS server's store.flushIntervalMs (default: the server's, 250);
                          a long interval keeps compliance-store writes out of the measured phases
  --no-pin                do not use taskset
  --cpu-prof              write V8 CPU profiles of every broker thread to bench/dist/profiles/<broker>-<n>/;
                          read them with profile-summary.js [--phase latency] <dir>
  --json PATH             where to write the results (default bench/dist/last-result.json)
`;

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    rounds: { type: "string" },
    duration: { type: "string" },
    "latency-duration": { type: "string" },
    warmup: { type: "string" },
    rate: { type: "string", default: "2000" },
    publishers: { type: "string", default: "10,100" },
    qos: { type: "string", default: "0,1" },
    brokers: { type: "string", default: "bare,uns-monitor,uns-enforce" },
    window: { type: "string", default: "20" },
    "max-in-flight": { type: "string", default: "2000" },
    workers: { type: "string" },
    "store-flush-ms": { type: "string" },
    "broker-core": { type: "string", default: "0" },
    "generator-core": { type: "string", default: "1" },
    "quiet-wait": { type: "string", default: "60" },
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

function num(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    process.stderr.write(`--${name}: expected a positive number, got ${JSON.stringify(raw)}\n${USAGE}`);
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

const BROKERS = ["bare", "uns-monitor", "uns-enforce"] as const;
type BrokerKind = (typeof BROKERS)[number];

const opts = {
  rounds: Math.round(num("rounds", flags.rounds, flags.quick ? 1 : 3)),
  durationMs: num("duration", flags.duration, flags.quick ? 1.5 : 5) * 1000,
  latencyMs: num("latency-duration", flags["latency-duration"], flags.quick ? 1.5 : 5) * 1000,
  warmupMs: num("warmup", flags.warmup, flags.quick ? 0.5 : 1) * 1000,
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
  window: Math.round(num("window", flags.window, 20)),
  maxInFlight: Math.round(num("max-in-flight", flags["max-in-flight"], 2000)),
  workers: flags.workers === undefined ? undefined : Math.round(num("workers", flags.workers, 1)),
  storeFlushMs:
    flags["store-flush-ms"] === undefined
      ? undefined
      : Math.round(num("store-flush-ms", flags["store-flush-ms"], 250)),
  brokerCore: cores("broker-core", flags["broker-core"]),
  generatorCore: cores("generator-core", flags["generator-core"]),
  cpuProf: flags["cpu-prof"],
  tcpNoDelay: flags["tcp-nodelay"],
  niceWorkers: flags["nice-workers"],
  quietWaitMs: Number(flags["quiet-wait"]) * 1000,
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

interface BrokerProcess {
  pid: number;
  port: number;
  info: Record<string, unknown>;
  totals(): Promise<UnsTotals | null>;
  /** Marks a moment in the child (for --cpu-prof: the window profile-summary looks at). */
  mark(name: string): void;
  stop(): Promise<void>;
}

let profiled = 0;

/** An initialised embedded database the UNS runs start from (see broker-child.ts). */
let dataTemplate: string | null = null;

function startBroker(kind: BrokerKind, makeTemplate?: string): Promise<BrokerProcess> {
  const uns = kind !== "bare";
  const nodeArgs: string[] = [];
  const childArgs: string[] = [];
  if (makeTemplate) childArgs.push("--make-template", makeTemplate);
  else if (uns && dataTemplate) childArgs.push("--data-template", dataTemplate);
  if (opts.cpuProf && !makeTemplate) {
    const dir = here(`./profiles/${kind}-${++profiled}/`);
    mkdirSync(dir, { recursive: true });
    nodeArgs.push("--cpu-prof", `--cpu-prof-dir=${dir}`);
    childArgs.push("--marks", `${dir}marks.json`);
  }
  const script = [
    here("./broker-child.js"),
    uns ? "uns" : "bare",
    ...childArgs,
    ...(opts.workers ? ["--workers", String(opts.workers)] : []),
    ...(opts.tcpNoDelay ? ["--nodelay"] : []),
    ...(opts.storeFlushMs ? ["--store-flush-ms", String(opts.storeFlushMs)] : []),
  ];
  const child: ChildProcess = pinned
    ? spawn("taskset", ["-c", opts.brokerCore.join(","), process.execPath, ...nodeArgs, ...script], {
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      })
    : spawn(process.execPath, [...nodeArgs, ...script], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let nextId = 1;
  const waiting = new Map<number, (t: UnsTotals | null) => void>();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
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
      } else if (msg.type === "totals") {
        waiting.get(msg.id)?.(msg.totals);
        waiting.delete(msg.id);
      } else if (msg.type === "ready") {
        clearTimeout(timer);
        resolve({
          pid: child.pid!,
          port: msg.port,
          info: msg.info,
          totals: () =>
            new Promise((res) => {
              const id = nextId++;
              waiting.set(id, res);
              child.send({ type: "totals", id });
            }),
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

function topicsFor(kind: BrokerKind, publishers: number): string[] {
  // Monitor policy under plant-a, enforce under plant-b (test/fixtures/topics/tree.yaml). Bare
  // aedes gets the plant-a topics: same lengths, same bytes on the wire.
  const site = kind === "uns-enforce" ? "plant-b" : "plant-a";
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

/**
 * The broker's CPU by thread: the event loop (the main thread) and the others, busiest first
 * (validation workers; V8's GC helpers and libuv's pool are the small ones).
 */
function threadSplit(a: Snapshot, b: Snapshot, pid: number, seconds: number) {
  const pct = (tid: number) => ((b.threads.get(tid) ?? 0) - (a.threads.get(tid) ?? 0)) / 10 / seconds;
  const others = [...b.threads.keys()]
    .filter((t) => t !== pid)
    .map(pct)
    .filter((p) => p >= 0.5)
    .sort((x, y) => y - x);
  return { mainPct: pct(pid), otherThreadsPct: others.map((p) => Math.round(p * 10) / 10) };
}

/** Busy percent of a set of cores, summed (100 = one core's worth). */
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

interface RunResult {
  broker: BrokerKind;
  round: number;
  payloadBytes: number;
  throughput: {
    deliveredPerSec: number;
    publishedPerSec: number;
    brokerCpuPct: number;
    brokerCpuUsPerMsg: number;
    generatorCpuPct: number;
    otherLoad: { brokerCorePct: number; generatorCorePct: number };
    threads: { mainPct: number; otherThreadsPct: number[] };
  };
  latency: {
    samples: number;
    achievedRate: number;
    p50Ms: number;
    p99Ms: number;
    p999Ms: number;
    maxMs: number;
    brokerCpuPct: number;
    generatorCpuPct: number;
    otherLoad: { brokerCorePct: number; generatorCorePct: number };
    threads: { mainPct: number; otherThreadsPct: number[] };
    windowStalls: number;
  };
  peakRssMb: number;
  rssEndMb: number;
  sent: number;
  delivered: number;
  /** null for bare aedes. */
  counted: UnsTotals | null;
  problems: string[];
  info: Record<string, unknown>;
  /** How long the run waited for idle cores, and how busy they were when it started. */
  quiet: { waitedMs: number; busyPct: number } | null;
}

/**
 * The machine is shared (other jobs' tests): wait until neither core is busy with anything else, so
 * that the broker and the generator get their cores to themselves. Returns how long it waited.
 */
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
  const broker = await startBroker(kind);
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
    if (opts.niceWorkers) {
      // setpriority(2) on a thread id changes that thread only (Linux).
      for (const tid of threadCpuMs(broker.pid).keys()) if (tid !== broker.pid) setPriority(tid, 19);
    }

    // Latency at a fixed rate first, on a fresh broker.
    gen.startRate(opts.rate);
    await sleep(opts.warmupMs);
    gen.recordLatencyFromNow();
    const l0 = snap();
    broker.mark("latency-from");
    await sleep(opts.latencyMs);
    gen.stop();
    const l1 = snap();
    broker.mark("latency-to");
    if (!(await gen.drain(30_000)))
      problems.push(`latency phase: ${gen.sent - gen.delivered} of ${gen.sent} not delivered after 30 s`);
    const lat = gen.stopRecordingLatency().sort();
    const ldt = (l1.at - l0.at) / 1000;

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
    if (!(await gen.drain(60_000))) {
      problems.push(
        `throughput phase: ${gen.sent - gen.delivered} of ${gen.sent} not delivered (${gen.sent - gen.acked} not acked) after 60 s`,
      );
    }
    const tdt = (t1.at - t0.at) / 1000;

    // Every PUBLISH must be counted exactly once by the server.
    let counted: UnsTotals | null = null;
    if (kind !== "bare") {
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
    if (gen.unreadable > 0) problems.push(`${gen.unreadable} deliveries without a readable send time`);
    for (const e of gen.failures()) problems.push(e.message);

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
      },
      latency: {
        samples: lat.length,
        achievedRate: (l1.sent - l0.sent) / ldt,
        p50Ms: percentile(lat, 50) / 1000,
        p99Ms: percentile(lat, 99) / 1000,
        p999Ms: percentile(lat, 99.9) / 1000,
        maxMs: (lat[lat.length - 1] ?? Number.NaN) / 1000,
        brokerCpuPct: lBroker,
        generatorCpuPct: lGen,
        otherLoad: otherLoad(l0, l1, lBroker, lGen),
        threads: threadSplit(l0, l1, broker.pid, ldt),
        windowStalls: gen.windowStalls,
      },
      peakRssMb: peak / 2 ** 20,
      rssEndMb: rssEnd / 2 ** 20,
      sent: gen.sent,
      delivered: gen.delivered,
      counted,
      problems,
      info: broker.info,
      quiet,
    };
  } finally {
    await gen.close().catch(() => {});
    await broker.stop();
  }
}

// ---------------------------------------------------------------------------------------------

function median(xs: number[]): number {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface Summary {
  deliveredPerSec: number;
  ratio: number;
  brokerCpuPct: number;
  brokerCpuUsPerMsg: number;
  generatorCpuPct: number;
  p50Ms: number;
  p99Ms: number;
  p99DeltaMs: number;
  latencyBrokerCpuPct: number;
  latencyGeneratorCpuPct: number;
  peakRssMb: number;
  /** Busy time on the broker's core that was not the broker (other jobs): the figures are only as good as this is low. */
  otherLoadPct: number;
  sent: number;
  delivered: number;
  counted: { valid: number; unvalidated: number; invalid: number; ungoverned: number; total: number } | null;
  problems: string[];
}

function summarise(runs: RunResult[], bare: Summary | undefined): Summary {
  const m = (f: (r: RunResult) => number) => median(runs.map(f));
  const sum = (f: (r: RunResult) => number) => runs.reduce((s, r) => s + f(r), 0);
  const deliveredPerSec = m((r) => r.throughput.deliveredPerSec);
  const p99Ms = m((r) => r.latency.p99Ms);
  const counted = runs.every((r) => r.counted)
    ? {
        valid: sum((r) => r.counted!.valid),
        unvalidated: sum((r) => r.counted!.unvalidated),
        invalid: sum((r) => r.counted!.invalid),
        ungoverned: sum((r) => r.counted!.ungoverned),
        total: sum((r) => r.counted!.total),
      }
    : null;
  return {
    deliveredPerSec,
    ratio: bare ? deliveredPerSec / bare.deliveredPerSec : Number.NaN,
    brokerCpuPct: m((r) => r.throughput.brokerCpuPct),
    brokerCpuUsPerMsg: m((r) => r.throughput.brokerCpuUsPerMsg),
    generatorCpuPct: m((r) => r.throughput.generatorCpuPct),
    p50Ms: m((r) => r.latency.p50Ms),
    p99Ms,
    p99DeltaMs: bare ? p99Ms - bare.p99Ms : Number.NaN,
    latencyBrokerCpuPct: m((r) => r.latency.brokerCpuPct),
    latencyGeneratorCpuPct: m((r) => r.latency.generatorCpuPct),
    peakRssMb: m((r) => r.peakRssMb),
    otherLoadPct: m((r) => Math.max(r.throughput.otherLoad.brokerCorePct, r.latency.otherLoad.brokerCorePct)),
    sent: sum((r) => r.sent),
    delivered: sum((r) => r.delivered),
    counted,
    problems: runs.flatMap((r) => r.problems.map((p) => `round ${r.round}: ${p}`)),
  };
}

function pad(s: string, n: number, left = false): string {
  return left ? s.padEnd(n) : s.padStart(n);
}
const f0 = (x: number) => (Number.isNaN(x) ? "-" : Math.round(x).toLocaleString("en-US"));
const f1 = (x: number) => (Number.isNaN(x) ? "-" : x.toFixed(1));
const f2 = (x: number) => (Number.isNaN(x) ? "-" : x.toFixed(2));

function countedCell(s: Summary): string {
  const lost = s.delivered !== s.sent ? ` LOST ${s.sent - s.delivered}` : "";
  if (!s.counted) return `delivered ${s.delivered === s.sent ? "all" : "-"}${lost}`;
  const c = s.counted;
  const ok = c.total === s.sent ? "=sent" : `!= sent ${s.sent}`;
  const unval = c.unvalidated > 0 ? ` unvalidated ${((100 * c.unvalidated) / c.total).toFixed(1)}%` : "";
  return `${f0(c.total)} ${ok}, valid ${((100 * c.valid) / Math.max(1, c.total)).toFixed(1)}%${unval}${lost}`;
}

function table(workloads: WorkloadResult[], payloadBytes: number): string {
  const out: string[] = [];
  const cols = [
    ["broker", 12, true],
    ["msg/s", 9],
    ["x bare", 7],
    ["CPU %", 6],
    ["us/msg", 7],
    ["RSS MB", 7],
    ["gen %", 6],
    ["p50 ms", 7],
    ["p99 ms", 7],
    ["p99-bare", 9],
    ["CPU@rate", 9],
    ["other %", 8],
    ["counted", 0, true],
  ] as const;
  out.push(
    `payload ${payloadBytes} bytes (weld-spot JSON, ${400} numbers); max-throughput phase ${opts.durationMs / 1000} s, ` +
      `latency phase ${opts.latencyMs / 1000} s at ${opts.rate} msg/s; median of ${opts.rounds} round(s)`,
  );
  out.push(
    "msg/s = delivered to the subscriber per second at max throughput; CPU % / us/msg = broker process (all threads) " +
      "at max throughput; RSS = broker peak; gen % = load generator CPU at max throughput; CPU@rate = broker CPU at the fixed rate; " +
      "other % = CPU taken on the broker's core by other processes (should be near 0 for trustworthy figures)",
  );
  for (const w of workloads) {
    out.push("");
    out.push(`${w.publishers} publishers, QoS ${w.qos}`);
    out.push(cols.map(([n, width, left]) => pad(n, width, left)).join("  "));
    for (const kind of opts.brokers) {
      const s = w.summaries[kind];
      if (!s) continue;
      const cells = [
        kind,
        f0(s.deliveredPerSec),
        kind === "bare" ? "1.00" : f2(s.ratio),
        f0(s.brokerCpuPct),
        f1(s.brokerCpuUsPerMsg),
        f0(s.peakRssMb),
        f0(s.generatorCpuPct),
        f2(s.p50Ms),
        f2(s.p99Ms),
        kind === "bare" ? "" : (s.p99DeltaMs >= 0 ? "+" : "") + f2(s.p99DeltaMs),
        f0(s.latencyBrokerCpuPct),
        f0(s.otherLoadPct),
        countedCell(s),
      ];
      out.push(cells.map((c, i) => pad(c, cols[i]![1], cols[i]![2] === true)).join("  "));
    }
  }
  return out.join("\n");
}

interface Target {
  workload: string;
  what: string;
  value: number;
  target: string;
  pass: boolean;
}

function targets(workloads: WorkloadResult[]): Target[] {
  const out: Target[] = [];
  for (const w of workloads) {
    const name = `${w.publishers} pub, QoS ${w.qos}`;
    const mon = w.summaries["uns-monitor"];
    const enf = w.summaries["uns-enforce"];
    if (!w.summaries.bare) continue;
    if (mon)
      out.push({
        workload: name,
        what: "monitor throughput / bare",
        value: mon.ratio,
        target: ">= 0.85",
        pass: mon.ratio >= 0.85,
      });
    if (enf) {
      out.push({
        workload: name,
        what: "enforce throughput / bare",
        value: enf.ratio,
        target: ">= 0.65",
        pass: enf.ratio >= 0.65,
      });
      out.push({
        workload: name,
        what: "enforce p99 - bare p99 (ms)",
        value: enf.p99DeltaMs,
        target: "<= 5",
        pass: enf.p99DeltaMs <= 5,
      });
    }
  }
  return out;
}

interface WorkloadResult {
  publishers: number;
  qos: 0 | 1;
  summaries: Partial<Record<BrokerKind, Summary>>;
  runs: RunResult[];
  /** Runs repeated because other jobs used the broker's core (kept for the record). */
  discarded: RunResult[];
}

function otherPct(r: RunResult): number {
  return Math.max(r.throughput.otherLoad.brokerCorePct, r.latency.otherLoad.brokerCorePct);
}

function noisy(r: RunResult): boolean {
  return otherPct(r) > opts.maxOtherLoad;
}

// ---------------------------------------------------------------------------------------------

const startedAt = new Date();
process.stdout.write(
  `UNS bench: ${opts.brokers.join(", ")}; publishers ${opts.publishers.join(", ")}; QoS ${opts.qos.join(", ")}; ` +
    `${opts.rounds} round(s)\n` +
    (pinned
      ? `broker pinned to core ${opts.brokerCore.join(",")}, load generator to core ${opts.generatorCore.join(",")}\n`
      : "not pinned\n"),
);
const workloads: WorkloadResult[] = [];
let payloadBytes = 0;
let failed = false;
if (opts.brokers.some((b) => b !== "bare")) {
  const t = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "uns-bench-template-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  const b = await startBroker("uns-monitor", join(dir, "data"));
  await b.stop();
  dataTemplate = join(dir, "data");
  process.stdout.write(
    `embedded database initialised for the UNS runs in ${((performance.now() - t) / 1000).toFixed(1)} s\n`,
  );
}
for (const publishers of opts.publishers) {
  for (const qos of opts.qos) {
    const w: WorkloadResult = { publishers, qos, summaries: {}, runs: [], discarded: [] };
    workloads.push(w);
    for (let round = 1; round <= opts.rounds; round++) {
      for (const kind of opts.brokers) {
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
          process.stdout.write(
            `  ${publishers} pub QoS ${qos} round ${round} ${pad(kind, 11, true)} ${pad(f0(r.throughput.deliveredPerSec), 8)} msg/s ` +
              `(broker CPU ${f0(r.throughput.brokerCpuPct)}%: event loop ${f0(r.throughput.threads.mainPct)}%, ` +
              `threads ${r.throughput.threads.otherThreadsPct.map(f0).join("/") || "-"}; gen ${f0(r.throughput.generatorCpuPct)}%)  ` +
              `p50 ${f2(r.latency.p50Ms)} p99 ${f2(r.latency.p99Ms)} ms at ${f0(r.latency.achievedRate)}/s (CPU ${f0(r.latency.brokerCpuPct)}%: event loop ${f0(r.latency.threads.mainPct)}%, threads ${r.latency.threads.otherThreadsPct.map(f0).join("/") || "-"})  other load on broker core ${f0(Math.max(r.throughput.otherLoad.brokerCorePct, r.latency.otherLoad.brokerCorePct))}%  [${((performance.now() - t) / 1000).toFixed(0)} s]` +
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
    const bare = w.runs.some((r) => r.broker === "bare")
      ? summarise(
          w.runs.filter((r) => r.broker === "bare"),
          undefined,
        )
      : undefined;
    for (const kind of opts.brokers) {
      const runs = w.runs.filter((r) => r.broker === kind);
      if (runs.length > 0) w.summaries[kind] = kind === "bare" ? bare! : summarise(runs, bare);
    }
  }
}

const results = targets(workloads);
process.stdout.write(`\n${table(workloads, payloadBytes)}\n\nTargets (UNS vs bare aedes in the same run):\n`);
for (const t of results) {
  process.stdout.write(
    `  ${pad(t.workload, 14, true)}  ${pad(t.what, 28, true)} ${pad(f2(t.value), 6)}  target ${pad(t.target, 7, true)}  ${t.pass ? "met" : "MISSED"}\n`,
  );
}
const problems = workloads.flatMap((w) =>
  Object.entries(w.summaries).flatMap(([k, s]) =>
    s.problems.map((p) => `${w.publishers} pub QoS ${w.qos} ${k} ${p}`),
  ),
);
if (problems.length > 0) process.stdout.write(`\nProblems:\n${problems.map((p) => `  ${p}`).join("\n")}\n`);

const unsInfo = workloads.flatMap((w) => w.runs).find((r) => r.broker !== "bare")?.info ?? null;
const jsonPath = flags.json ?? here("./last-result.json");
writeFileSync(
  jsonPath,
  `${JSON.stringify(
    {
      generator: "apps/server/bench/src/run.ts (pnpm bench); rewritten on every run",
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
      payloadBytes,
      uns: unsInfo,
      targets: results,
      workloads,
    },
    null,
    2,
  )}\n`,
);
process.stdout.write(`\nresults written to ${jsonPath}\n`);
process.exit(failed || problems.length > 0 ? 1 : 0);
