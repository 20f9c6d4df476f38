// Phase 4 of the processors benchmark: the live regression is swapped for another version while
// spots arrive at 1,000/s. Every spot must have exactly one result, and every result its model
// versions: lost, scored twice and unversioned are counted (target: 0, 0, 0).
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { load1 } from "./scoring-cost.mjs";

const REG = "rsw-nugget-regression";

export async function swapUnderLoad({ config, runtime, device, viewer, next, seconds }) {
  // A second version of the same graph, made after the start (which takes the newest there is).
  const to = join(config.modelsDir, REG, "1.0.1");
  cpSync(join(config.modelsDir, REG, "1.0.0"), to, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(to, "manifest.json"), "utf8"));
  writeFileSync(join(to, "manifest.json"), JSON.stringify({ ...manifest, version: "1.0.1" }));

  const sent = new Set();
  const seen = new Map();
  const versions = new Map();
  let unversioned = 0;
  let acked = 0;
  let lastResultAt = performance.now();
  const onMessage = (_t, payload) => {
    lastResultAt = performance.now();
    const r = JSON.parse(payload.toString());
    if (!sent.has(r.spot.seq)) return;
    seen.set(r.spot.seq, (seen.get(r.spot.seq) ?? 0) + 1);
    if (!r.model?.version || !r.anomalyModel?.version) unversioned++;
    versions.set(r.model?.version ?? "none", (versions.get(r.model?.version ?? "none") ?? 0) + 1);
  };
  viewer.on("message", onMessage);
  const slot = runtime.weldQuality.regression;
  const from = slot.live().manifest.version;
  let swapMs = null;
  let swapping = null;
  const start = performance.now();
  await new Promise((resolve) => {
    const tick = setInterval(() => {
      const elapsed = performance.now() - start;
      const due = Math.floor((elapsed / 1000) * 1000);
      while (sent.size < due) {
        const m = next();
        sent.add(m.id);
        device.publish(m.topic, m.payload, { qos: 1 }, (err) => {
          if (!err) acked++;
        });
      }
      if (!swapping && elapsed > (seconds * 1000) / 2) {
        const t = performance.now();
        swapping = slot.deploy("1.0.1", "live", { reason: "bench: swap under load" }).then(() => {
          swapMs = performance.now() - t;
        });
      }
      if (elapsed > seconds * 1000) {
        clearInterval(tick);
        resolve();
      }
    }, 5);
  });
  await swapping;
  // A loaded server accepts fewer than 1,000 spots/s: the rest queue in the publisher. Wait while
  // results still come (at most 45 s), so that late is not counted as lost.
  const published = performance.now();
  while (
    seen.size < sent.size &&
    performance.now() - published < 45_000 &&
    performance.now() - lastResultAt < 5_000
  )
    await new Promise((r) => setTimeout(r, 20));
  // A little longer for a second result of some spot, if there is one.
  await new Promise((r) => setTimeout(r, 500));
  viewer.off("message", onMessage);
  const lost = sent.size - seen.size;
  const twice = [...seen.values()].filter((n) => n > 1).length;
  const ok = lost === 0 && twice === 0 && unversioned === 0;
  console.log(
    `   ${sent.size} spots, swap ${from} -> 1.0.1 took ${swapMs?.toFixed(0)} ms (load, warm, cut); results by version: ${[...versions].map(([v, n]) => `${v} ${n}`).join(", ")}`,
  );
  if (lost > 0)
    console.log(
      `   ${acked} / ${sent.size} accepted by the server (PUBACK) when the wait ended: a spot not accepted cannot be scored`,
    );
  console.log(
    `   lost ${lost}, scored twice ${twice}, without a version ${unversioned} (target 0, 0, 0: ${ok ? "met" : "MISSED"}); load ${load1()}`,
  );
  return runtime;
}
