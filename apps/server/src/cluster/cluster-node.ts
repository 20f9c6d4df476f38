import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type ClusterMember as ClusterMemberReply, operations, routeSchema } from "@uns/api-contract";
import type { Aedes, Client } from "aedes";
import { Gauge, type Registry } from "prom-client";
import type { ApiApp } from "../api/app.js";
import type { Config } from "../config.js";
import type { PublishPacket } from "../dispatcher/publish-pipeline.js";
import { createError } from "../errors.js";
import type { Governance, ReloadReport } from "../governance.js";
import type { LiveStats } from "../live-stats.js";
import type { SparkplugBridge } from "../sparkplug-bridge.js";
import { type ClusterMember, createRedisCluster, type RedisCluster } from "./redis-cluster.js";

interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

type AuthorizePublish = (
  client: Client,
  packet: PublishPacket,
  callback: (err?: Error | null) => void,
) => void;

/** What /api/v1/health says about the cluster. */
export interface ClusterHealth {
  nodeId: string;
  redis: { up: boolean };
  members: string[];
}

/**
 * One node of a cluster, as the server wires it: the Redis connections (created first, so that
 * aedes starts on the shared emitter and persistence), and the glue between them and the
 * governance, the Sparkplug bridge, the API and the metrics. server.ts calls this module and
 * nothing in it runs when `cluster.redisUrl` is empty.
 */
