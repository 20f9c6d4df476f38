import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { ModelManifest } from "../model/manifest.js";
import type { RegistryRemote } from "./registry-remote.js";

/**
 * The model registry: every version seen with its manifest summary, which one is live, which is
 * canary (with its share) or shadow, and a history of every change with its reason.
 *
 * The record is the UNS server's compliance store (`remote`): at start the processors read their
 * deployment from it, and every change (the start-up registration and automatic rollbacks too) is
 * sent to it. A local file (`cacheFile`, written atomically) mirrors the registry and holds the
 * changes the store has not acknowledged yet: when the server is unreachable the processors start
 * from it and keep scoring, and the changes go to the store, in order, once it answers again
 * (each change has an id, so one sent twice is recorded once).
 */
export interface VersionRecord {
  version: string;
  manifestPath: string;
  sha256: string;
  kind: ModelManifest["kind"];
  /** The manifest without features and drift reference: input, threshold, seed, data. */
  manifest?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
  registeredAt: string;
}

export interface HistoryEntry {
  at: string;
  action: string;
  version: string | null;
  previous: string | null;
  reason: string;
  /** Who made the change: the API user, or `processors` for a start or an automatic rollback. */
  by: string;
}

export interface ModelRecord {
  name: string;
  versions: Record<string, VersionRecord>;
  live: string | null;
  canary: { version: string; share: number } | null;
  shadow: string | null;
  history: HistoryEntry[];
}

/** A change as the store records it: the history entry and the deployment it left. */
export interface ModelChange extends HistoryEntry {
  id: string;
  name: string;
  deployment: Pick<ModelRecord, "live" | "canary" | "shadow">;
}

export interface RegistryStatus {
  /** `store`: in step with the store; `cache`: the store did not answer, changes wait in the cache. */
  record: "store" | "cache" | "file";
  url: string | null;
  pending: number;
  lastSyncAt: string | null;
  lastError: string | null;
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
  /** Sends what the cache holds, then reads the store; falls back to the cache when it does not answer. */
  open(): Promise<void>;
  /** Sends the pending changes now; true when the store has them all. */
  flush(): Promise<boolean>;
  status(): RegistryStatus;
  /** A last flush (bounded by the remote's timeout), then stops retrying. */
  close(): Promise<void>;
}

export interface RegistryOptions {
  cacheFile: string | null;
  remote?: RegistryRemote | null;
  /** How often to retry the store while it does not answer (ms). */
  retryMs?: number;
  log?: (level: "info" | "warn", message: string) => void;
  now?: () => Date;
}

const HISTORY = 200;
const CHUNK = 500;

function summary(m: ModelManifest): Record<string, unknown> {
  const { features: _f, reference: _r, metrics: _m, ...rest } = m;
  return { ...rest, features: m.features.length };
}

