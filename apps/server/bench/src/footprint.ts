/**
 * Where the UNS server's memory goes (issue 14, item 4): the server in a child process pinned to
 * the broker's core, idle and then under the bench's max-throughput load, with every V8
 * isolate's heap (main, validation workers, store writer, loaders) and the process's mappings
 * (PGlite's WASM memory, other anonymous memory, files) sampled every half second.
 *
 *   node apps/server/bench/dist/footprint.js [--publishers 10] [--qos 0] [--seconds 8]
 *     [--set key=value ...]     server settings (JSON values), e.g. --set browser.maxBytes=8388608
 *     [--young role=MB ...]     worker resourceLimits.maxYoungGenerationSizeMb for a role
 *                               (validation, store, contracts, worker): an experiment
 *     [--node-arg FLAG ...]     node flags for the server process, e.g. --node-arg=--max-semi-space-size=4
 *
 * Not a timed test and not part of `pnpm bench`: a tool for finding what to shrink.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import worker_threads from "node:worker_threads";
import { brokerEnv } from "./brokers.js";
import type { IsolateMemory } from "./footprint-probe.js";
import { LoadGenerator } from "./load-generator.js";
import { cpuMs, memory } from "./proc-stats.js";
import { BENCH_PASSWORD, PUBLISHER_USER, SUBSCRIBER_USER } from "./protocol.js";

const { values } = parseArgs({
  options: {
    child: { type: "boolean", default: false },
    pinned: { type: "boolean", default: false },
    "make-template": { type: "string" },
    "data-template": { type: "string" },
    publishers: { type: "string", default: "10" },
    qos: { type: "string", default: "0" },
    seconds: { type: "string", default: "8" },
    set: { type: "string", multiple: true, default: [] },
    young: { type: "string", multiple: true, default: [] },
    "node-arg": { type: "string", multiple: true, default: [] },
  },
});
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const MB = 2 ** 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A process's resident memory by kind of mapping, from /proc/<pid>/smaps (bytes). */
export function mappings(pid: number | "self") {
  const out = { wasm: 0, anon: 0, brk: 0, file: 0, stack: 0 };
  let kind: keyof typeof out = "anon";
  let size = 0;
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
      const [range, , , , , path = ""] = line.split(/\s+/);
      const [a, b] = range!.split("-").map((h) => Number.parseInt(h, 16));
      size = b! - a!;
      // A WebAssembly memory reserves its whole address space (8 GiB and guard pages) at once.
      kind = path.startsWith("/")
        ? "file"
        : path === "[heap]"
          ? "brk"
          : path.startsWith("[stack")
            ? "stack"
            : size >= 4 * 2 ** 30
              ? "wasm"
              : "anon";
    } else if (line.startsWith("Rss:")) out[kind] += Number(line.split(/\s+/)[1]) * 1024;
  }
  return out;
}

type Sample = {
  at: number;
  rss: number;
  maps: ReturnType<typeof mappings>;
  isolates: IsolateMemory[];
  /** Messages waiting for validation, and the topic browser's estimate of its bytes. */
  queued: number;
  browserBytes: number;
};

// ------------------------------------------------------------------------------------------------
// The child: the UNS server with a memory probe in every thread.

