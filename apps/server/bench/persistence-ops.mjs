// What aedes-persistence-level costs per QoS 1 message to one persistent session (issue 10), with
// LevelDB called once per operation (`plain`, as before) and through BatchedLevel (`batched`), in
// alternating rounds on fresh databases. Needs `pnpm build`. Per message, as aedes does it: the
// enqueue for the session, the update when it is sent, the clear when its PUBACK comes; `inflight`
// messages at a time.
//   node apps/server/bench/persistence-ops.mjs [messages=20000] [inflight=400] [rounds=3]
// Prints per round and variant: messages/s and the main thread's CPU µs per message (Linux
// schedstat: time on a core, so other processes on a shared machine change it little).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClassicLevel } from "classic-level";
import { BatchedLevel } from "../dist/broker/batched-level.js";
import { inPublishOrder } from "../dist/broker/persistence.js";

const require = createRequire(import.meta.url);
const AsyncLevelPersistence = require("aedes-persistence-level/asyncPersistence.js");
const [messages = 20000, inflight = 400, rounds = 3] = process.argv.slice(2).map(Number);

const cpuUs = () => Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]) / 1000;
const payload = Buffer.from(
  JSON.stringify({
    spotId: "s-000001",
    seq: 1,
    robot: "r-01",
    currentKa: 9.81,
    voltageV: 1.23,
    forceKn: 3.2,
    weldTimeMs: 220,
    electrodeWearPct: 12.5,
    material: "DP600",
    thicknessMm: 1.2,
    time: "2026-03-02T06:00:00.000Z",
  }).repeat(2),
);

async function run(variant) {
  const dir = mkdtempSync(join(tmpdir(), "uns-persistence-ops-"));
  const db = new ClassicLevel(dir, { valueEncoding: "buffer" });
  await db.open();
  const store = variant === "batched" ? new BatchedLevel(db) : db;
  const p = inPublishOrder(new AsyncLevelPersistence(store));
  await p.setup({ id: "bench-broker" });
  const client = { id: "weld-quality-processor", clean: false };
  const sub = { clientId: client.id, topic: "acme/#", qos: 1 };
  await p.addSubscriptions(client, [sub]);
  let next = 0;
  const one = async () => {
    const n = next++;
    const packet = {
      cmd: "publish",
      brokerId: "bench-broker",
      brokerCounter: n + 1,
      topic: "acme/plant-a/body-shop/line-02/cell-03/weld-spot",
      payload,
      qos: 1,
      retain: false,
      dup: false,
    };
    await p.outgoingEnqueueCombi([sub], packet);
    await p.outgoingUpdate(client, { ...packet, messageId: (n % 65535) + 1 });
    await p.outgoingClearMessageId(client, { cmd: "puback", messageId: (n % 65535) + 1 });
  };
  const lane = async () => {
    while (next < messages) await one();
  };
  const cpu0 = cpuUs();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: inflight }, lane));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuUs() - cpu0;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return { rate: messages / seconds, cpuUsPerMessage: cpu / messages };
}

const results = { plain: [], batched: [] };
for (let r = 1; r <= rounds; r++)
  for (const variant of ["plain", "batched"]) {
    const res = await run(variant);
    results[variant].push(res);
    console.log(
      `round ${r} ${variant.padEnd(7)} ${res.rate.toFixed(0).padStart(6)} msg/s, main thread ${res.cpuUsPerMessage.toFixed(1)} µs/msg`,
    );
  }
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const m = (v, k) => median(results[v].map((x) => x[k]));
console.log(
  `median: plain ${m("plain", "rate").toFixed(0)} msg/s ${m("plain", "cpuUsPerMessage").toFixed(1)} µs/msg; batched ${m("batched", "rate").toFixed(0)} msg/s ${m("batched", "cpuUsPerMessage").toFixed(1)} µs/msg; rate x${(m("batched", "rate") / m("plain", "rate")).toFixed(2)}, main-thread CPU x${(m("batched", "cpuUsPerMessage") / m("plain", "cpuUsPerMessage")).toFixed(2)}`,
);
