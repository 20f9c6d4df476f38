// Handing a batch of payloads to a scoring worker, the two ways (a script, not a test):
// A. as before: concatenated into one latin1 string (cloned), re-encoded to UTF-8 text per spot;
// B. now: one fresh byte array, transferred, decoded per spot with TextDecoder.
// Both in the same run, alternating, 256 spots of ~3 KB per batch; median ms per batch, ratio B/A.
// `node apps/processors/bench/transfer.mjs` after `pnpm build`; about 10 s.
import { Worker } from "node:worker_threads";
import { createPlant, createTraffic } from "@uns/simulator";
import { packPayloads } from "../dist/runtime/scoring-protocol.js";

const traffic = createTraffic(createPlant(), {
  seed: "bench",
  startTime: Date.parse("2026-03-02T06:00:00Z"),
  channels: ["weldSpot"],
});
const payloads = Array.from({ length: 256 }, () => Buffer.from(traffic.next().payload));
const worker = new Worker(
  `const { parentPort } = require("node:worker_threads");
   const utf8 = new TextDecoder("utf-8");
   parentPort.on("message", (m) => {
     let o = 0, chars = 0;
     for (const n of m.lengths) {
       const text = m.kind === "A"
         ? Buffer.from(m.payloads.slice(o, o + n), "latin1").toString("utf8")
         : utf8.decode(m.payloads.subarray(o, o + n));
       chars += text.length; o += n;
     }
     parentPort.postMessage(chars);
   });`,
  { eval: true },
);
const once = (msg, transfer) =>
  new Promise((resolve) => {
    const t0 = performance.now();
    worker.once("message", () => resolve(performance.now() - t0));
    worker.postMessage(msg, transfer);
  });
const a = [];
const b = [];
const end = Date.now() + 8000;
while (Date.now() < end) {
  a.push(
    await once({
      kind: "A",
      payloads: Buffer.concat(payloads).toString("latin1"),
      lengths: payloads.map((p) => p.length),
    }),
  );
  const packed = packPayloads(payloads);
  b.push(await once({ kind: "B", ...packed }, [packed.payloads.buffer]));
}
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
console.log(
  `batch of 256 spots handed over and decoded: latin1 string ${median(a).toFixed(2)} ms, transferred bytes ${median(b).toFixed(2)} ms (B/A ${(median(b) / median(a)).toFixed(2)}), ${a.length} batches each`,
);
await worker.terminate();