async function child(): Promise<void> {
  const young = new Map(
    values.young.map((s) => {
      const [role, mb] = s.split("=");
      return [role!, Number(mb)];
    }),
  );
  const roleOf = (script: string) =>
    script.includes("validation-worker")
      ? "validation"
      : script.includes("store-worker")
        ? "store"
        : script.includes("load-worker")
          ? "contracts"
          : script.includes("pglite-init")
            ? "initdb"
            : "worker";
  const Original = worker_threads.Worker;
  const probe = new URL("./footprint-probe.js", import.meta.url).href;
  class ProbedWorker extends Original {
    constructor(filename: string | URL, options: worker_threads.WorkerOptions = {}) {
      const role = roleOf(String(filename));
      const mb = young.get(role);
      const resourceLimits = mb
        ? { ...options.resourceLimits, maxYoungGenerationSizeMb: mb }
        : options.resourceLimits;
      if (options.eval) {
        super(filename, { ...options, resourceLimits });
        return;
      }
      const entry = filename instanceof URL ? filename.href : new URL(filename, "file://").href;
      const boot = `import(${JSON.stringify(probe)}).then((p) => { p.installProbe(${JSON.stringify(role)}); return import(${JSON.stringify(entry)}); });`;
      super(boot, { ...options, eval: true, resourceLimits });
    }
  }
  (worker_threads as { Worker: typeof Original }).Worker = ProbedWorker;
  syncBuiltinESMExports();
  const { sampleThreads } = await import("./footprint-probe.js");

  const started = performance.now();
  const [{ createUnsServer, loadConfig }, { addUser }] = await Promise.all([
    import("@uns/server"),
    import("@uns/contracts"),
  ]);
  const fixtures = fileURLToPath(new URL("../../test/fixtures/", import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), "uns-footprint-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(fixtures, "asyncapi"), join(dir, "asyncapi"), { recursive: true });
  cpSync(join(fixtures, "topics"), join(dir, "topics"), { recursive: true });
  await addUser(join(dir, "topics"), PUBLISHER_USER, BENCH_PASSWORD, ["device"]);
  await addUser(join(dir, "topics"), SUBSCRIBER_USER, BENCH_PASSWORD, ["viewer"]);
  if (values["data-template"]) cpSync(values["data-template"], join(dir, "data"), { recursive: true });
  const overrides: Record<string, unknown> = {};
  for (const s of values.set) {
    const i = s.indexOf("=");
    const raw = s.slice(i + 1);
    try {
      overrides[s.slice(0, i)] = JSON.parse(raw);
    } catch {
      overrides[s.slice(0, i)] = raw;
    }
  }
  const config = loadConfig({
    env: {},
    overrides: {
      "mqtt.host": "127.0.0.1",
      "mqtt.port": 0,
      "http.host": "127.0.0.1",
      "http.port": 0,
      dataDir: values["make-template"] ?? join(dir, "data"),
      contractsDir: join(dir, "asyncapi"),
      topicsDir: join(dir, "topics"),
      "log.level": "silent",
      ...overrides,
    },
  });
  const server = await createUnsServer(config);
  const { mqttPort } = await server.start();
  const startMs = performance.now() - started;
  const samples: Sample[] = [];
  let sampling = false;
  const sample = async () => {
    const isolates = await sampleThreads();
    samples.push({
      at: performance.now(),
      rss: memory(process.pid).rss,
      maps: mappings("self"),
      isolates,
      queued: server.pool.stats().queued + server.pool.stats().inFlight,
      browserBytes: server.topicBrowser.stats().bytes,
    });
  };
  const timer = setInterval(() => {
    if (sampling) return;
    sampling = true;
    void sample().finally(() => {
      sampling = false;
    });
  }, 500);
  process.on("message", async (m: { type: string; phase?: string }) => {
    if (m.type === "phase") {
      await sample();
      process.send?.({ type: "phase", phase: m.phase, sample: samples.at(-1), count: samples.length });
    } else if (m.type === "stop") {
      clearInterval(timer);
      const totals = server.live.totals();
      process.send?.({ type: "samples", samples, totals, hwm: memory(process.pid).peakRss });
      await server.stop();
      process.exit(0);
    }
  });
  process.on("disconnect", () => process.exit(0));
  process.send?.({ type: "ready", port: mqttPort, startMs });
}

// ------------------------------------------------------------------------------------------------
// The parent: the load generator, and the report.

function startChild(extra: string[]): Promise<{ proc: ChildProcess; port: number; startMs: number }> {
  const args = [...values["node-arg"], here("./footprint.js"), "--child", ...extra];
  for (const s of values.set) args.push("--set", s);
  for (const y of values.young) args.push("--young", y);
  const pin = spawnSync("taskset", ["-V"]).error === undefined && availableParallelism() >= 2;
  const proc = pin
    ? spawn("taskset", ["-c", "0", process.execPath, ...args], {
        stdio: ["ignore", "inherit", "inherit", "ipc"],
        env: brokerEnv(),
      })
    : spawn(process.execPath, args, { stdio: ["ignore", "inherit", "inherit", "ipc"], env: brokerEnv() });
  return new Promise((resolve, reject) => {
    proc.once("exit", (code) => reject(new Error(`server child exited (${code}) before it was ready`)));
    proc.on("message", (m: { type: string; port: number; startMs: number }) => {
      if (m.type === "ready") resolve({ proc, port: m.port, startMs: m.startMs });
    });
  });
}

function ask<T>(proc: ChildProcess, msg: object, type: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: { type: string }) => {
      if (m.type !== type) return;
      proc.off("message", on);
      resolve(m as T);
    };
    proc.on("message", on);
    proc.send(msg);
  });
}

const mb = (n: number) => (n / MB).toFixed(1).padStart(7);

function report(phase: string, s: Sample): void {
  const m = s.maps;
  console.log(
    `${phase.padEnd(6)} RSS ${mb(s.rss)} MB = wasm ${mb(m.wasm)} + anon ${mb(m.anon)} + brk ${mb(m.brk)} + files ${mb(m.file)} + stacks ${mb(m.stack)}; validation queue ${s.queued}, browser ${mb(s.browserBytes)} MB`,
  );
}