export function createRegistry(options: RegistryOptions): Registry {
  const { cacheFile, remote = null } = options;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => {});
  let models: Record<string, ModelRecord> = {};
  let pending: { versions: (VersionRecord & { name: string })[]; changes: ModelChange[] } = {
    versions: [],
    changes: [],
  };
  if (cacheFile) {
    try {
      const cached = JSON.parse(readFileSync(cacheFile, "utf8"));
      models = cached.models ?? {};
      pending = { versions: cached.pending?.versions ?? [], changes: cached.pending?.changes ?? [] };
    } catch {
      // No cache yet (first start), or unreadable: the store has the record.
    }
  }
  let record: RegistryStatus["record"] = remote ? "cache" : "file";
  let lastSyncAt: string | null = null;
  let lastError: string | null = null;
  let flushing: Promise<boolean> | null = null;
  let retry: NodeJS.Timeout | null = null;
  let closed = false;

  const save = () => {
    if (!cacheFile) return;
    mkdirSync(dirname(cacheFile), { recursive: true });
    writeFileSync(`${cacheFile}.tmp`, `${JSON.stringify({ models, pending }, null, 2)}\n`);
    renameSync(`${cacheFile}.tmp`, cacheFile);
  };
  const recordOf = (name: string): ModelRecord =>
    (models[name] ??= { name, versions: {}, live: null, canary: null, shadow: null, history: [] });

  async function send(): Promise<boolean> {
    if (!remote) return true;
    try {
      // Nothing to send: a read proves the store answers again (unless it just did).
      if (pending.versions.length + pending.changes.length === 0 && record !== "store") await remote.read();
      while (pending.versions.length > 0 || pending.changes.length > 0) {
        const versions = pending.versions.slice(0, CHUNK);
        const changes = pending.changes.slice(0, CHUNK);
        await remote.write({ versions, changes });
        // Only what was sent leaves: changes made meanwhile were appended behind it.
        pending.versions.splice(0, versions.length);
        pending.changes.splice(0, changes.length);
        save();
      }
      if (record !== "store") log("info", `model registry: in step with the store at ${remote.url}`);
      record = "store";
      lastSyncAt = now().toISOString();
      lastError = null;
      return true;
    } catch (err) {
      if (record === "store" || lastError === null)
        log(
          "warn",
          `model registry: ${(err as Error).message}; ${pending.changes.length} change(s) kept in ${cacheFile ?? "memory"} until the store answers`,
        );
      record = "cache";
      lastError = (err as Error).message;
      scheduleRetry();
      return false;
    }
  }
  function flush(): Promise<boolean> {
    // One flush at a time, and a flush asked during one runs after it (it may have new changes).
    const next = (flushing ?? Promise.resolve(true)).then(send);
    const mine = next.finally(() => {
      if (flushing === mine) flushing = null;
    });
    flushing = mine;
    return mine;
  }
  function scheduleRetry(): void {
    if (retry || closed || !remote) return;
    retry = setTimeout(() => {
      retry = null;
      void flush();
    }, options.retryMs ?? 5000);
    retry.unref();
  }

  return {
    get: (name) => models[name],
    list: () => Object.values(models),
    register(manifest, manifestPath) {
      const r = recordOf(manifest.name);
      const v: VersionRecord = {
        version: manifest.version,
        manifestPath,
        sha256: manifest.sha256,
        kind: manifest.kind,
        manifest: summary(manifest),
        metrics: manifest.metrics,
        registeredAt: r.versions[manifest.version]?.registeredAt ?? now().toISOString(),
      };
      r.versions[manifest.version] = v;
      pending.versions = pending.versions.filter((p) => p.name !== r.name || p.version !== v.version);
      pending.versions.push({ name: r.name, ...v });
      save();
      void flush();
      return v;
    },
    change(name, action, version, reason, change, by = "processors") {
      const r = recordOf(name);
      const previous = r.live;
      change(r);
      const entry: HistoryEntry = { at: now().toISOString(), action, version, previous, reason, by };
      r.history.push(entry);
      if (r.history.length > HISTORY) r.history.splice(0, r.history.length - HISTORY);
      pending.changes.push({
        id: randomUUID(),
        name,
        ...entry,
        deployment: { live: r.live, canary: r.canary, shadow: r.shadow },
      });
      save();
      void flush();
    },
    async open() {
      if (!remote) return;
      // What a run without the store left in the cache goes first, so the store's answer has it.
      if (!(await flush())) {
        const n = Object.keys(models).length;
        log("warn", `model registry: starting from the cache ${cacheFile ?? "(none)"} (${n} model(s))`);
        return;
      }
      try {
        const records = await remote.read();
        models = Object.fromEntries(records.map((r) => [r.name, r]));
        save();
      } catch (err) {
        record = "cache";
        lastError = (err as Error).message;
        log("warn", `model registry: ${lastError}; starting from the cache ${cacheFile ?? "(none)"}`);
        scheduleRetry();
      }
    },
    flush,
    status: () => ({
      record,
      url: remote?.url ?? null,
      pending: pending.changes.length + pending.versions.length,
      lastSyncAt,
      lastError,
    }),
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      retry = null;
      if (pending.changes.length + pending.versions.length > 0) await flush();
      if (retry) clearTimeout(retry);
    },
  };
}
