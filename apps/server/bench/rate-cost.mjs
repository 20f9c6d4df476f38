// Broker CPU per message at a plant's steady rate (2,000 msg/s of 4 KB weld spots from 10
// publishers, one subscriber on #), per thread, user and system time apart, from
// /proc/<pid>/task/*/stat over the measured seconds (after 8 s at that rate). The broker is the
// bench's broker child pinned to core 0; run this on the other core. Needs `pnpm build`.
//   taskset -c 1 node apps/server/bench/rate-cost.mjs <bare|uns> [seconds 10] [broker-child args, e.g. --set store.writeIntervalMs=0]
// SITE=plant-b: enforce-policy topics. PERF=<file>: perf record -g of the event loop meanwhile.
import { fork } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(new URL("../package.json", import.meta.url));
const mqtt = require("mqtt");
const B = new URL("./dist/", import.meta.url).href;
const { weldPayload } = await import(`${B}weld-payload.js`);
const { BENCH_PASSWORD, PUBLISHER_USER, SUBSCRIBER_USER } = await import(`${B}protocol.js`);
const [kind, secs = "10", ...extra] = process.argv.slice(2);
const child = fork(fileURLToPath(`${B}broker-child.js`), [kind, ...extra], {
  execArgv: (process.env.CHILD_ARGS ?? "").split(" ").filter(Boolean),
  env: { ...process.env, MALLOC_ARENA_MAX: "2" },
});

import { execSync } from "node:child_process";

execSync(`taskset -a -p -c 0 ${child.pid}`);
const ready = await new Promise((r) => child.on("message", (m) => m.type === "ready" && r(m)));
const port = ready.port;
const pid = child.pid;
const opts = (u) => ({ port, host: "127.0.0.1", username: u, password: BENCH_PASSWORD, reconnectPeriod: 0 });
const sub = mqtt.connect(opts(SUBSCRIBER_USER));
await new Promise((r) => sub.on("connect", r));
let got = 0;
sub.on("message", () => got++);
await new Promise((r) => sub.subscribe("#", { qos: 0 }, r));
const pubs = [];
for (let i = 0; i < 10; i++) {
  const c = mqtt.connect(opts(PUBLISHER_USER));
  await new Promise((r) => c.on("connect", r));
  pubs.push(c);
}
const SITE = process.env.SITE ?? "plant-a";
const topic = (i) => `acme/${SITE}/body-shop/line-01/cell-${String(i + 1).padStart(2, "0")}/weld-spot`;
const payloads = pubs.map((_, i) => weldPayload(i).bytes);
let sent = 0;
const t0 = Date.now();
const timer = setInterval(() => {
  const due = Math.floor(((Date.now() - t0) * 2000) / 1000);
  while (sent < due) {
    const i = sent % 10;
    pubs[i].publish(topic(i), payloads[i], { qos: 0 });
    sent++;
  }
}, 2);
const snap = () =>
  Object.fromEntries(
    readdirSync(`/proc/${pid}/task`).map((t) => {
      const s = readFileSync(`/proc/${pid}/task/${t}/stat`, "utf8");
      const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
      return [t, [Number(f[11]), Number(f[12])]];
    }),
  );
await new Promise((r) => setTimeout(r, 8000));
const a = snap();
const s0 = sent;
const g0 = got;
console.log(`measuring ${secs}s; pid ${pid}`);
if (process.env.PERF) {
  const { spawn } = await import("node:child_process");
  spawn(
    "perf",
    [
      "record",
      "-g",
      "-o",
      process.env.PERF,
      "-t",
      String(pid),
      "-F",
      "999",
      "--",
      "sleep",
      String(Number(secs) - 1),
    ],
    { stdio: "ignore" },
  );
}
await new Promise((r) => setTimeout(r, Number(secs) * 1000));
const b = snap();
const n = sent - s0;
const gn = got - g0;
let U = 0,
  S = 0;
const rows = [];
for (const t of Object.keys(b)) {
  const u = (b[t][0] - (a[t]?.[0] ?? 0)) * 10,
    s = (b[t][1] - (a[t]?.[1] ?? 0)) * 10;
  U += u;
  S += s;
  if (u + s > 0)
    rows.push(
      `${t}${t === pid ? "(main)" : ""} user ${((u * 1000) / n).toFixed(1)} sys ${((s * 1000) / n).toFixed(1)} us/msg`,
    );
}
console.log(rows.join("\n"));
console.log(
  `${kind} ${extra.join(" ")}: sent ${n} got ${gn}; total user ${((U * 1000) / n).toFixed(1)} sys ${((S * 1000) / n).toFixed(1)} = ${(((U + S) * 1000) / n).toFixed(1)} us/msg`,
);
clearInterval(timer);
for (const c of [...pubs, sub]) c.end(true);
child.send({ type: "stop" });
setTimeout(() => {
  child.kill();
  process.exit(0);
}, 3000);
