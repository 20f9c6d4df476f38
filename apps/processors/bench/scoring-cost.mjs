// Phase 1 of the processors benchmark: scoring cost per spot in one worker thread, by batch size.
// Two pools in the same run: the input check by ajv after JSON.parse (the baseline, how the
// worker checked before) and by the native fast path first (@uns/fast-check, as the server's
// validation workers do). CPU is the whole process's (process.cpuUsage counts every thread).
import { loadavg } from "node:os";
import { join } from "node:path";
import { readModel } from "../dist/model/manifest.js";
import { createScoringPool } from "../dist/runtime/scoring-pool.js";
import { packPayloads } from "../dist/runtime/scoring-protocol.js";

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const load1 = () => loadavg()[0].toFixed(2);

async function measure(pool, keys, spots, size, ms) {
  const whole = [];
  const cpu = [];
  const ort = [];
  const end = Date.now() + ms;
  let i = 0;
  while (Date.now() < end) {
    const batch = Array.from({ length: size }, () => spots[i++ % spots.length]);
    const buffers = batch.map((s) => Buffer.from(s.text));
    const c0 = process.cpuUsage();
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
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / size);
    ort.push(((r.runs[keys[0]].ms + r.runs[keys[1]].ms) * 1000) / size);
    if (r.spots.some((s) => !s.ok))
      throw new Error(`bench spot refused: ${r.spots.find((s) => !s.ok).reason}`);
  }
  return { whole: median(whole), cpu: median(cpu), ort: median(ort) };
}

export async function scoringCost({ root, contracts, spots }) {
  const pools = {};
  const keys = ["rsw-nugget-regression", "rsw-curve-autoencoder"];
  for (const fastPath of ["off", "auto"]) {
    const pool = createScoringPool(1, { fastPath });
    pool.setContracts(contracts);
    for (const name of keys) {
      const m = readModel(join(root, "models", name, "1.0.0", "manifest.json"));
      await pool.load(name, { bytes: m.bytes, features: m.manifest.features, onnx: m.manifest.onnx });
    }
    pools[fastPath] = pool;
  }
  // JSON.parse alone of the same payloads, on the main thread: what decoding costs at best.
  const parse = [];
  for (let k = 0; k < 20; k++) {
    const t = performance.now();
    for (const s of spots.slice(0, 500)) JSON.parse(s.text);
    parse.push(((performance.now() - t) * 1000) / 500);
  }
  console.log("1. scoring cost per spot (µs), median of batches, 1 worker thread, both models");
  console.log(`   JSON.parse alone of one spot: ${median(parse).toFixed(1)} µs (load ${load1()})`);
  console.log(
    "   batch | check    | onnxruntime | whole batch (wall) | CPU all threads | target CPU ≤ 100 µs | load",
  );
  const out = {};
  for (const size of [1, 16, 64, 256]) {
    // Alternating in short rounds, so both see the same machine.
    const rounds = { off: [], auto: [] };
    for (let r = 0; r < 3; r++)
      for (const fp of ["off", "auto"]) rounds[fp].push(await measure(pools[fp], keys, spots, size, 400));
    for (const fp of ["off", "auto"]) {
      const m = {
        whole: median(rounds[fp].map((x) => x.whole)),
        cpu: median(rounds[fp].map((x) => x.cpu)),
        ort: median(rounds[fp].map((x) => x.ort)),
      };
      out[`${fp}:${size}`] = m;
      console.log(
        `   ${String(size).padStart(5)} | ${(fp === "off" ? "ajv" : "fast path").padEnd(9)}| ${m.ort.toFixed(1).padStart(11)} | ${m.whole.toFixed(1).padStart(18)} | ${m.cpu.toFixed(1).padStart(15)} | ${(m.cpu <= 100 ? "met" : "MISSED").padStart(19)} | ${load1()}`,
      );
    }
    const a = out[`off:${size}`];
    const b = out[`auto:${size}`];
    console.log(
      `         fast path / ajv: wall ${(b.whole / a.whole).toFixed(2)}x, CPU ${(b.cpu / a.cpu).toFixed(2)}x`,
    );
  }
  for (const pool of Object.values(pools)) await pool.close();
  return out;
}
