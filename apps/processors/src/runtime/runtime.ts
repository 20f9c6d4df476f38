import { join } from "node:path";
import { type ContractSet, createValidator, loadContracts, type Validator } from "@uns/contracts";
import type { ProcessorsConfig } from "../config.js";
import { processorError } from "../errors.js";
import { createRegistry, type Registry } from "../lifecycle/registry.js";
import { createRegistryRemote } from "../lifecycle/registry-remote.js";
import { type CheckGateProcessor, createCheckGateProcessor } from "../processors/check-gate.js";
import {
  createWeldQualityProcessor,
  type Logger,
  type WeldQualityProcessor,
} from "../processors/weld-quality.js";
import { createSplatterProcessor, type SplatterProcessor } from "../splatter/processor.js";
import { createScoringPool, type ScoringPool } from "./scoring-pool.js";

/**
 * Several processors in one process: they share the contracts, the scoring worker pool and the
 * model registry; each has its own MQTT session and a start/stop lifecycle.
 */
export interface ProcessorsRuntime {
  readonly weldQuality: WeldQualityProcessor | null;
  readonly checkGate: CheckGateProcessor | null;
  readonly splatter: SplatterProcessor | null;
  readonly registry: Registry;
  readonly pool: ScoringPool;
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): Record<string, unknown>;
}

export const consoleLogger: Logger = {
  info: (m) => console.log(m),
  warn: (m) => console.warn(m),
  error: (m) => console.error(m),
};

export async function createProcessorsRuntime(
  config: ProcessorsConfig,
  options: { logger?: Logger; contracts?: ContractSet } = {},
): Promise<ProcessorsRuntime> {
  const logger = options.logger ?? consoleLogger;
  // Parsing AsyncAPI takes seconds; a caller that already holds the set may pass it in.
  const set: ContractSet = options.contracts ?? (await loadContracts(config.contractsDir)).set;
  const validator: Validator = createValidator(set);
  for (const id of ["weldSpot", "weldQuality", "weldSpotTruth", "checkGateDecision"])
    if (!set.channels.some((c) => c.id === id))
      throw processorError("UNS_ERR_PROC_CHANNEL", `channel "${id}" is not in ${config.contractsDir}`);
  const pool = createScoringPool(config["workers.size"]);
  pool.setContracts(set);
  const remote = config["registry.url"]
    ? createRegistryRemote({
        url: config["registry.url"],
        username: config["mqtt.username"],
        password: config["mqtt.password"],
        timeoutMs: config["registry.timeoutMs"],
      })
    : null;
  const registry = createRegistry({
    cacheFile: join(config.dataDir, "model-registry.json"),
    remote,
    retryMs: config["registry.retryMs"],
    refreshMs: config["registry.refreshMs"],
    log: (level, message) => logger[level](message),
    // Another host changed a model first: serve what the store records (lifecycle/registry.ts).
    onFollow: (record) =>
      [weldQuality?.regression, weldQuality?.anomaly, splatter?.slot]
        .find((s) => s?.name === record.name)
        ?.follow(record)
        .catch((err) =>
          logger.error(`model registry: cannot serve ${record.name} as the store records it: ${err.message}`),
        ),
  });
  const deps = { config, contracts: () => set, validator: () => validator, pool, registry, logger };
  const weldQuality = config["weldQuality.enabled"] ? createWeldQualityProcessor(deps) : null;
  const checkGate = config["checkGate.enabled"] ? createCheckGateProcessor(deps) : null;
  const splatter = config["splatter.enabled"] ? createSplatterProcessor(deps) : null;
  const running: { start(): Promise<void>; stop(): Promise<void> }[] = [];
  return {
    weldQuality,
    checkGate,
    splatter,
    registry,
    pool,
    async start() {
      // The deployment to start with comes from the store (or the cache when it does not answer).
      await registry.open();
      for (const p of [checkGate, weldQuality, splatter]) {
        if (!p) continue;
        await p.start();
        running.push(p);
      }
    },
    async stop() {
      // Upstream first: the weld quality results it drains still reach the check gate.
      for (const p of [splatter, weldQuality, checkGate]) if (p && running.includes(p)) await p.stop();
      running.length = 0;
      await registry.close();
      await pool.close();
    },
    status() {
      // Each processor's status says whether the registry it serves from is in step with the store.
      const sync = registry.status();
      return {
        processors: [weldQuality?.status(), checkGate?.status(), splatter?.status()]
          .filter(Boolean)
          .map((p) => ({ ...p, registry: sync })),
        models: registry.list(),
        registry: registry.status(),
      };
    },
  };
}
