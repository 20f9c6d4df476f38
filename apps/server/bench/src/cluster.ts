/**
 * Per-message cost of clustered mode against a single node, in the same run:
 * `pnpm build && node apps/server/bench/dist/cluster.js [--messages 2000] [--rounds 3]`.
 *
 * single:    publisher and subscriber on one node (memory persistence).
 * clustered: publisher on node A, subscriber on node B, both on one Redis (mqemitter-redis fan-out,
 *            aedes-persistence-redis).
 * Each round publishes `--messages` valid weld spots at QoS 1 (all in flight at once) and times
 * until the subscriber has them all; the median round is reported, with the ratio. Both setups
 * share one throwaway PostgreSQL and one Redis; everything runs in this process, so the figures
 * include the clients' own CPU (the same in both). Not a test: bounded by the message count.
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { addUser } from "@uns/contracts";
import { createUnsServer, loadConfig, type SettingKey, type UnsServer } from "@uns/server";
import { startPostgres, startRedis } from "@uns/testkit";
import mqtt from "mqtt";
import { pino } from "pino";

const { values } = parseArgs({
  options: { messages: { type: "string", default: "2000" }, rounds: { type: "string", default: "3" } },
});
const MESSAGES = Math.min(20000, Math.max(100, Number(values.messages)));
const ROUNDS = Math.min(7, Math.max(1, Number(values.rounds)));
const FIXTURES = fileURLToPath(new URL("../../test/fixtures/", import.meta.url));
const PASSWORD = "bench-password-1";
const TOPIC = "acme/plant-a/body-shop/line-01/cell-01/weld-spot";
const PAYLOAD = JSON.stringify({
  spotId: "s-1",
  time: "2026-11-22T10:00:00Z",
  currentKA: 9.5,
  weldTimeMs: 300,
  curve: Array.from({ length: 100 }, (_, i) => Math.round(Math.sin(i / 40) * 1000) / 10),
});

async function node(dir: string, name: string, overrides: Partial<Record<SettingKey, unknown>>) {
  const config = loadConfig({
    env: {},
    overrides: {
      "mqtt.host": "127.0.0.1",
      "mqtt.port": 0,
      "http.host": "127.0.0.1",
      "http.port": 0,
      "mqtt.persistence": "memory",
      dataDir: join(dir, `data-${name}`),
      contractsDir: join(dir, "asyncapi"),
      topicsDir: join(dir, "topics"),
      "workers.size": 1,
      ...overrides,
    },
  });
  const server = await createUnsServer(config, { logger: pino({ level: "warn" }) });
  const { mqttPort } = await server.start();
  return { server, url: `mqtt://127.0.0.1:${mqttPort}` };
}

/** One round: ms from the first publish until the subscriber has every message. */
async function round(pubUrl: string, subUrl: string, n: number, tag: string): Promise<number> {
  const opts = { username: "bench", password: PASSWORD, reconnectPeriod: 0, protocolVersion: 4 as const };
  const sub = await mqtt.connectAsync(subUrl, { ...opts, clientId: `sub-${tag}` });
  const pub = await mqtt.connectAsync(pubUrl, { ...opts, clientId: `pub-${tag}` });
  await sub.subscribeAsync(TOPIC, { qos: 1 });
  // Let the subscription reach every node before timing (cluster: through Redis).
  await new Promise((r) => setTimeout(r, 300));
  let got = 0;
  const all = new Promise<void>((resolve) =>
    sub.on("message", () => {
      if (++got === n) resolve();
    }),
  );
  const start = performance.now();
  for (let i = 0; i < n; i++) pub.publish(TOPIC, PAYLOAD, { qos: 1 });
  await Promise.race([
    all,
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error(`round ${tag}: ${got}/${n} after 60 s`)), 60_000),
    ),
  ]);
  const ms = performance.now() - start;
  await Promise.all([pub.endAsync(), sub.endAsync()]);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = mkdtempSync(join(tmpdir(), "uns-bench-cluster-"));
cpSync(join(FIXTURES, "asyncapi"), join(dir, "asyncapi"), { recursive: true });
cpSync(join(FIXTURES, "topics"), join(dir, "topics"), { recursive: true });
await addUser(join(dir, "topics"), "bench", PASSWORD, ["admin"]);
const [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
const servers: UnsServer[] = [];
try {
  const databaseUrl = (await pg.createDatabase("bench")).url;
  const single = await node(dir, "single", { databaseUrl });
  const a = await node(dir, "a", { databaseUrl, "cluster.redisUrl": redis.url, "cluster.nodeId": "a" });
  const b = await node(dir, "b", { databaseUrl, "cluster.redisUrl": redis.url, "cluster.nodeId": "b" });
  servers.push(single.server, a.server, b.server);
  // Warm-up (JIT, worker start, connections) is not measured.
  await round(single.url, single.url, 200, "warm-s");
  await round(a.url, b.url, 200, "warm-c");
  const s: number[] = [];
  const c: number[] = [];
  // Interleaved, so a slower minute on a shared machine hits both setups alike.
  for (let i = 0; i < ROUNDS; i++) {
    s.push(await round(single.url, single.url, MESSAGES, `s${i}`));
    c.push(await round(a.url, b.url, MESSAGES, `c${i}`));
  }
  const perMsg = (ms: number) => (ms * 1000) / MESSAGES;
  const row = (name: string, xs: number[]) =>
    `${name.padEnd(34)} ${(MESSAGES / (median(xs) / 1000)).toFixed(0).padStart(8)} msg/s ${perMsg(median(xs)).toFixed(1).padStart(8)} µs/msg  (rounds: ${xs.map((x) => x.toFixed(0)).join(", ")} ms)`;
  console.log(`${MESSAGES} QoS 1 weld spots per round, median of ${ROUNDS} rounds`);
  console.log(row("single node (pub and sub on it)", s));
  console.log(row("cluster (pub on A, sub on B)", c));
  console.log(
    `clustered / single: ${(median(c) / median(s)).toFixed(2)}x the time per message (+${(perMsg(median(c)) - perMsg(median(s))).toFixed(1)} µs/msg)`,
  );
} finally {
  for (const srv of servers) await srv.stop().catch(() => undefined);
  await Promise.all([pg.destroy(), redis.destroy()]);
  rmSync(dir, { recursive: true, force: true });
}
