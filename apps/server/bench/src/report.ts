import type { BrokerKind } from "./brokers.js";
import type { IdleResult } from "./idle-connections.js";
import type { UnsTotals } from "./protocol.js";

/**
 * Medians, the tables and the targets of issue 14 for `run.ts`. Everything here works on the
 * recorded results only, so the same code reads a result file again.
 */

/** Broker CPU by thread, microseconds per delivered message. */
export interface ThreadCost {
  eventLoop: number;
  validation: number;
  store: number;
  contracts: number;
  /** V8's GC and compiler helpers, libuv's pool, unmapped threads. */
  other: number;
}

export interface PhaseLoad {
  brokerCorePct: number;
  generatorCorePct: number;
}

export interface RunResult {
  broker: BrokerKind;
  round: number;
  payloadBytes: number;
  throughput: {
    deliveredPerSec: number;
    publishedPerSec: number;
    brokerCpuPct: number;
    brokerCpuUsPerMsg: number;
    generatorCpuPct: number;
    otherLoad: PhaseLoad;
    threads: { mainPct: number; otherThreadsPct: number[] };
    usPerMsgByThread: ThreadCost;
  };
  latency: {
    samples: number;
    achievedRate: number;
    p50Ms: number;
    p99Ms: number;
    p999Ms: number;
    maxMs: number;
    brokerCpuPct: number;
    brokerCpuUsPerMsg: number;
    generatorCpuPct: number;
    otherLoad: PhaseLoad;
    threads: { mainPct: number; otherThreadsPct: number[] };
    usPerMsgByThread: ThreadCost;
    windowStalls: number;
    /** Seconds after the fixed rate started that this (the steady) window began. */
    startedAfterS?: number;
    /** The same rate's first seconds on the freshly started broker (JIT, first writes). */
    fresh?: {
      startedAfterS: number;
      samples: number;
      p50Ms: number;
      p99Ms: number;
      brokerCpuPct: number;
      brokerCpuUsPerMsg: number;
    };
  };
  /**
   * Validation cost over the whole run (both phases, everything drained): validation threads'
   * CPU and the pool's in-validator time, per message validated. null when nothing was.
   */
  validation: { cpuUsPerMsg: number; busyUsPerMsg: number | null; validated: number } | null;
  peakRssMb: number;
  rssEndMb: number;
  sent: number;
  delivered: number;
  counted: UnsTotals | null;
  problems: string[];
  info: Record<string, unknown>;
  quiet: { waitedMs: number; busyPct: number } | null;
}

export interface Summary {
  runs: number;
  deliveredPerSec: number;
  ratio: number;
  ratioMosquitto: number;
  brokerCpuPct: number;
  brokerCpuUsPerMsg: number;
  byThread: ThreadCost;
  validationUsPerMsg: number;
  validationBusyUsPerMsg: number;
  generatorCpuPct: number;
  p50Ms: number;
  p99Ms: number;
  p99DeltaMs: number;
  latencyBrokerCpuPct: number;
  latencyUsPerMsg: number;
  latencyByThread: ThreadCost;
  /** The fresh broker's first seconds at the rate (NaN in older result files). */
  freshP99Ms: number;
  freshP99DeltaMs: number;
  freshUsPerMsg: number;
  peakRssMb: number;
  otherLoadPct: number;
  sent: number;
  delivered: number;
  counted: {
    valid: number;
    unvalidated: number;
    invalid: number;
    ungoverned: number;
    total: number;
    /** Judged on the event loop instead of a worker. */
    inline: number;
    /** QoS 0 deliveries dropped for the subscriber (its queue was full), counted by the server. */
    dropped: number;
  } | null;
  problems: string[];
}

export interface WorkloadResult {
  publishers: number;
  qos: 0 | 1;
  summaries: Partial<Record<BrokerKind, Summary>>;
  runs: RunResult[];
  /** Runs repeated because other jobs used the broker's core (kept for the record). */
  discarded: RunResult[];
}

