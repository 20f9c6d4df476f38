import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { ChannelSpec, JSONSchema } from "@uns/contracts";
import { processorError } from "../errors.js";
import { type LoadedModel, type ModelManifest, readModel } from "../model/manifest.js";
import type { Registry } from "./registry.js";

/**
 * Where a slot's versions run: the weld models' scoring pool, or the splatter processor's worker
 * threads. A version is loaded (and warmed) in every worker before it gets a role.
 */
export interface ModelHost {
  load(
    key: string,
    model: {
      bytes: Uint8Array;
      features: ModelManifest["features"];
      onnx: ModelManifest["onnx"];
      manifest: ModelManifest;
    },
  ): Promise<void>;
  unload(key: string): void;
}

/**
 * One model name inside a processor (e.g. the nugget regression): its loaded versions and their
 * roles. A version is loaded and warmed in every worker before it gets a role, and a role change
 * is one assignment between two batches, so no spot is dropped or scored twice by a swap.
 */
export interface LoadedVersion {
  key: string;
  manifest: ModelManifest;
}

export interface Route {
  /** The version whose output is published. */
  primary: LoadedVersion;
  /** For a canary spot: the live version, scored too, to measure disagreement. */
  compare?: LoadedVersion;
  shadow?: LoadedVersion;
  canary: boolean;
}

export interface ModelSlot {
  readonly name: string;
  live(): LoadedVersion | null;
  canary(): { version: LoadedVersion; share: number } | null;
  shadow(): LoadedVersion | null;
  /** Loads a version from its manifest (checked against the input contract), without a role. */
  load(manifestPath: string): Promise<LoadedVersion>;
  deploy(
    version: string,
    mode: "live" | "canary" | "shadow",
    options?: { share?: number; reason?: string; by?: string },
  ): Promise<string>;
  /** Serves the store's deployment as is (after a conflict), without recording it again. */
  follow(deployment: {
    live: string | null;
    canary: { version: string; share: number } | null;
    shadow: string | null;
  }): Promise<void>;
  /**
   * `by`: who asked (an API user); the processors themselves when not given. Each change returns
   * the registry's change id (`registry.refusal(id)` tells whether the store refused it).
   */
  promote(reason: string, by?: string): string;
  rollback(reason: string, by?: string): string;
  route(hash: number): Route | null;
  /** Versions in a role, plus those still used by batches in flight, must stay loaded. */
  release(keys: readonly string[]): void;
  retain(keys: readonly string[]): void;
}

/** Returns the problems of a manifest against the processor's input channel. */
export function checkAgainstContract(manifest: ModelManifest, channel: ChannelSpec): string[] {
  const problems: string[] = [];
  if (manifest.input.channel !== channel.id)
    problems.push(`it reads channel "${manifest.input.channel}", this processor reads "${channel.id}"`);
  if (manifest.input.contract.version !== channel.version)
    problems.push(
      `it was trained on contract version ${manifest.input.contract.version}, the loaded contract is ${channel.version}`,
    );
  const schema = channel.messages[0]?.payload ?? null;
  for (const f of manifest.features) {
    if (schema && !schemaHasPath(schema, f.path.split(".")))
      problems.push(`feature path "${f.path}" is not in the ${channel.id} payload schema`);
  }
  return problems;
}

function schemaHasPath(schema: JSONSchema, path: readonly string[]): boolean {
  let node: JSONSchema | undefined = schema;
  for (const key of path) {
    if (typeof node !== "object" || node === null) return node === true;
    const props = node.properties as Record<string, JSONSchema> | undefined;
    node = props?.[key];
    if (node === undefined) return false;
  }
  return true;
}

