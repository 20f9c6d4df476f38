import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type PostgresServer,
  type RedisServer,
  startPostgres,
  startRedis,
  startTcpProxy,
  type TcpProxy,
} from "@uns/testkit";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChildNode, sharedFixtures, startChildNode } from "./cluster-helper.js";
import { eventually, weldSpot } from "./helper.js";

const WELD = (line = "01") => `acme/plant-a/body-shop/line-${line}/cell-01/weld-spot`;
const ENFORCE = "acme/plant-b/body-shop/line-01/cell-01/weld-spot";
const STATE = "spBv1.0/STATE/uns-host";

interface ClusterView {
  nodeId: string;
  redis: { up: boolean };
  sparkplugPrimary: boolean;
  noticesReceived: number;
  members: { nodeId: string; totals: Record<string, number> }[];
  totals: Record<string, number>;
}

interface Got {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
}
function collect(client: MqttClient): Got[] {
  const got: Got[] = [];
  client.on("message", (topic, payload, packet) =>
    got.push({ topic, payload, qos: packet.qos, retain: packet.retain }),
  );
  return got;
}

/**
 * Three UNS server nodes (child processes, so one can be killed with SIGKILL) on one real Redis
 * and one real PostgreSQL. Node c reaches Redis through a relay the test can cut. The tests run
 * in order: the last one kills the Sparkplug primary's node.
 */
