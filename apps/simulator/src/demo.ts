#!/usr/bin/env node
/**
 * `pnpm demo`: the UNS server with its defaults plus a simulated welding plant, so the console
 * fills with live, mostly valid traffic and a few violations. The server runs as its own
 * process (apps do not import each other); the simulator publishes as user `simulator` with role
 * `gateway` (it speaks for every cell), whose password is set anew on each run.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { runSimulation } from "./run-simulation.js";

const serverDist = fileURLToPath(new URL("../../server/dist/", import.meta.url));
const mqttPort = process.env.UNS_MQTT_PORT ?? "1883";
const httpPort = process.env.UNS_HTTP_PORT ?? "8080";
const password = randomBytes(12).toString("base64url");

const added = spawnSync(
  process.execPath,
  [`${serverDist}cli.js`, "user", "add", "simulator", "--role", "gateway", "--password", password, "--force"],
  {
    stdio: ["ignore", "inherit", "inherit"],
  },
);
if (added.status !== 0) process.exit(added.status ?? 1);

const server: ChildProcess = spawn(process.execPath, [`${serverDist}main.js`], {
  stdio: "inherit",
  env: process.env,
});
const abort = new AbortController();
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  abort.abort();
  server.kill("SIGTERM");
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
server.on("exit", (code) => {
  abort.abort();
  process.exit(stopping ? 0 : (code ?? 1));
});

async function waitForServer(): Promise<void> {
  // A first start creates the embedded database: on a busy machine that can take minutes.
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

// A server that does not come up must not be left running without its demo.
await waitForServer().catch((err: Error) => {
  console.error(`demo: ${err.message}`);
  stop();
});
if (stopping) await new Promise(() => {}); // the server's exit ends the demo
console.log(
  `\n  demo: plant simulator publishing to mqtt://127.0.0.1:${mqttPort}; console at http://localhost:${httpPort}  (Ctrl-C stops)\n`,
);
await runSimulation({
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
