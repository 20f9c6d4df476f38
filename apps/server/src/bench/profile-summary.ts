#!/usr/bin/env node
/**
 * Where the broker's time goes: `node apps/server/dist/bench/profile-summary.js <file.cpuprofile>...`
 * prints self time by area (package or server module) and the top functions, for the profiles
 * `pnpm bench --cpu-prof` writes (one file per thread: the main thread and each validation worker).
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
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

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write("usage: profile-summary.js <file.cpuprofile>...\n");
  process.exit(2);
}

for (const file of files) {
  const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const totalMs = (p.endTime - p.startTime) / 1000;
  const msPerSample = totalMs / Math.max(1, p.samples.length);
  const hits = new Map<number, number>();
  for (const id of p.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
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
  const top = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, ms]) => `  ${ms.toFixed(0).padStart(7)} ms  ${((100 * ms) / Math.max(1, busy)).toFixed(1).padStart(5)}%  ${k}`)
      .join("\n");
  process.stdout.write(
    `\n${basename(file)}: ${totalMs.toFixed(0)} ms profiled, ${busy.toFixed(0)} ms not idle (percentages are of that)\n` +
      `by area:\n${top(byArea, 15)}\ntop functions (self time):\n${top(byFn, 25)}\n`,
  );
}
