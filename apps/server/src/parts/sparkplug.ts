import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { Outcome } from "../dispatcher/publish-pipeline.js";
import { createSparkplugBridge } from "../sparkplug-bridge.js";
import type { ClusterPart } from "./cluster.js";

/**
 * Sparkplug B (sparkplug-bridge.ts): the tracker of the Sparkplug 3.0 rules, the mirror onto UNS
 * topics and, with sparkplug.hostId, the primary host. In a cluster the node is primary only while
 * it holds the lease, and hands rebirth requests to the node that does.
 */
export function createSparkplugPart(o: {
  config: Readonly<Config>;
  logger: Logger;
  cluster: ClusterPart;
  record: (outcome: Outcome) => void;
}) {
  const { config, cluster } = o;
  return createSparkplugBridge({
    hostId: config.sparkplug.hostId,
    reorderWindowMs: config.sparkplug.reorderWindowMs,
    rebirthMinIntervalMs: config.sparkplug.rebirthMinIntervalMs,
    topicsDir: config.topicsDir,
    logger: o.logger,
    leased: cluster.node !== null,
    forwardRebirth: (r) => cluster.node?.forwardRebirth(r),
    record: o.record,
  });
}