export async function createClusterNode(config: Readonly<Config>, logger: Logger, live: LiveStats) {
  const ports: { mqttPort?: number; httpPort?: number } = {};
  let sparkplug: SparkplugBridge | null = null;
  let clients = () => 0;
  let cachedMembers: ClusterMember[] = [];
  let sparkplugLease: { held(): boolean } | null = null;
  let redis: RedisCluster;
  try {
    redis = await createRedisCluster({
      redisUrl: config.cluster.redisUrl,
      nodeId: config.cluster.nodeId,
      heartbeatMs: config.cluster.heartbeatMs,
      logger,
      status: () => ({
        ...ports,
        clients: clients(),
        totals: live.totals(),
        sparkplugPrimary: sparkplugLease?.held() ?? false,
      }),
    });
  } catch (cause) {
    throw createError("UNS_ERR_CLUSTER_REDIS", (cause as Error).message, { cause });
  }
  const theRedis = redis;
  const refresh = () =>
    theRedis.members().then(
      (m) => {
        cachedMembers = m;
      },
      () => undefined,
    );
  await refresh();
  const timer = setInterval(refresh, config.cluster.heartbeatMs);
  timer.unref();

  // A reload on one node tells the others, which re-read the same files at once: file watching
  // does not fire on every shared volume (NFS, some bind mounts). The notice names no content,
  // so a node never runs on another's copy. A reload caused by a notice is not announced again
  // (nor is one that finishes while it runs: the files are the same), and notices arriving while
  // one runs make one more reload, not one each. A node whose last reload read the same files
  // (same digest) skips the notice: parsing contracts again would stall it for nothing.
  const noticeReload = new Map<"contracts" | "topics", { again: boolean }>();
  const loadedDigest = new Map<"contracts" | "topics", string>();
  const dirOf = (part: "contracts" | "topics") =>
    part === "contracts" ? config.contractsDir : config.topicsDir;
  let governance: Governance | null = null;
  const reloadFromNotice = (part: "contracts" | "topics") => {
    const running = noticeReload.get(part);
    if (running) {
      running.again = true;
      return;
    }
    const state = { again: false };
    noticeReload.set(part, state);
    void governance?.reload(part).finally(() => {
      noticeReload.delete(part);
      if (state.again) reloadFromNotice(part);
    });
  };
  redis.onNotice((n) => {
    if (n.type === "reload" && governance) {
      const same = loadedDigest.get(n.part) === folderDigest(dirOf(n.part));
      logger.info(
        { nodeId: redis.nodeId, from: n.from, part: n.part, skipped: same },
        same
          ? "reload notice from another node: these files are loaded already"
          : "reload notice from another node",
      );
      if (!same) reloadFromNotice(n.part);
    } else if (n.type === "rebirth" && sparkplug && sparkplugLease?.held()) {
      sparkplug.requestRebirth(n.rebirth as Parameters<SparkplugBridge["requestRebirth"]>[0]);
    }
  });

  const refusal = "server unavailable: this node cannot reach the cluster's Redis; connect to another node";

  return {
    nodeId: redis.nodeId,
    redis,
    aedesOptions: redis.aedesOptions,
    persistence: { kind: "redis" as const, persistence: redis.persistence, close: async () => undefined },
    /** Passed to the broker: refuse CONNECT with 0x03 (server unavailable) while Redis is away. */
    refuseConnection: (): string | null => (redis.up() ? null : refusal),
    /**
     * Redis pub/sub is at-most-once: a message published while this node cannot reach Redis
     * would be delivered to this node's subscribers only, or to nobody. Refuse it instead (MQTT
     * 3.1.1 has no PUBACK reason codes, so the publisher is disconnected and reconnects elsewhere).
     */
    guardPublish(authorize: AuthorizePublish): AuthorizePublish {
      return (client, packet, callback) => {
        if (!redis.up()) {
          callback(Object.assign(new Error(refusal), { code: "UNS_ERR_CLUSTER_REDIS" }));
          return;
        }
        authorize(client, packet, callback);
      };
    },
    /** For createGovernance's onReload: announce a reload this node saw on its own. */
    onReload(report: ReloadReport): void {
      if (!report.ok) return;
      loadedDigest.set(report.part, folderDigest(dirOf(report.part)));
      if (!noticeReload.has(report.part)) redis.notify({ type: "reload", part: report.part });
    },
    attach(parts: {
      governance: Governance;
      sparkplug: SparkplugBridge;
      broker: Aedes;
      clients: () => number;
    }): void {
      // aedes emits persistence failures (Redis away mid-operation) as 'error'; unheard, they would end the process.
      (parts.broker as unknown as NodeJS.EventEmitter).on("error", (err: Error) =>
        logger.error(
          { nodeId: redis.nodeId, err: err.message, code: "UNS_ERR_CLUSTER_REDIS" },
          "broker error in clustered mode",
        ),
      );
      governance = parts.governance;
      sparkplug = parts.sparkplug;
      clients = parts.clients;
      if (config.sparkplug.hostId) {
        const bridge = parts.sparkplug;
        sparkplugLease = redis.lease(`sparkplug-primary:${config.sparkplug.hostId}`, (held) => {
          bridge.setPrimary(held);
        });
      }
    },
    /** For the Sparkplug bridge: a rebirth found here is asked for by the primary host's node. */
    forwardRebirth(r: unknown): void {
      redis.notify({ type: "rebirth", rebirth: r });
    },
    listening(mqttPort: number, httpPort: number): void {
      ports.mqttPort = mqttPort;
      ports.httpPort = httpPort;
    },
    health(): ClusterHealth {
      return { nodeId: redis.nodeId, redis: { up: redis.up() }, members: cachedMembers.map((m) => m.nodeId) };
    },
    registerMetrics(registry: Registry): void {
      new Gauge({
        name: "uns_cluster_node",
        help: "This node (always 1), labelled with its node id",
        labelNames: ["node_id"] as const,
        registers: [registry],
        collect() {
          this.set({ node_id: redis.nodeId }, 1);
        },
      });
      new Gauge({
        name: "uns_cluster_redis_up",
        help: "1 while this node reaches the cluster's Redis (it refuses publishes otherwise)",
        registers: [registry],
        collect() {
          this.set(redis.up() ? 1 : 0);
        },
      });
      new Gauge({
        name: "uns_cluster_member",
        help: "Nodes of the cluster whose heartbeat has not expired (1 each), as of this node's last look",
        labelNames: ["node_id"] as const,
        registers: [registry],
        collect() {
          this.reset();
          for (const m of cachedMembers) this.set({ node_id: m.nodeId }, 1);
        },
      });
    },
    routes(app: ApiApp): void {
      app.get(
        operations.cluster.url,
        { config: { role: "read" }, schema: routeSchema(operations.cluster) },
        async () => {
          const members = await redis.members().catch(() => cachedMembers);
          const totals: Record<string, number> = {};
          for (const m of members) {
            for (const [k, v] of Object.entries((m.totals as Record<string, number>) ?? {}))
              totals[k] = (totals[k] ?? 0) + v;
          }
          return {
            nodeId: redis.nodeId,
            redis: { up: redis.up() },
            sparkplugPrimary: sparkplugLease?.held() ?? false,
            noticesReceived: redis.noticesReceived(),
            // A heartbeat is what its node reported; the contract describes the known fields.
            members: members as ClusterMemberReply[],
            // Each node's counts as of its last heartbeat (at most cluster.heartbeatMs old).
            totals,
          };
        },
      );
    },
    async close(): Promise<void> {
      clearInterval(timer);
      await redis.close();
    },
  };
}

export type ClusterNode = Awaited<ReturnType<typeof createClusterNode>>;

/** sha256 over every file's path and bytes in a folder (the reload notice's "do I have these files?"). */
function folderDigest(dir: string): string {
  const hash = createHash("sha256");
  try {
    const files = (readdirSync(dir, { recursive: true, withFileTypes: true }) as import("node:fs").Dirent[])
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .sort();
    for (const f of files) hash.update(f).update("\0").update(readFileSync(f)).update("\0");
  } catch {
    hash.update(String(Date.now()));
  }
  return hash.digest("hex");
}

/** A single node (cluster.redisUrl empty) has no cluster: GET /api/v1/cluster says so. */
export function singleNodeClusterRoute(app: ApiApp): void {
  app.get(
    operations.cluster.url,
    { config: { role: "read" }, schema: routeSchema(operations.cluster) },
    async (_req, reply) =>
      reply.status(404).send({
        error: {
          code: "UNS_ERR_API_NOT_FOUND",
          message: "this server runs as a single node (cluster.redisUrl is empty); there is no cluster",
        },
      }),
  );
}
