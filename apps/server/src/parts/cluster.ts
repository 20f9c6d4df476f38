import type { Logger } from "pino";
import type { ApiApp } from "../api/app.js";
import { createClusterNode, singleNodeClusterRoute } from "../cluster/cluster-node.js";
import type { Config } from "../config.js";
import type { LiveStats } from "../live-stats.js";

/**
 * Clustered mode (cluster/), or its absence: one shape for both, so the wiring does not branch.
 * Created first, because the broker starts on the cluster's shared emitter and persistence.
 * A single node has no Redis: every hook is a no-op and GET /api/v1/cluster answers 404.
 */
export async function createClusterPart(config: Readonly<Config>, logger: Logger, live: LiveStats) {
  const node = config.cluster.redisUrl ? await createClusterNode(config, logger, live) : null;
  return {
    node,
    /** The broker options a cluster adds: the Redis emitter, refusals while Redis is away. */
    brokerOptions(authorize: Parameters<NonNullable<typeof node>["guardPublish"]>[0]) {
      return {
        authorizePublish: node ? node.guardPublish(authorize) : authorize,
        aedesOptions: node?.aedesOptions,
        refuseConnection: node?.refuseConnection,
      };
    },
    routes: (app: ApiApp) => (node ? node.routes(app) : singleNodeClusterRoute(app)),
    stop: async () => node?.close(),
  };
}

export type ClusterPart = Awaited<ReturnType<typeof createClusterPart>>;