async function parent(): Promise<void> {
  const publishers = Number(values.publishers);
  const qos = Number(values.qos) as 0 | 1;
  const seconds = Number(values.seconds);
  const tdir = mkdtempSync(join(tmpdir(), "uns-footprint-template-"));
  process.on("exit", () => rmSync(tdir, { recursive: true, force: true }));
  const template = join(tdir, "data");
  const first = await startChild(["--make-template", template]);
  console.log(
    `first start (empty data folder: initdb, migrations, every contract parsed): ${(first.startMs / 1000).toFixed(1)} s`,
  );
  // The child answers before its server has stopped: copying the template while PGlite still
  // removes its files fails (ENOENT on postmaster.pid), so wait for the process to end.
  const firstExited = new Promise((r) => first.proc.once("exit", r));
  await ask(first.proc, { type: "stop" }, "samples");
  await firstExited;
  const c = await startChild(["--data-template", template]);
  console.log(`start from the template: ${(c.startMs / 1000).toFixed(1)} s`);
  await sleep(2000);
  const idle = await ask<{ sample: Sample }>(c.proc, { type: "phase", phase: "idle" }, "phase");
  const topics = Array.from({ length: publishers }, (_, i) => {
    const line = String(Math.floor(i / 10) + 1).padStart(2, "0");
    const cell = String((i % 10) + 1).padStart(2, "0");
    return `acme/plant-a/body-shop/line-${line}/cell-${cell}/weld-spot`;
  });
  const gen = new LoadGenerator({
    port: c.port,
    topics,
    qos,
    username: PUBLISHER_USER,
    password: BENCH_PASSWORD,
    subscriberUsername: SUBSCRIBER_USER,
    subscriberPassword: BENCH_PASSWORD,
    window: 20,
    maxInFlight: 2000,
  });
  await gen.connect();
  gen.startMax();
  await sleep(1000);
  const d0 = gen.delivered;
  const t0 = performance.now();
  const cpu0 = cpuMs(c.proc.pid!);
  const loop0 = cpuMs(c.proc.pid!, c.proc.pid!);
  await sleep(seconds * 1000);
  const n = gen.delivered - d0;
  const rate = n / ((performance.now() - t0) / 1000);
  const usPerMsg = ((cpuMs(c.proc.pid!) - cpu0) * 1000) / n;
  const loopUsPerMsg = ((cpuMs(c.proc.pid!, c.proc.pid!) - loop0) * 1000) / n;
  gen.stop();
  await gen.drain(30_000);
  await sleep(1000);
  const after = await ask<{ sample: Sample }>(c.proc, { type: "phase", phase: "after" }, "phase");
  const peakRss = memory(c.proc.pid!).peakRss;
  const done = await ask<{ samples: Sample[]; hwm: number; totals: { total: number; unvalidated: number } }>(
    c.proc,
    { type: "stop" },
    "samples",
  );
  const loaded = done.samples.filter((s) => s.at >= idle.sample.at && s.at <= after.sample.at);
  const top = loaded.reduce((a, b) => (b.rss > a.rss ? b : a), loaded[0] ?? after.sample);

  console.log(
    `${publishers} publishers, QoS ${qos}: ${Math.round(rate).toLocaleString("en-US")} msg/s delivered, ${usPerMsg.toFixed(1)} us CPU/msg (event loop ${loopUsPerMsg.toFixed(1)}); peak RSS (VmHWM) ${mb(peakRss)} MB`,
  );
  // What a bounded queue sheds (monitor: delivered unvalidated) is part of the figure.
  const { total, unvalidated } = done.totals;
  console.log(
    `counted ${total.toLocaleString("en-US")}, unvalidated ${unvalidated.toLocaleString("en-US")} (${((100 * unvalidated) / Math.max(1, total)).toFixed(1)} %)`,
  );
  report("idle", idle.sample);
  console.log(
    `       idle isolates: ${idle.sample.isolates.map((i) => `${i.role} heap ${(i.heapPhysical / MB).toFixed(1)} (new ${(i.newSpace / MB).toFixed(1)}) ext ${(i.external / MB).toFixed(1)}`).join("; ")}`,
  );
  report("peak", top);
  const q = loaded.reduce((a, b) => (b.queued > a.queued ? b : a), top);
  if (q !== top) report("max q", q);
  report("after", after.sample);
  // Largest figure per isolate over the loaded samples.
  const byThread = new Map<string, IsolateMemory>();
  for (const s of [idle.sample, ...loaded, after.sample]) {
    for (const i of s.isolates) {
      const k = `${i.role}#${i.threadId}`;
      const prev = byThread.get(k);
      if (!prev) byThread.set(k, { ...i });
      else
        for (const f of Object.keys(i) as (keyof IsolateMemory)[])
          if (typeof i[f] === "number" && (i[f] as number) > (prev[f] as number))
            (prev as unknown as Record<string, number>)[f] = i[f] as number;
    }
  }
  console.log("isolate (max over the run)   heap  (new   old  code  large)  used  external  malloced   MB");
  for (const [k, i] of byThread) {
    console.log(
      `  ${k.padEnd(26)} ${mb(i.heapPhysical)} (${[i.newSpace, i.oldSpace, i.codeSpace, i.largeObjects].map((n) => (n / MB).toFixed(1)).join(" ")}) ${mb(i.heapUsed)} ${mb(i.external)} ${mb(i.malloced)}`,
    );
  }
  await gen.close();
  c.proc.disconnect();
  process.exit(0);
}

if (values.child) await child();
else if (!values.pinned && spawnSync("taskset", ["-V"]).error === undefined && availableParallelism() >= 2) {
  // The generator on core 1, as the bench does.
  const r = spawnSync(
    "taskset",
    ["-c", "1", process.execPath, here("./footprint.js"), ...process.argv.slice(2), "--pinned"],
    {
      stdio: "inherit",
    },
  );
  process.exit(r.status ?? 1);
} else await parent();
