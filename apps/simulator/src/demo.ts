#!/usr/bin/env node
/**
 * `pnpm demo`: the UNS server with its defaults plus a simulated welding plant, so the console
 * fills with live, mostly valid traffic and a few violations, and the inference processors (weld
 * quality, check gate) scoring every spot with the models in models/, and the weld splatter
 * station (8 cameras of 20 MP, a body every 30 s) scored by the splatter processor: about one
 * image-second of CPU per body on two cores (UNS_DEMO_SPLATTER=0 leaves it out). The server and the
 * processors run as their own processes (apps do not import each other); the simulator publishes
 * as user `simulator` (role gateway: it speaks for every cell), the processors as user `processor` (role processor), a Sparkplug B edge node as
 * `Welder01` (role edge-node), whose
 * passwords are set anew on each run.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DEVICE_CHANNELS } from "./channels.js";
import { runSplatterStation } from "./frames/station.js";
import { runSimulation } from "./run-simulation.js";
import { runSparkplugEdgeNode } from "./sparkplug-edge.js";

const serverDist = fileURLToPath(new URL("../../server/dist/", import.meta.url));
const processorsMain = fileURLToPath(new URL("../../processors/dist/main.js", import.meta.url));
const mqttPort = process.env.UNS_MQTT_PORT ?? "1883";
const httpPort = process.env.UNS_HTTP_PORT ?? "8080";
const password = randomBytes(12).toString("base64url");
const splatter = process.env.UNS_DEMO_SPLATTER !== "0";
// The image store the station writes to and the processor (and the console's previews) read from.
const imageRoot = resolve(process.env.UNS_PROC_SPLATTER_IMAGE_ROOT ?? "data/images");
const processorPassword = randomBytes(12).toString("base64url");
const edgePassword = randomBytes(12).toString("base64url");
// The Sparkplug edge node's user name is its edge node id (role edge-node, topics/access.yaml).
const EDGE_NODE = "Welder01";

for (const [user, role, secret] of [
  ["simulator", "gateway", password],
  ["processor", "processor", processorPassword],
  [EDGE_NODE, "edge-node", edgePassword],
] as const) {
  const added = spawnSync(
    process.execPath,
    [`${serverDist}cli.js`, "user", "add", user, "--role", role, "--password", secret, "--force"],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  if (added.status !== 0) process.exit(added.status ?? 1);
}

const server: ChildProcess = spawn(process.execPath, [`${serverDist}main.js`], {
  stdio: "inherit",
  env: { UNS_QUALITY_IMAGE_ROOT: imageRoot, ...process.env },
});
const abort = new AbortController();
let stopping = false;
let processors: ChildProcess | null = null;
const stop = () => {
  if (stopping) return;
  stopping = true;
  abort.abort();
  processors?.kill("SIGTERM");
  server.kill("SIGTERM");
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
server.on("exit", (code) => {
  abort.abort();
  process.exit(stopping ? 0 : (code ?? 1));
});

async function waitForServer(): Promise<void> {
  for (let i = 0; i < 900; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
      if (res.status === 200 || res.status === 503) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the server did not answer on http://127.0.0.1:${httpPort} within 180 s`);
}

await waitForServer();
processors = spawn(process.execPath, [processorsMain], {
  stdio: "inherit",
  env: {
    ...process.env,
    UNS_PROC_MQTT_URL: `mqtt://127.0.0.1:${mqttPort}`,
    UNS_PROC_MQTT_USERNAME: "processor",
    UNS_PROC_MQTT_PASSWORD: processorPassword,
    // The model registry's record is the server's store, written through its API.
    UNS_PROC_REGISTRY_URL: `http://127.0.0.1:${httpPort}`,
    ...(splatter ? { UNS_PROC_SPLATTER_ENABLED: "true", UNS_PROC_SPLATTER_IMAGE_ROOT: imageRoot } : {}),
  },
});
processors.on("exit", (code) => {
  if (!stopping) console.error(`demo: the processors stopped (exit ${code}); the plant keeps running`);
});
console.log(
  `\n  demo: plant simulator publishing to mqtt://127.0.0.1:${mqttPort}; console at http://localhost:${httpPort}  (Ctrl-C stops)\n`,
);
// A Sparkplug B edge node next to the plain-JSON plant, so the Sparkplug page has a live node.
void runSparkplugEdgeNode({
  url: `mqtt://127.0.0.1:${mqttPort}`,
  username: EDGE_NODE,
  password: edgePassword,
  signal: abort.signal,
}).catch((err: Error) => {
  if (!stopping) console.error(`demo: Sparkplug edge node stopped: ${err.message}`);
});

if (splatter)
  runSplatterStation({
    url: `mqtt://127.0.0.1:${mqttPort}`,
    username: "simulator",
    password,
    root: imageRoot,
    cell: "acme/neckarsulm/body-shop/line-01/cell-090",
    signal: abort.signal,
    log: (line) => console.log(`demo: ${line}`),
  }).catch((err: Error) => {
    if (!stopping) console.error(`demo: splatter station stopped: ${err.message}`);
  });
await runSimulation({
  // The station above announces the inspection cell's full-size frames; the plant's small panel
  // images would only be refused by the splatter processor (wrong size, unknown camera).
  ...(splatter ? { channels: DEVICE_CHANNELS.filter((c) => c !== "imageEvent") } : {}),
  url: `mqtt://127.0.0.1:${mqttPort}`,
  username: "simulator",
  password,
  clients: 4,
  rate: 40,
  badRate: 0.03,
  signal: abort.signal,
}).catch((err: Error) => {
  if (!stopping) console.error(`demo: simulator stopped: ${err.message}`);
});
