import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/**
 * CPU and memory of another process from /proc (Linux), read from outside so that measuring a
 * saturated broker neither costs it anything nor waits for its event loop.
 */

let ticksPerSecond = 100;
try {
  ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
} catch {
  // getconf missing: 100 Hz is what Linux reports on every common architecture.
}

/** User + system CPU time of all threads of `pid` (or of its thread `tid`), in milliseconds. */
export function cpuMs(pid: number, tid?: number): number {
  const stat = readFileSync(
    tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`,
    "utf8",
  );
  // Fields after the command name, which may hold spaces but ends with the last ')' (proc(5)).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / ticksPerSecond;
}

/** Resident set size now and at its peak, in bytes. */
export function memory(pid: number): { rss: number; peakRss: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kb("VmRSS"), peakRss: kb("VmHWM") };
}

export interface CoreTimes {
  busy: number;
  total: number;
}

/** Busy and total time of every core since boot, in clock ticks (/proc/stat). */
export function coreTimes(): CoreTimes[] {
  const out: CoreTimes[] = [];
  for (const line of readFileSync("/proc/stat", "utf8").split("\n")) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (!m) continue;
    // user nice system idle iowait irq softirq steal ...
    const [user, nice, system, idle, iowait, irq, softirq, steal] = m[2]!
      .trim()
      .split(/\s+/)
      .map(Number) as number[];
    const busy = user! + nice! + system! + irq! + softirq! + steal!;
    out[Number(m[1])] = { busy, total: busy + idle! + iowait! };
  }
  return out;
}

/** Percent of one core that was busy between two readings. */
export function coreBusyPct(a: CoreTimes[], b: CoreTimes[], core: number): number {
  const x = a[core];
  const y = b[core];
  if (!x || !y || y.total === x.total) return Number.NaN;
  return (100 * (y.busy - x.busy)) / (y.total - x.total);
}

/** CPU time per thread of `pid` (thread id -> milliseconds); the main thread's id is `pid`. */
export function threadCpuMs(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      out.set(Number(tid), cpuMs(pid, Number(tid)));
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}
