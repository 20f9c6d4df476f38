/**
 * Benchmark (a script, not a test): how long after its condition becomes true an alert is
 * published on `<enterprise>/alerts`. A real server (PGlite, the repository's contracts and topic
 * tree) and real MQTT clients; a rule "quality below 80 % over 3 s, at least 10 parts" (a short
 * window, so that each run starts from an empty one) is made true and false again `--runs` times. Target: under 2 s. Prints the median.
 *
 *   pnpm build && node apps/server/bench/dist/alert-latency.js [--runs 10]
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { addUser } from "@uns/contracts";
import { createUnsServer, loadConfig } from "@uns/server";
import mqtt from "mqtt";
import { pino } from "pino";

const { values } = parseArgs({ options: { runs: { type: "string", default: "10" } } });
const RUNS = Number(values.runs);
const REPO = fileURLToPath(new URL("../../../../", import.meta.url)); // from apps/server/bench/dist
const LINE = "acme/neckarsulm/body-shop/line-01";
const PASSWORD = "bench-password-1";

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "uns-alert-bench-"));
  cpSync(join(REPO, "asyncapi"), join(dir, "asyncapi"), { recursive: true });
  cpSync(join(REPO, "topics"), join(dir, "topics"), { recursive: true });
  writeFileSync(
    join(dir, "topics", "alerts.yaml"),
    "rules:\n  - id: q\n    metric: quality\n    below: 0.8\n    clearAt: 0.9\n    window: 3s\n    minCount: 10\n",
  );
  for (const role of ["device", "viewer"]) await addUser(join(dir, "topics"), role, PASSWORD, [role]);
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
    },
  });
  const server = await createUnsServer(config, { logger: pino({ level: "warn" }) });
  const { mqttPort } = await server.start();
  const url = `mqtt://127.0.0.1:${mqttPort}`;
  const device = await mqtt.connectAsync(url, { username: "device", password: PASSWORD, reconnectPeriod: 0 });
  const viewer = await mqtt.connectAsync(url, { username: "viewer", password: PASSWORD, reconnectPeriod: 0 });
  await viewer.subscribeAsync("acme/alerts");
  let waiting: { action: string; resolve: () => void } | null = null;
  viewer.on("message", (_t, p) => {
    const m = JSON.parse(p.toString()) as { action: string };
    if (waiting && m.action === waiting.action) waiting.resolve();
  });
  const until = (action: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${action} within 10 s`)), 10_000);
      waiting = {
        action,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });
  const now = () => new Date().toISOString();
  const counts = (total: number, good: number) =>
    device.publishAsync(
      `${LINE}/counts`,
      JSON.stringify({
        line: "line-01",
        shift: "2026-03-02-a",
        shiftStart: now(),
        total,
        good,
        bad: total - good,
        plannedTime: 0,
        runTime: 0,
        idealCycleTime: 60,
        time: now(),
      }),
    );
  await device.publishAsync(
    `${LINE}/state`,
    JSON.stringify({
      line: "line-01",
      state: "running",
      reason: null,
      since: now(),
      speed: 60,
      plannedCycleTime: 60,
      time: now(),
    }),
  );
  let total = 0;
  let good = 0;
  await counts(total, good);
  const raise: number[] = [];
  const ret: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await new Promise((r) => setTimeout(r, 3500)); // the window empties
    let t = performance.now();
    let p = until("raise");
    total += 20;
    good += 5; // 25 % over 20 parts
    await counts(total, good);
    await p;
    raise.push(performance.now() - t);
    t = performance.now();
    p = until("return");
    total += 200;
    good += 200; // 205 / 220 = 93 %
    await counts(total, good);
    await p;
    ret.push(performance.now() - t);
    // The alert is returned-unacknowledged: clear it so that the next run raises a new one.
    const open = server.quality.alerts.openAlerts()[0];
    if (open)
      await server.quality.alerts.act(open.id, { action: "clear", version: open.version, actor: "bench" });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(
    `alert raised after its condition became true: median ${median(raise).toFixed(0)} ms (max ${Math.max(...raise).toFixed(0)}) over ${RUNS} runs`,
  );
  console.log(
    `alert returned to normal: median ${median(ret).toFixed(0)} ms (max ${Math.max(...ret).toFixed(0)})`,
  );
  console.log(`evaluation interval ${config.alerts.evaluateIntervalMs} ms (alerts.evaluateIntervalMs)`);
  await device.endAsync();
  await viewer.endAsync();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
