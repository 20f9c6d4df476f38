import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { ModelManifest } from "../model/manifest.js";

/**
 * The model registry: every version seen with its manifest summary, which one is live, which is
 * canary (with its share) or shadow, and a history of every change with its reason. Kept as one
 * JSON file written atomically (write + rename), so a restart resumes with the same deployment.
 */
export interface VersionRecord {
  version: string;
  manifestPath: string;
  sha256: string;
  kind: ModelManifest["kind"];
  metrics?: Record<string, unknown>;
  registeredAt: string;
}

export interface ModelRecord {
  name: string;
  versions: Record<string, VersionRecord>;
  live: string | null;
  canary: { version: string; share: number } | null;
  shadow: string | null;
  history: {
    at: string;
    action: string;
    version: string | null;
    previous: string | null;
    reason: string;
    /** Who made the change: the API user, or `processors` for a start or an automatic rollback. */
    by: string;
  }[];
}

export interface Registry {
  get(name: string): ModelRecord | undefined;
  list(): ModelRecord[];
  register(manifest: ModelManifest, manifestPath: string): VersionRecord;
  /** Records a change of roles; `change` mutates the record. */
  change(
    name: string,
    action: string,
    version: string | null,
    reason: string,
    change: (r: ModelRecord) => void,
    by?: string,
  ): void;
}

export function createRegistry(file: string | null, now: () => Date = () => new Date()): Registry {
  let models: Record<string, ModelRecord> = {};
  if (file) {
    try {
      models = JSON.parse(readFileSync(file, "utf8")).models ?? {};
    } catch {
      models = {};
    }
  }
  const save = () => {
    if (!file) return;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.tmp`, `${JSON.stringify({ models }, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
  };
  const record = (name: string): ModelRecord =>
    (models[name] ??= { name, versions: {}, live: null, canary: null, shadow: null, history: [] });
  return {
    get: (name) => models[name],
    list: () => Object.values(models),
    register(manifest, manifestPath) {
      const r = record(manifest.name);
      const v: VersionRecord = {
        version: manifest.version,
        manifestPath,
        sha256: manifest.sha256,
        kind: manifest.kind,
        metrics: manifest.metrics,
        registeredAt: r.versions[manifest.version]?.registeredAt ?? now().toISOString(),
      };
      r.versions[manifest.version] = v;
      save();
      return v;
    },
    change(name, action, version, reason, change, by = "processors") {
      const r = record(name);
      const previous = r.live;
      change(r);
      r.history.push({ at: now().toISOString(), action, version, previous, reason, by });
      if (r.history.length > 200) r.history.splice(0, r.history.length - 200);
      save();
    },
  };
}