/** Hash in [0, 1) of a spot identity: the same spot always lands on the same side of a canary split. */
export function stableShare(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  // One more avalanche round: sequential seq numbers must not map to neighbouring values.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** Version folders of a model under modelsDir, newest (by semantic version) first. */
export function listVersions(modelsDir: string, name: string): string[] {
  const dir = join(modelsDir, name);
  if (!existsSync(dir)) return [];
  const versions = readdirSync(dir).filter((v) => existsSync(join(dir, v, "manifest.json")));
  return versions.sort((a, b) => compareSemver(b, a));
}

function compareSemver(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++)
    if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

export function createModelSlot(options: {
  name: string;
  modelsDir: string;
  channel: () => ChannelSpec;
  pool: ModelHost;
  registry: Registry;
  onChange?: (event: { action: string; name: string; version: string | null; reason: string }) => void;
}): ModelSlot {
  const { name, pool, registry } = options;
  const loaded = new Map<string, LoadedVersion>();
  const inFlight = new Map<string, number>();
  let live: LoadedVersion | null = null;
  let canary: { version: LoadedVersion; share: number } | null = null;
  let shadow: LoadedVersion | null = null;
  let previousLive: LoadedVersion | null = null;

  const inRole = (key: string) => live?.key === key || canary?.version.key === key || shadow?.key === key;
  const unloadIfIdle = (key: string) => {
    if (inRole(key) || (inFlight.get(key) ?? 0) > 0 || previousLive?.key === key) return;
    if (loaded.delete(key)) pool.unload(key);
  };
  const note = (action: string, version: string | null, reason: string, by?: string): string => {
    const id = registry.change(
      name,
      action,
      version,
      reason,
      (r) => {
        r.live = live?.manifest.version ?? null;
        r.canary = canary ? { version: canary.version.manifest.version, share: canary.share } : null;
        r.shadow = shadow?.manifest.version ?? null;
      },
      by,
    );
    options.onChange?.({ action, name, version, reason });
    return id;
  };

  async function load(manifestPath: string): Promise<LoadedVersion> {
    const model: LoadedModel = readModel(manifestPath);
    const m = model.manifest;
    if (m.name !== name)
      throw processorError(
        "UNS_ERR_MODEL_INPUTS",
        `${manifestPath}: the manifest is for model "${m.name}", this slot serves "${name}"`,
      );
    const problems = checkAgainstContract(m, options.channel());
    if (problems.length > 0)
      throw processorError("UNS_ERR_MODEL_INPUTS", `${manifestPath}: ${problems.join("; ")}`, {
        details: problems,
      });
    const key = `${m.name}@${m.version}#${m.sha256.slice(0, 12)}`;
    const existing = loaded.get(key);
    if (existing) return existing;
    try {
      await pool.load(key, { bytes: model.bytes, features: m.features, onnx: m.onnx, manifest: m });
    } catch (cause) {
      throw processorError("UNS_ERR_MODEL_LOAD", `${model.onnxPath}: ${(cause as Error).message}`, { cause });
    }
    const v = { key, manifest: m };
    loaded.set(key, v);
    registry.register(m, model.manifestPath);
    return v;
  }

  function manifestPathOf(version: string): string {
    return (
      registry.get(name)?.versions[version]?.manifestPath ??
      join(options.modelsDir, name, version, "manifest.json")
    );
  }

  return {
    name,
    live: () => live,
    canary: () => canary,
    shadow: () => shadow,
    load,
    async deploy(version, mode, opts = {}) {
      const v = await load(manifestPathOf(version));
      const reason = opts.reason ?? `deploy ${mode}`;
      const old = [live, canary?.version, shadow].filter(
        (x): x is LoadedVersion => x !== null && x !== undefined,
      );
      if (mode === "live") {
        if (live && live.key !== v.key) previousLive = live;
        live = v;
        if (canary?.version.key === v.key) canary = null;
      } else if (mode === "canary") {
        const share = opts.share ?? 0.1;
        if (!(share > 0 && share < 1))
          throw new RangeError(`canary share must be within (0, 1), got ${share}`);
        canary = { version: v, share };
      } else {
        shadow = v;
      }
      const id = note(`deploy-${mode}`, version, reason, opts.by);
      for (const o of old) unloadIfIdle(o.key);
      return id;
    },
    async follow(d) {
      const get = (version: string) => load(manifestPathOf(version));
      // Everything loads first: a version that does not load leaves the roles as they were.
      const next = {
        live: d.live ? await get(d.live) : live,
        canary: d.canary ? { version: await get(d.canary.version), share: d.canary.share } : null,
        shadow: d.shadow ? await get(d.shadow) : null,
      };
      const old = [live, canary?.version, shadow].filter(
        (x): x is LoadedVersion => x !== null && x !== undefined,
      );
      if (live && next.live && next.live.key !== live.key) previousLive = live;
      live = next.live;
      canary = next.canary;
      shadow = next.shadow;
      for (const o of old) unloadIfIdle(o.key);
    },
    promote(reason, by) {
      if (!canary) throw processorError("UNS_ERR_MODEL_UNKNOWN", `model ${name} has no canary to promote`);
      if (live) previousLive = live;
      const old = live;
      live = canary.version;
      canary = null;
      const id = note("promote", live.manifest.version, reason, by);
      if (old) unloadIfIdle(old.key);
      return id;
    },
    rollback(reason, by) {
      if (canary) {
        const dropped = canary.version;
        canary = null;
        const id = note("rollback-canary", dropped.manifest.version, reason, by);
        unloadIfIdle(dropped.key);
        return id;
      }
      if (!previousLive)
        throw processorError(
          "UNS_ERR_MODEL_UNKNOWN",
          `model ${name} has no previous live version to roll back to`,
        );
      const dropped = live;
      live = previousLive;
      previousLive = null;
      const id = note("rollback-live", live.manifest.version, reason, by);
      if (dropped) unloadIfIdle(dropped.key);
      return id;
    },
    route(hash) {
      if (!live) return null;
      const route: Route = { primary: live, canary: false };
      if (canary && hash < canary.share) {
        route.primary = canary.version;
        route.compare = live;
        route.canary = true;
      }
      if (shadow) route.shadow = shadow;
      return route;
    },
    retain(keys) {
      for (const k of keys) inFlight.set(k, (inFlight.get(k) ?? 0) + 1);
    },
    release(keys) {
      for (const k of keys) {
        const n = (inFlight.get(k) ?? 1) - 1;
        if (n <= 0) inFlight.delete(k);
        else inFlight.set(k, n);
        unloadIfIdle(k);
      }
    },
  };
}
