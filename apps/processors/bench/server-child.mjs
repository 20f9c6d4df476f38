// The UNS server for the processors benchmark, in its own process (as in production): the repo's
// contracts and topic tree in a temporary folder, users device / processor / viewer. Replies
// "ready" with the MQTT port over IPC and exits when the bench goes away.
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { addUser } from "@uns/contracts";
import { createUnsServer, loadConfig } from "@uns/server";
import { pino } from "pino";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "uns-proc-bench-"));
cpSync(join(root, "asyncapi"), join(dir, "asyncapi"), { recursive: true });
cpSync(join(root, "topics"), join(dir, "topics"), { recursive: true });
// "device" publishes for every cell (as the plant simulator does), so it has the gateway role.
for (const [name, role] of [
  ["device", "gateway"],
  ["processor", "processor"],
  ["viewer", "viewer"],
])
  await addUser(join(dir, "topics"), name, "bench-password", [role]);
const config = loadConfig({
  env: {},
  overrides: {
    "mqtt.host": "127.0.0.1",
    "mqtt.port": 0,
    "http.host": "127.0.0.1",
    "http.port": 0,
    dataDir: join(dir, "data"),
    contractsDir: join(dir, "asyncapi"),
    topicsDir: join(dir, "topics"),
    "workers.size": 1,
    // On a shared machine parsing the contracts can take longer than the default 30 s.
    "contracts.loadTimeoutMs": 120_000,
    // BENCH_PERSISTENCE=memory: sessions and QoS 1 queues in memory instead of LevelDB, to see
    // how much of the end-to-end figure is the server storing every QoS 1 message on disk.
    "mqtt.persistence": process.env.BENCH_PERSISTENCE === "memory" ? "memory" : "level",
  },
});
const server = await createUnsServer(config, { logger: pino({ level: "warn" }) });
const { mqttPort } = await server.start();
process.send?.({ type: "ready", port: mqttPort, dir });
// The bench asks for the server's CPU time (all threads, and the main thread alone from Linux's
// schedstat: time on a core, not counting waits for one) and its main thread's busy share: on a
// shared machine they say more about the server's cost than the throughput does.
const mainThreadCpuUs = () => {
  try {
    return Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]) / 1000;
  } catch {
    return Number.NaN; // not Linux
  }
};
process.on("message", (m) => {
  if (m?.type === "usage")
    process.send?.({
      type: "usage",
      cpu: process.cpuUsage(),
      mainCpuUs: mainThreadCpuUs(),
      elu: performance.eventLoopUtilization(),
    });
});
const stop = async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
};
process.on("disconnect", stop);
process.on("SIGTERM", stop);