// The machine these run on may be busy: generous bounds per test, the whole file stays under ~2 min.
describe("a cluster of three nodes on Redis", { timeout: 30_000 }, () => {
  let redis: RedisServer;
  let pg: PostgresServer;
  let proxy: TcpProxy;
  let dir: string;
  let a: ChildNode;
  let b: ChildNode;
  let c: ChildNode;
  const clients: MqttClient[] = [];
  const track = <T extends MqttClient>(m: T) => {
    clients.push(m);
    return m;
  };

  beforeAll(async () => {
    [redis, pg, dir] = await Promise.all([startRedis(), startPostgres(), sharedFixtures()]);
    proxy = await startTcpProxy(redis.port, "redis");
    const db = await pg.createDatabase("uns_cluster");
    const common = { dir, databaseUrl: db.url, env: { UNS_SPARKPLUG_HOST_ID: "uns-host" } };
    // a first, so that it is the Sparkplug primary host: the later kill test relies on it.
    a = await startChildNode({ ...common, nodeId: "a", redisUrl: redis.url });
    [b, c] = await Promise.all([
      startChildNode({ ...common, nodeId: "b", redisUrl: redis.url }),
      startChildNode({ ...common, nodeId: "c", redisUrl: proxy.url }),
    ]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(clients.map((m) => m.endAsync(true).catch(() => undefined)));
    await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
    await proxy?.close();
    await Promise.all([redis?.destroy(), pg?.destroy()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("every node shows itself and the whole cluster in health, /metrics and /api/v1/cluster", async () => {
    for (const n of [a, b, c]) {
      const view = await eventually(
        () => n.api<ClusterView>("/api/v1/cluster").then((r) => r.body),
        (v) => v.members.length === 3,
      );
      expect(view.nodeId).toBe(n.nodeId);
      expect(view.members.map((m) => m.nodeId)).toEqual(["a", "b", "c"]);
      const health = await n.api<{ status: string; cluster: { nodeId: string; redis: { up: boolean } } }>(
        "/api/v1/health",
      );
      expect(health.status).toBe(200);
      expect(health.body.cluster).toMatchObject({ nodeId: n.nodeId, redis: { up: true } });
      const metrics = (await n.api<string>("/metrics")).body;
      expect(metrics).toContain(`uns_cluster_node{node_id="${n.nodeId}"} 1`);
      expect(metrics).toContain("uns_cluster_redis_up 1");
      for (const m of ["a", "b", "c"]) expect(metrics).toContain(`uns_cluster_member{node_id="${m}"} 1`);
    }
  });

  it("delivers from a publisher on node c to a subscriber on node a at QoS 0, 1 and 2, retained messages to a later subscriber on b", async () => {
    const sub = track(await a.connect("viewer", { clientId: "x-sub" }));
    const got = collect(sub);
    await sub.subscribeAsync("acme/plant-a/body-shop/line-02/#", { qos: 2 });
    const pub = track(await c.connect("device", { clientId: "x-pub" }));
    for (const qos of [0, 1, 2] as const)
      await pub.publishAsync(WELD("02"), JSON.stringify(weldSpot({ seq: qos })), { qos });
    await pub.publishAsync("acme/plant-a/body-shop/line-02/state", JSON.stringify({ state: "running" }), {
      qos: 1,
      retain: true,
    });
    await eventually(
      () => got.length,
      (n) => n >= 4,
    );
    expect(got.slice(0, 3).map((g) => [JSON.parse(g.payload.toString()).seq, g.qos])).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
    ]);
    const late = track(await b.connect("viewer", { clientId: "x-late" }));
    const lateGot = collect(late);
    await late.subscribeAsync("acme/plant-a/body-shop/line-02/state", { qos: 1 });
    const retained = await eventually(
      () => lateGot,
      (g) => g.length >= 1,
    );
    expect(retained[0]).toMatchObject({ retain: true, qos: 1 });
    expect(JSON.parse(retained[0]!.payload.toString())).toEqual({ state: "running" });
  });

  it("publishes the will of a client of node c that drops to a subscriber on node b", async () => {
    const sub = track(await b.connect("viewer", { clientId: "w-sub" }));
    const got = collect(sub);
    await sub.subscribeAsync("acme/plant-a/body-shop/line-03/state", { qos: 1 });
    const dying = await c.connect("device", {
      clientId: "w-dying",
      will: {
        topic: "acme/plant-a/body-shop/line-03/state",
        payload: Buffer.from('{"state":"stopped","reason":"lost"}'),
        qos: 1,
        retain: false,
      },
    });
    dying.stream.destroy();
    const wills = await eventually(
      () => got,
      (g) => g.length >= 1,
    );
    expect(JSON.parse(wills[0]!.payload.toString())).toEqual({ state: "stopped", reason: "lost" });
  });

  it("validates and counts each message once, on the node it was published to; violations reach subscribers on any node", async () => {
    const watcher = track(await a.connect("viewer", { clientId: "v-watch" }));
    const violations = collect(watcher);
    await watcher.subscribeAsync("$uns/violations/#", { qos: 0 });
    // Members' counts are as of their last heartbeat: wait until earlier tests' traffic is in them.
    const view = () => a.api<ClusterView>("/api/v1/cluster").then((r) => r.body);
    let settled = await view();
    for (;;) {
      await new Promise((r) => setTimeout(r, 2500));
      const next = await view();
      if (JSON.stringify(next.totals) === JSON.stringify(settled.totals)) break;
      settled = next;
    }
    const before = [settled];
    const perNode = 30;
    for (const n of [a, b, c]) {
      const pub = track(await n.connect("device", { clientId: `count-${n.nodeId}` }));
      for (let i = 0; i < perNode; i++)
        await pub.publishAsync(
          WELD("04"),
          JSON.stringify(weldSpot(i % 10 === 0 ? { currentKA: -1, seq: i } : { seq: i })),
          { qos: 1 },
        );
    }
    // The compliance store is one PostgreSQL: every node sees every node's records, each once.
    for (const n of [a, b, c]) {
      for (const id of ["a", "b", "c"]) {
        const totals = await eventually(
          () =>
            n
              .api<{ total: number; valid: number; invalid: number }>(
                `/api/v1/compliance/totals?clientId=count-${id}`,
              )
              .then((r) => r.body),
          (t) => t.total >= perNode,
        );
        expect(totals).toMatchObject({ total: perNode, valid: 27, invalid: 3 });
      }
    }
    // Live counts: each node counted what was published to it, and nothing the others delivered to it.
    const after = await eventually(
      () => a.api<ClusterView>("/api/v1/cluster").then((r) => r.body),
      (v) => v.totals.total! - before[0]!.totals.total! >= 3 * perNode,
    );
    expect(after.totals.total! - before[0]!.totals.total!).toBe(3 * perNode);
    for (const m of after.members) {
      const was = before[0]!.members.find((x) => x.nodeId === m.nodeId)!;
      expect(m.totals.total! - was.totals.total!).toBe(perNode);
    }
    const seen = await eventually(
      () => violations.filter((v) => v.topic === `$uns/violations/${WELD("04")}`),
      (v) => v.length >= 9,
    );
    expect(seen.map((v) => JSON.parse(v.payload.toString()).clientId).sort()).toEqual(
      ["count-a", "count-b", "count-c"].flatMap((id) => [id, id, id]),
    );
  });

  it("quarantines enforce-mode violations the same whichever node they are published to", async () => {
    const sub = track(await a.connect("admin", { clientId: "q-sub" }));
    const got = collect(sub);
    await sub.subscribeAsync([ENFORCE, `$uns/quarantine/${ENFORCE}`], { qos: 1 });
    for (const n of [b, c]) {
      const pub = track(await n.connect("device", { clientId: `q-pub-${n.nodeId}` }));
      await pub.publishAsync(ENFORCE, JSON.stringify(weldSpot({ seq: 1 })), { qos: 1 });
      await pub.publishAsync(ENFORCE, JSON.stringify(weldSpot({ currentKA: -1, seq: 2 })), { qos: 1 });
    }
    await eventually(
      () => got.length,
      (n) => n >= 4,
    );
    await new Promise((r) => setTimeout(r, 300));
    const byTopic = (t: string) =>
      got.filter((g) => g.topic === t).map((g) => JSON.parse(g.payload.toString()).seq);
    expect(byTopic(ENFORCE)).toEqual([1, 1]);
    expect(byTopic(`$uns/quarantine/${ENFORCE}`)).toEqual([2, 2]);
  });

  it("a contract edit reaches every node (each watches the shared files; a Redis notice tells the others)", async () => {
    const watcher = track(await b.connect("viewer", { clientId: "r-watch" }));
    const violations = collect(watcher);
    await watcher.subscribeAsync(`$uns/violations/${WELD("05")}`, { qos: 0 });
    // Connected before the edit: a node busy parsing contracts answers CONNECT late.
    const pubs = await Promise.all(
      [a, b, c].map((n) => n.connect("device", { clientId: `r-pub-${n.nodeId}` })),
    );
    pubs.forEach(track);
    const file = join(dir, "asyncapi", "weld.yaml");
    const text = readFileSync(file, "utf8");
    const edited = text.replace(
      "currentKA: { type: number, minimum: 0, maximum: 30",
      "currentKA: { type: number, minimum: 0, maximum: 5",
    );
    expect(edited).not.toBe(text);
    writeFileSync(file, edited);
    // Every node reloads (parsing contracts takes seconds on a busy machine)...
    for (const n of [a, b, c])
      await eventually(
        () =>
          n
            .api<{ reloads: { ok: boolean; part: string }[] }>("/api/v1/contracts")
            .then((r) => r.body.reloads),
        (r) => r.some((x) => x.ok && x.part === "contracts"),
        45_000,
      );
    // ...and judges by the new contract: 9.5 kA was valid and is now too high.
    for (const p of pubs) await p.publishAsync(WELD("05"), JSON.stringify(weldSpot()), { qos: 1 });
    const seen = await eventually(
      () => new Set(violations.map((v) => JSON.parse(v.payload.toString()).clientId)),
      (ids) => ids.size === 3,
      20_000,
    );
    expect([...seen].sort()).toEqual(["r-pub-a", "r-pub-b", "r-pub-c"]);
    const views = await Promise.all(
      [a, b, c].map((n) => n.api<ClusterView>("/api/v1/cluster").then((r) => r.body)),
    );
    // The first node to see the edit announces it; the others receive that notice.
    expect(views.filter((v) => v.noticesReceived > 0).length).toBeGreaterThanOrEqual(2);
  }, 90_000);

  it("a node cut off from Redis says so and refuses connections and publishes; it serves again when Redis is back", async () => {
    await eventually(
      () => c.api("/api/v1/health").then((r) => r.status),
      (s) => s === 200,
      20_000,
    );
    const before = track(await c.connect("device", { clientId: "cut-pub" }));
    const watch = track(await b.connect("viewer", { clientId: "cut-watch" }));
    const got = collect(watch);
    await watch.subscribeAsync(WELD("08"), { qos: 1 });

    proxy.cut();
    const down = await eventually(
      () => c.api<{ status: string; cluster: { redis: { up: boolean } } }>("/api/v1/health"),
      (h) => h.status === 503,
      5000,
    );
    expect(down.body.cluster.redis.up).toBe(false);
    expect((await c.api<string>("/metrics")).body).toContain("uns_cluster_redis_up 0");

    // A new client is told "server unavailable" (CONNACK 0x03) and goes to another node.
    const refused = await c.connect("device", { clientId: "cut-new" }).then(
      () => null,
      (err: Error & { code?: number }) => err,
    );
    expect(refused?.code).toBe(3);
    // A client already connected is disconnected on its next publish instead of losing it silently.
    const closed = new Promise<void>((r) => before.once("close", () => r()));
    before.publish(WELD("08"), JSON.stringify(weldSpot({ seq: 1 })), { qos: 1 });
    await closed;
    // Node b is not affected.
    expect((await b.api("/api/v1/health")).status).toBe(200);

    proxy.restore();
    await eventually(
      () => c.api("/api/v1/health").then((r) => r.status),
      (s) => s === 200,
      15_000,
    );
    const again = track(await c.connect("device", { clientId: "cut-again" }));
    await again.publishAsync(WELD("08"), JSON.stringify(weldSpot({ seq: 2 })), { qos: 1 });
    await eventually(
      () => got.length,
      (n) => n >= 1,
    );
    expect(got.map((g) => JSON.parse(g.payload.toString()).seq)).toEqual([2]);
  }, 60_000);

  it("has one Sparkplug primary host, replaced within seconds when its node is killed; a persistent session of that node gets its QoS 1 messages on another node; its wills are published", async () => {
    const nodes = [a, b, c];
    const views = await eventually(
      () => Promise.all(nodes.map((n) => n.api<ClusterView>("/api/v1/cluster").then((r) => r.body))),
      (v) => v.filter((x) => x.sparkplugPrimary).length === 1,
      20_000,
    );
    const primary = nodes[views.findIndex((v) => v.sparkplugPrimary)]!;
    const [other1, other2] = nodes.filter((n) => n !== primary) as [ChildNode, ChildNode];
    const edge = track(await other1.connect("device", { clientId: "sp-watch" }));
    const states = collect(edge);
    await edge.subscribeAsync(STATE, { qos: 1 });
    await eventually(
      () => states.length,
      (n) => n >= 1,
    );
    expect(JSON.parse(states[0]!.payload.toString())).toMatchObject({ online: true });
    const firstStamp = JSON.parse(states[0]!.payload.toString()).timestamp as number;

    // A persistent session on a, subscribed at QoS 1, and a client of a with a will.
    const session = await primary.connect("viewer", { clientId: "persist-1", clean: false });
    await session.subscribeAsync("acme/plant-a/body-shop/line-06/#", { qos: 1 });
    const willWatch = track(await other2.connect("viewer", { clientId: "kill-will-watch" }));
    const wills = collect(willWatch);
    await willWatch.subscribeAsync("acme/plant-a/body-shop/line-07/state", { qos: 1 });
    await primary.connect("device", {
      clientId: "kill-will",
      will: {
        topic: "acme/plant-a/body-shop/line-07/state",
        payload: Buffer.from('{"state":"stopped","reason":"node"}'),
        qos: 1,
        retain: false,
      },
    });

    const killedAt = Date.now();
    await primary.kill();
    session.end(true);

    const pub = track(await other1.connect("device", { clientId: "persist-pub" }));
    for (let i = 0; i < 5; i++)
      await pub.publishAsync(
        "acme/plant-a/body-shop/line-06/state",
        JSON.stringify({ state: "running", speed: i }),
        { qos: 1 },
      );

    // Another node takes the lease and says the host is online again (a fresh STATE).
    const taken = await eventually(
      () =>
        Promise.all([other1, other2].map((n) => n.api<ClusterView>("/api/v1/cluster").then((r) => r.body))),
      (v) => v.filter((x) => x.sparkplugPrimary).length === 1,
      10_000,
    );
    const takeoverMs = Date.now() - killedAt;
    console.log(`Sparkplug primary host taken over ${takeoverMs} ms after its node was killed`);
    // Lease 3 heartbeats (3 s) + up to one heartbeat until the next try, plus a busy machine.
    expect(takeoverMs).toBeLessThan(8000);
    await eventually(
      () => states.filter((s) => JSON.parse(s.payload.toString()).timestamp !== firstStamp),
      (s) => s.length >= 1,
    );
    expect(taken[0]!.members.map((m) => m.nodeId)).toEqual([other1.nodeId, other2.nodeId]);

    const moved = track(await other2.connect("viewer", { clientId: "persist-1", clean: false }));
    const got = collect(moved);
    const queued = await eventually(
      () => got,
      (g) => g.length >= 5,
    );
    expect(queued.map((g) => JSON.parse(g.payload.toString()).speed)).toEqual([0, 1, 2, 3, 4]);
    expect(queued.every((g) => g.qos === 1)).toBe(true);

    const will = await eventually(
      () => wills,
      (w) => w.length >= 1,
      15_000,
    );
    expect(JSON.parse(will[0]!.payload.toString())).toEqual({ state: "stopped", reason: "node" });
  }, 60_000);
});
