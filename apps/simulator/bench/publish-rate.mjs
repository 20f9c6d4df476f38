// How many weld-spot messages per second the simulator generates and publishes, against a bare
// aedes broker in a child process. Not part of the tests. Run after a build:
//   pnpm exec tsc -b apps/simulator && node apps/simulator/bench/publish-rate.mjs [--count 40000]
// or against a running broker (the UNS server: a user with the device role, password in
// UNS_SIMULATOR_PASSWORD):
//   node apps/simulator/bench/publish-rate.mjs --url mqtt://localhost:1883 --username sim
// The baseline is generation alone (no MQTT) in the same run; publish rates are shown against it,
// with the CPU time each process used, which tells whether the simulator or the broker limits.
import { fork } from "node:child_process";
import { once } from "node:events";
import { parseArgs } from "node:util";
import { createPlant, createTraffic, runSimulation } from "../dist/index.js";

const { values } = parseArgs({
  options: {
    count: { type: "string" },
    window: { type: "string" },
    url: { type: "string" },
    username: { type: "string" },
  },
});
const count = Number(values.count ?? 30000);
const window = Number(values.window ?? 1000);
const startTime = "2026-03-02T06:00:00Z";

function generationOnly(n) {
  const traffic = createTraffic(createPlant(), {
    seed: "bench",
    startTime: Date.parse(startTime),
    channels: ["weldSpot"],
  });
  for (let i = 0; i < 2000; i++) traffic.next(); // warm up the JIT
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes += traffic.next().payload.length;
  const ms = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  return { rate: (n / ms) * 1000, simCpuMs: (used.user + used.system) / 1000, ms, bytes: bytes / n };
}

// Without --url: a bare aedes in a child process, which reports its CPU time.
const broker = values.url
  ? null
  : fork(new URL("./aedes-broker.mjs", import.meta.url), { stdio: ["ignore", "inherit", "inherit", "ipc"] });
const url = values.url ?? `mqtt://127.0.0.1:${(await once(broker, "message"))[0].port}`;
const brokerCpu = async () => {
  if (!broker) return Number.NaN;
  broker.send("cpu");
  const [m] = await once(broker, "message");
  return m.cpu;
};

async function publish(label, options) {
  await brokerCpu(); // reset the broker's CPU mark
  const cpu = process.cpuUsage();
  const s = await runSimulation({
    url,
    username: values.username,
    password: process.env.UNS_SIMULATOR_PASSWORD,
    rate: "max",
    count,
    window,
    seed: "bench",
    startTime,
    channels: ["weldSpot"],
    ...options,
  });
  const used = process.cpuUsage(cpu);
  if (s.completed !== s.sent) throw new Error(`${label}: ${s.sent} sent, ${s.completed} completed`);
  return {
    label,
    rate: (s.sent / s.durationMs) * 1000,
    ms: s.durationMs,
    simCpuMs: (used.user + used.system) / 1000,
    brokerCpuMs: await brokerCpu(),
  };
}

const base = generationOnly(count);
const rows = [
  {
    label: "generate only (baseline)",
    rate: base.rate,
    ms: base.ms,
    simCpuMs: base.simCpuMs,
    brokerCpuMs: 0,
  },
  await publish("QoS 0, 1 client", { qos: 0 }),
  await publish("QoS 1, 1 client", { qos: 1 }),
  await publish("QoS 1, 4 clients", { qos: 1, clients: 4 }),
];
broker?.send("stop");

console.log(
  `weld-spot messages to ${broker ? "a bare aedes 1.2.0" : url}: ${count} per row, ${Math.round(base.bytes)} bytes each, window ${window}`,
);
console.log("run                          msgs/s   vs baseline   wall s   simulator CPU   broker CPU");
for (const r of rows) {
  const pct = (x) => (Number.isNaN(x) ? "n/a" : `${Math.round((x / r.ms) * 100)} %`).padStart(6);
  console.log(
    `${r.label.padEnd(28)} ${String(Math.round(r.rate)).padStart(6)}   ${(r.rate / base.rate).toFixed(2).padStart(11)}   ${(r.ms / 1000).toFixed(1).padStart(6)}   ${pct(r.simCpuMs).padStart(13)}   ${pct(r.brokerCpuMs).padStart(10)}`,
  );
}
