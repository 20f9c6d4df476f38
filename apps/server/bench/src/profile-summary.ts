#!/usr/bin/env node
/**
 * Where the broker's time goes: `node apps/server/bench/dist/profile-summary.js [--phase latency] <dir>...` prints
 * self time by area (package or server module) and the top functions, for the profiles that
 * `run.js --cpu-prof` writes into one folder per broker run (one file per thread: the main thread
 * and each validation worker). Only samples inside one phase (default the max-throughput one;
 * `--phase latency`: the fixed-rate one) are counted, using
 * the marks.json the broker child writes next to them (same clock as the profiles).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The package or module a frame belongs to, so costs group by what one could change. */
function area(url: string, fn: string): string {
  if (!url) return fn.startsWith("(") ? fn : "(native / V8 builtins)";
  if (url.startsWith("node:")) return "node core";
  const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const own = /\/(apps\/[^/]+|libs\/[^/]+)\/(?:dist|src)\/(.+?)(?:\.js|\.ts)$/.exec(url);
  if (own) return `${own[1]}: ${own[2]}`;
  return url;
}

const argv = process.argv.slice(2);
const phaseAt = argv.indexOf("--phase");
const phase = phaseAt >= 0 ? argv[phaseAt + 1] : "throughput";
const args = phaseAt >= 0 ? argv.filter((_, i) => i !== phaseAt && i !== phaseAt + 1) : argv;
if (args.length === 0) {
  process.stderr.write(
    "usage: profile-summary.js [--phase throughput|latency] <profile folder or .cpuprofile file>...\n",
  );
  process.exit(2);
}
const files: { file: string; window: { from: number; to: number } | null }[] = [];
for (const arg of args) {
  const dir = statSync(arg).isDirectory() ? arg : null;
  const list = dir
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".cpuprofile"))
        .map((f) => join(dir, f))
    : [arg];
  const marksFile = join(dir ?? join(arg, ".."), "marks.json");
  const marks = existsSync(marksFile)
    ? (JSON.parse(readFileSync(marksFile, "utf8")) as Record<string, number>)
    : {};
  const from = marks[`${phase}-from`];
  const to = marks[`${phase}-to`];
  const window = from !== undefined && to !== undefined ? { from, to } : null;
  for (const file of list.sort()) files.push({ file, window });
}

for (const { file, window } of files) {
  const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const hits = new Map<number, number>();
  let t = p.startTime;
  let counted = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    if (window && (t < window.from || t > window.to)) continue;
    counted++;
    hits.set(p.samples[i]!, (hits.get(p.samples[i]!) ?? 0) + 1);
  }
  const totalMs = window ? (window.to - window.from) / 1000 : (p.endTime - p.startTime) / 1000;
  const msPerSample = totalMs / Math.max(1, counted);
  const byArea = new Map<string, number>();
  const byFn = new Map<string, number>();
  let busy = 0;
  for (const node of p.nodes) {
    const n = hits.get(node.id) ?? 0;
    if (n === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const ms = n * msPerSample;
    if (functionName !== "(idle)") busy += ms;
    const a = area(url, functionName);
    byArea.set(a, (byArea.get(a) ?? 0) + ms);
    const key = `${functionName || "(anonymous)"}  ${a}${url ? `:${lineNumber + 1}` : ""}`;
    byFn.set(key, (byFn.get(key) ?? 0) + ms);
  }
  // Inclusive time: a function and everything it calls (counted once per stack, so recursion
  // does not count twice), which shows e.g. what the pipeline's decide() costs with its callees.
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map<string, number>();
  for (const [id, n] of hits) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      if (!f.url || f.url.startsWith("node:")) continue;
      const key = `${f.functionName || "(anonymous)"}  ${area(f.url, f.functionName)}:${f.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + n * msPerSample);
    }
  }
  const top = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(
        ([k, ms]) =>
          `  ${ms.toFixed(0).padStart(7)} ms  ${((100 * ms) / Math.max(1, busy)).toFixed(1).padStart(5)}%  ${k}`,
      )
      .join("\n");
  process.stdout.write(
    `\n${basename(file)}: ${totalMs.toFixed(0)} ms ${window ? `in the ${phase} window` : "profiled (no marks.json: whole life)"}, ` +
      `${busy.toFixed(0)} ms not idle (percentages are of that)\n` +
      `by area:\n${top(byArea, 15)}\ntop functions (self time):\n${top(byFn, 25)}\n` +
      `top functions (inclusive time, JavaScript outside node core):\n${top(inclusive, 30)}\n`,
  );
}