export function median(xs: number[]): number {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export const otherPct = (r: RunResult) =>
  Math.max(r.throughput.otherLoad.brokerCorePct, r.latency.otherLoad.brokerCorePct);

function medianCost(costs: ThreadCost[]): ThreadCost {
  const m = (k: keyof ThreadCost) => median(costs.map((c) => c[k]));
  return {
    eventLoop: m("eventLoop"),
    validation: m("validation"),
    store: m("store"),
    contracts: m("contracts"),
    other: m("other"),
  };
}

export function summarise(runs: RunResult[], bare?: Summary, mosquitto?: Summary): Summary {
  const m = (f: (r: RunResult) => number) => median(runs.map(f));
  const sum = (f: (r: RunResult) => number) => runs.reduce((s, r) => s + f(r), 0);
  const deliveredPerSec = m((r) => r.throughput.deliveredPerSec);
  const p99Ms = m((r) => r.latency.p99Ms);
  const freshP99Ms = m((r) => r.latency.fresh?.p99Ms ?? Number.NaN);
  const counted = runs.every((r) => r.counted)
    ? {
        valid: sum((r) => r.counted!.valid),
        unvalidated: sum((r) => r.counted!.unvalidated),
        invalid: sum((r) => r.counted!.invalid),
        ungoverned: sum((r) => r.counted!.ungoverned),
        total: sum((r) => r.counted!.total),
        inline: sum((r) => r.counted!.inline ?? 0),
        dropped: sum((r) => r.counted!.slowClientDropped ?? 0),
      }
    : null;
  return {
    runs: runs.length,
    deliveredPerSec,
    ratio: bare ? deliveredPerSec / bare.deliveredPerSec : Number.NaN,
    ratioMosquitto: mosquitto ? deliveredPerSec / mosquitto.deliveredPerSec : Number.NaN,
    brokerCpuPct: m((r) => r.throughput.brokerCpuPct),
    brokerCpuUsPerMsg: m((r) => r.throughput.brokerCpuUsPerMsg),
    byThread: medianCost(runs.map((r) => r.throughput.usPerMsgByThread)),
    validationUsPerMsg: m((r) => r.validation?.cpuUsPerMsg ?? Number.NaN),
    validationBusyUsPerMsg: m((r) => r.validation?.busyUsPerMsg ?? Number.NaN),
    generatorCpuPct: m((r) => r.throughput.generatorCpuPct),
    p50Ms: m((r) => r.latency.p50Ms),
    p99Ms,
    p99DeltaMs: bare ? p99Ms - bare.p99Ms : Number.NaN,
    latencyBrokerCpuPct: m((r) => r.latency.brokerCpuPct),
    latencyUsPerMsg: m((r) => r.latency.brokerCpuUsPerMsg),
    latencyByThread: medianCost(runs.map((r) => r.latency.usPerMsgByThread)),
    freshP99Ms,
    freshP99DeltaMs: bare ? freshP99Ms - bare.freshP99Ms : Number.NaN,
    freshUsPerMsg: m((r) => r.latency.fresh?.brokerCpuUsPerMsg ?? Number.NaN),
    peakRssMb: m((r) => r.peakRssMb),
    otherLoadPct: m(otherPct),
    sent: sum((r) => r.sent),
    delivered: sum((r) => r.delivered),
    counted,
    problems: runs.flatMap((r) => r.problems.map((p) => `round ${r.round}: ${p}`)),
  };
}

function pad(s: string, n: number, left = false): string {
  return left ? s.padEnd(n) : s.padStart(n);
}
export const f0 = (x: number) => (Number.isNaN(x) ? "-" : Math.round(x).toLocaleString("en-US"));
export const f1 = (x: number) => (Number.isNaN(x) ? "-" : x.toFixed(1));
export const f2 = (x: number) => (Number.isNaN(x) ? "-" : x.toFixed(2));

function countedCell(s: Summary): string {
  let lost = s.delivered !== s.sent ? ` LOST ${s.sent - s.delivered}` : "";
  if (!s.counted) return `delivered ${s.delivered === s.sent ? "all" : "-"}${lost}`;
  const c = s.counted;
  if (c.dropped > 0)
    lost =
      s.sent - s.delivered === c.dropped
        ? ` dropped for subscriber ${c.dropped} (counted)`
        : `${lost} (dropped and counted ${c.dropped})`;
  if (c.inline > 0) lost += `, inline ${((100 * c.inline) / Math.max(1, c.total)).toFixed(0)}%`;
  const ok = c.total === s.sent ? "=sent" : `!= sent ${s.sent}`;
  const unval = c.unvalidated > 0 ? ` unvalidated ${((100 * c.unvalidated) / c.total).toFixed(1)}%` : "";
  return `${f0(c.total)} ${ok}, valid ${((100 * c.valid) / Math.max(1, c.total)).toFixed(1)}%${unval}${lost}`;
}

const COLS = [
  ["broker", 19, true],
  ["msg/s", 8],
  ["x bare", 6],
  ["x mosq", 6],
  ["us/msg", 6],
  ["loop", 5],
  ["valid", 5],
  ["store", 5],
  ["other", 5],
  ["RSS MB", 6],
  ["gen %", 5],
  ["p50 ms", 6],
  ["p99 ms", 6],
  ["p99-bare", 8],
  ["CPU@rate", 8],
  ["us@rate", 7],
  ["p99 fresh", 9],
  ["us@fresh", 8],
  ["other %", 7],
  ["counted", 0, true],
] as const;

export function table(
  workloads: WorkloadResult[],
  brokers: readonly BrokerKind[],
  head: {
    payloadBytes: number;
    durationS: number;
    latencyS: number;
    rate: number;
    rounds: number;
    warmupS: number;
    steadyAfterS: number;
  },
): string {
  const out: string[] = [];
  out.push(
    `payload ${head.payloadBytes} bytes (weld-spot JSON, 400 numbers); max-throughput phase ${head.durationS} s, ` +
      `latency phase ${head.latencyS} s at ${head.rate} msg/s from ${head.steadyAfterS} s after that rate started (every broker alike; ` +
      `"fresh": the same rate ${head.warmupS}-${head.warmupS + head.latencyS} s after it started on the fresh broker); median of ${head.rounds} round(s)`,
  );
  out.push(
    "msg/s = delivered per second at max throughput; us/msg = broker CPU (all threads) per delivered message, split into " +
      "loop (event loop), valid (validation workers), store (store writer), other (GC/compiler helpers, libuv pool); " +
      "RSS = broker peak; CPU@rate / us@rate = broker CPU at the fixed rate (steady); p99 fresh / us@fresh = the same in the fresh broker's first seconds; other % = CPU other processes took on the broker's core",
  );
  for (const w of workloads) {
    out.push("");
    out.push(`${w.publishers} publishers, QoS ${w.qos}`);
    out.push(COLS.map(([n, width, left]) => pad(n, width, left)).join(" "));
    for (const kind of brokers) {
      const s = w.summaries[kind];
      if (!s) continue;
      const t = s.byThread;
      const cells = [
        kind,
        f0(s.deliveredPerSec),
        kind === "bare" ? "1.00" : f2(s.ratio),
        kind === "mosquitto" ? "1.00" : f2(s.ratioMosquitto),
        f1(s.brokerCpuUsPerMsg),
        f1(t.eventLoop),
        f1(t.validation),
        f1(t.store),
        f1(t.other + t.contracts),
        f0(s.peakRssMb),
        f0(s.generatorCpuPct),
        f2(s.p50Ms),
        f2(s.p99Ms),
        kind === "bare" ? "" : (s.p99DeltaMs >= 0 ? "+" : "") + f2(s.p99DeltaMs),
        f0(s.latencyBrokerCpuPct),
        f0(s.latencyUsPerMsg),
        f2(s.freshP99Ms),
        f0(s.freshUsPerMsg),
        f0(s.otherLoadPct),
        countedCell(s),
      ];
      out.push(cells.map((c, i) => pad(c, COLS[i]![1], COLS[i]![2] === true)).join(" "));
    }
  }
  return out.join("\n");
}

export interface Target {
  workload: string;
  broker: string;
  what: string;
  value: number;
  /** What the issue asks, as text, and the bound the value is checked against. */
  target: string;
  pass: boolean;
  /** The figure compared with (bare's, where the target is relative). */
  reference?: number;
}

/** Every target of issue 14, for every UNS broker run, in default mode and (QoS 1) with ackAfterDurable. */
export function targets(workloads: WorkloadResult[], idle: Partial<Record<string, IdleResult>>): Target[] {
  const out: Target[] = [];
  const add = (t: Target) => out.push({ ...t, pass: !Number.isNaN(t.value) && t.pass });
  for (const w of workloads) {
    const name = `${w.publishers} pub, QoS ${w.qos}`;
    const bare = w.summaries.bare;
    for (const kind of [
      "uns-monitor",
      "uns-enforce",
      "uns-monitor-durable",
      "uns-enforce-durable",
    ] as const) {
      const s = w.summaries[kind];
      if (!s) continue;
      const enforce = kind.startsWith("uns-enforce");
      add({
        workload: name,
        broker: kind,
        what: "validation CPU per message (us)",
        value: s.validationUsPerMsg,
        target: "<= 10",
        pass: s.validationUsPerMsg <= 10,
      });
      if (!bare) continue;
      add({
        workload: name,
        broker: kind,
        what: "broker CPU per message - bare (us)",
        value: s.brokerCpuUsPerMsg - bare.brokerCpuUsPerMsg,
        target: "<= +15",
        pass: s.brokerCpuUsPerMsg - bare.brokerCpuUsPerMsg <= 15,
        reference: bare.brokerCpuUsPerMsg,
      });
      const min = enforce ? 0.5 : 0.55;
      add({
        workload: name,
        broker: kind,
        what: "throughput / bare",
        value: s.ratio,
        target: `>= ${min}`,
        pass: s.ratio >= min,
        reference: bare.deliveredPerSec,
      });
      const loop = s.byThread.eventLoop / bare.byThread.eventLoop;
      add({
        workload: name,
        broker: kind,
        what: "event-loop CPU per message / bare",
        value: loop,
        target: "<= 1.3",
        pass: loop <= 1.3,
        reference: bare.byThread.eventLoop,
      });
      add({
        workload: name,
        broker: kind,
        what: "p99 at rate - bare p99 (ms)",
        value: s.p99DeltaMs,
        target: "<= 3",
        pass: s.p99DeltaMs <= 3,
        reference: bare.p99Ms,
      });
      const cpu = s.latencyBrokerCpuPct / bare.latencyBrokerCpuPct;
      add({
        workload: name,
        broker: kind,
        what: "broker CPU at rate / bare",
        value: cpu,
        target: "<= 2",
        pass: cpu <= 2,
        reference: bare.latencyBrokerCpuPct,
      });
      add({
        workload: name,
        broker: kind,
        what: "peak RSS (MB)",
        value: s.peakRssMb,
        target: "<= 250",
        pass: s.peakRssMb <= 250,
        reference: bare.peakRssMb,
      });
    }
  }
  const uns = idle["uns-monitor"];
  if (uns)
    add({
      workload: `${uns.count} idle`,
      broker: "uns-monitor",
      what: "RSS with idle connections - none (MB)",
      value: uns.connected === uns.count ? uns.deltaMb : Number.NaN,
      target: "<= +150",
      pass: uns.deltaMb <= 150,
      reference: idle.bare?.deltaMb,
    });
  return out;
}

export function targetLines(results: Target[]): string {
  return results
    .map(
      (t) =>
        `  ${pad(t.workload, 16, true)} ${pad(t.broker, 19, true)} ${pad(t.what, 38, true)} ${pad(f2(t.value), 8)}  ` +
        `target ${pad(t.target, 7, true)} ${t.pass ? "met" : "MISSED"}` +
        (t.reference !== undefined ? `   (bare ${f2(t.reference)})` : ""),
    )
    .join("\n");
}

export function idleLines(idle: Partial<Record<string, IdleResult>>): string {
  return Object.entries(idle)
    .map(([k, r]) =>
      r
        ? `  ${pad(k, 12, true)} ${f0(r.connected)}/${f0(r.count)} connected in ${f1(r.connectSeconds)} s; RSS ${f0(r.rssBeforeMb)} -> ${f0(r.rssAfterMb)} MB ` +
          `(+${f1(r.deltaMb)} MB, ${f0(r.perConnectionBytes)} bytes each)${r.failed ? `; ${r.failed} failed: ${r.firstError}` : ""}`
        : `  ${k}: -`,
    )
    .join("\n");
}
