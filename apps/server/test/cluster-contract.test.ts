import { type RedisServer, startRedis } from "@uns/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestServer, type TestServer } from "./helper.js";

// The cluster test runs its nodes as child processes (no reply checks); here one clustered node
// runs in-process in test mode, so a reply that does not match @uns/api-contract is a 500.
describe("clustered replies against @uns/api-contract", () => {
  let redis: RedisServer;
  let node: TestServer;
  let single: TestServer;

  beforeAll(async () => {
    redis = await startRedis();
    node = await startTestServer({
      "cluster.redisUrl": redis.url,
      "cluster.nodeId": "contract-a",
      "cluster.heartbeatMs": 200,
      "sparkplug.hostId": "contract-host",
    });
    single = await startTestServer();
  }, 60_000);

  afterAll(async () => {
    await node?.close();
    await single?.close();
    await redis?.destroy();
  });

  it("health carries the cluster part; /api/v1/cluster and /api/v1/sparkplug (with primary) match their schemas", async () => {
    const health = await node.api<{ cluster: { nodeId: string; members: string[] } }>("/api/v1/health");
    expect(health.status).toBe(200);
    expect(health.body.cluster.nodeId).toBe("contract-a");

    const cluster = await eventually(
      () => node.api<{ nodeId: string; members: { nodeId: string }[] }>("/api/v1/cluster"),
      (r) => r.status === 200 && r.body.members.length === 1,
    );
    expect(cluster.body.members[0]?.nodeId).toBe("contract-a");

    const sparkplug = await eventually(
      () => node.api<{ primary: boolean }>("/api/v1/sparkplug"),
      (r) => r.status === 200 && r.body.primary,
    );
    expect(sparkplug.body).toMatchObject({ hostId: "contract-host", primary: true });
  });

  it("a single node answers /api/v1/cluster with 404 and the error shape; its sparkplug reply matches too", async () => {
    const r = await single.api<{ error: { code: string } }>("/api/v1/cluster");
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe("UNS_ERR_API_NOT_FOUND");
    const s = await single.api<{ primary: boolean }>("/api/v1/sparkplug");
    expect(s.status).toBe(200);
    expect(s.body.primary).toBe(false);
    expect((await single.api<{ cluster?: unknown }>("/api/v1/health")).body.cluster).toBeUndefined();
  });
});
