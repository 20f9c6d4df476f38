import { processorError } from "../errors.js";
import type { Logger } from "../processors/weld-quality.js";
import { listVersions, type ModelSlot } from "./model-slot.js";
import type { Registry } from "./registry.js";

/**
 * At start a slot serves what the registry says (read from the store, or the cache when the
 * server is away): its live version (without one, the newest version that loads; refusals are
 * logged and the next is tried), then its canary with its share and its shadow.
 */
export async function deployFromRegistry(
  slot: ModelSlot,
  deps: { registry: Registry; modelsDir: string; logger: Logger; id: string },
): Promise<void> {
  // Read before deploying: the live deploy records the slot's state, which has no canary yet.
  const recorded = deps.registry.get(slot.name);
  const live = recorded?.live ?? null;
  const canary = recorded?.canary ?? null;
  const shadow = recorded?.shadow ?? null;
  const failed = (err: unknown) =>
    deps.logger.error(`${deps.id}: ${(err as { code?: string }).code ?? ""} ${(err as Error).message}`);

  let serving = false;
  for (const version of new Set([...(live ? [live] : []), ...listVersions(deps.modelsDir, slot.name)])) {
    try {
      await slot.deploy(version, "live", {
        reason: live === version ? "start: live in the registry" : "start: newest version",
      });
      serving = true;
      break;
    } catch (err) {
      failed(err);
    }
  }
  if (!serving)
    throw processorError(
      "UNS_ERR_MODEL_MANIFEST",
      `${deps.id}: no loadable version of model ${slot.name} under ${deps.modelsDir} (run \`pnpm train\`)`,
    );
  for (const [mode, version] of [
    ["canary", canary?.version],
    ["shadow", shadow],
  ] as const) {
    if (!version) continue;
    try {
      await slot.deploy(version, mode, { share: canary?.share, reason: `start: ${mode} in the registry` });
    } catch (err) {
      failed(err);
    }
  }
}
