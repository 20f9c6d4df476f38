import { createHash, randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type {
  ModelChange,
  ModelHistoryEntry,
  ModelRegistryRecord,
  ModelRegistrySync,
  ModelVersionRecord,
} from "@uns/api-contract";
import { isUnsError } from "@uns/errors";
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
 *
 * Two processors hosts may change the same model. Each change carries the model's revision it
 * makes and the store accepts it only on the revision before (compare-and-set): the host whose
 * view is stale is refused (409), drops its pending changes of that model, reads the store again,
 * logs the state it now follows and calls `onFollow`, so its slot serves what the store records.
 * A host that changes nothing learns of the other's changes by reading the store every
 * `refreshMs`: a model the store has at a newer revision, with nothing of it pending here, is
 * followed the same way.
 *
 * A registry file from before the store (processors that kept the record in this file) is not
 * lost: a model the store has no record of is imported once from the file (its versions, its
 * history and its deployment, as changes with ids derived from their content, so an import sent
 * twice is recorded once), and from then on the store is the record.
 */
export type VersionRecord = ModelVersionRecord;
export type HistoryEntry = ModelHistoryEntry;
export type ModelRecord = ModelRegistryRecord;
export type { ModelChange };
export type RegistryStatus = ModelRegistrySync;

export interface Registry {
  get(name: string): ModelRecord | undefined;
  list(): ModelRecord[];
  register(manifest: ModelManifest, manifestPath: string): VersionRecord;
  /** Records a change of roles; `change` mutates the record. Returns the change's id. */
  change(
    name: string,
    action: string,
    version: string | null,
    reason: string,
    change: (r: ModelRecord) => void,
    by?: string,
  ): string;
  /** Why the store refused the change with this id (made on a stale view), if it did. */
  refusal(id: string): string | undefined;
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
  /** How often to read the store again and follow what other hosts changed (ms); 0: never. */
  refreshMs?: number;
  log?: (level: "info" | "warn", message: string) => void;
  /** A model's record was replaced by the store's after a conflict: serve what it says. */
  onFollow?: (record: ModelRecord) => void;
  now?: () => Date;
}

const HISTORY = 200;
const CHUNK = 500;
/** Refused change ids remembered for the API's answer; older ones are forgotten. */
const REFUSALS = 100;

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
    } catch (err) {
      // No cache yet (first start): the store has the record. An unreadable one is kept aside,
      // not overwritten, since it may hold changes the store never got.
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
        const aside = `${cacheFile}.unreadable-${Date.now()}`;
        renameSync(cacheFile, aside);
        log(
          "warn",
          `model registry: the cache ${cacheFile} is unreadable (${(err as Error).message}); moved to ${aside}, starting from the store (changes it held that the store never got are in that file)`,
        );
      }
    }
  }
  let record: RegistryStatus["record"] = remote ? "cache" : "file";
  let lastSyncAt: string | null = null;
  let lastError: string | null = null;
  let lastErrorAt: string | null = null;
  let conflicts = 0;
  const refused = new Map<string, string>();
  let flushing: Promise<boolean> | null = null;
  let retry: NodeJS.Timeout | null = null;
  let refreshTimer: NodeJS.Timeout | null = null;
  let closed = false;

  const save = () => {
    if (!cacheFile) return;
    mkdirSync(dirname(cacheFile), { recursive: true });
    writeFileSync(`${cacheFile}.tmp`, `${JSON.stringify({ models, pending }, null, 2)}\n`);
    renameSync(`${cacheFile}.tmp`, cacheFile);
  };
  const recordOf = (name: string): ModelRecord =>
    (models[name] ??= {
      name,
      versions: {},
      live: null,
      canary: null,
      shadow: null,
      revision: 0,
      history: [],
    });

  async function send(): Promise<boolean> {
    if (!remote) return true;
    try {
      // Nothing to send: a read proves the store answers again (unless it just did).
      if (pending.versions.length + pending.changes.length === 0 && record !== "store") await remote.read();
      while (pending.versions.length > 0 || pending.changes.length > 0) {
        const versions = pending.versions.slice(0, CHUNK);
        const changes = pending.changes.slice(0, CHUNK);
        try {
          await remote.write({ versions, changes });
        } catch (err) {
          if (!isUnsError(err) || err.code !== "UNS_ERR_MODEL_REGISTRY_CONFLICT") throw err;
          await followStore(err.message);
          continue;
        }
        // Only what was sent leaves: changes made meanwhile were appended behind it.
        pending.versions.splice(0, versions.length);
        pending.changes.splice(0, changes.length);
        save();
      }
      if (record !== "store") log("info", `model registry: in step with the store at ${remote.url}`);
      record = "store";
      lastSyncAt = now().toISOString();
      return true;
    } catch (err) {
      if (record === "store" || lastErrorAt === null)
        log(
          "warn",
          `model registry: ${(err as Error).message}; ${pending.changes.length} change(s) kept in ${cacheFile ?? "memory"} until the store answers`,
        );
      record = "cache";
      failed((err as Error).message);
      scheduleRetry();
      return false;
    }
  }
  function failed(message: string): void {
    lastError = message;
    lastErrorAt = now().toISOString();
  }
  /**
   * The store refused a batch: some model's pending changes were made on a stale view. Those are
   * dropped (each later one builds on the refused one), and the model follows the store.
   */
  async function followStore(message: string): Promise<void> {
    conflicts++;
    failed(message);
    const stored = new Map((await remote!.read()).map((r) => [r.name, r]));
    // The first pending change of each model decides: it must build on the store's revision.
    const stale = new Set<string>();
    for (const name of new Set(pending.changes.map((c) => c.name))) {
      const first = pending.changes.find((c) => c.name === name)!;
      if (first.revision !== (stored.get(name)?.revision ?? 0) + 1) stale.add(name);
    }
    if (stale.size === 0)
      throw new Error(`model registry: the store refused a change, and none looks stale: ${message}`);
    for (const name of stale) {
      const dropped = pending.changes.filter((c) => c.name === name);
      pending.changes = pending.changes.filter((c) => c.name !== name);
      const theirs = stored.get(name);
      for (const c of dropped) {
        refused.set(
          c.id,
          `the store refused this ${c.action} of ${name}: it was made on a stale view (another host changed the model first, store revision ${theirs?.revision ?? 0}). The model now follows the store: live ${theirs?.live ?? "none"}, canary ${theirs?.canary?.version ?? "none"}, shadow ${theirs?.shadow ?? "none"}. Read GET /models and ask again if it still applies.`,
        );
        if (refused.size > REFUSALS) refused.delete(refused.keys().next().value!);
      }
      if (theirs) models[name] = theirs;
      else delete models[name];
      log(
        "warn",
        `model registry: the store refused ${dropped.length} change(s) of ${name} made on a stale view (${dropped.map((c) => `${c.action} ${c.version ?? ""} by ${c.by}`).join(", ")}): ${message}. Following the store: live ${theirs?.live ?? "none"}, canary ${theirs?.canary ? `${theirs.canary.version} at ${theirs.canary.share}` : "none"}, shadow ${theirs?.shadow ?? "none"}, revision ${theirs?.revision ?? 0}`,
      );
      if (theirs) options.onFollow?.(theirs);
    }
    save();
  }
  /** Queues, as changes, the models of the local file that the store has no record of. */
  function importUnknown(stored: ModelRecord[]): string[] {
    const known = new Set(stored.map((r) => r.name));
    const imported: string[] = [];
    for (const r of Object.values(models)) {
      if (known.has(r.name) || (r.live === null && r.history.length === 0)) continue;
      const deployment = { live: r.live, canary: r.canary, shadow: r.shadow };
      for (const v of Object.values(r.versions)) pending.versions.push({ name: r.name, ...v });
      const at = now().toISOString();
      const entries: HistoryEntry[] = [
        ...r.history.filter((h) => h.at && h.action),
        {
          at,
          action: "import",
          version: r.live,
          previous: r.live,
          reason: `imported from ${cacheFile} (registry file from before the store)`,
          by: "processors",
        },
      ];
      entries.forEach((h, i) => {
        // Content-derived ids: the import sent twice (an answer lost) is recorded once.
        const id = `import-${createHash("sha256")
          .update(JSON.stringify([r.name, i, h.action === "import" ? deployment : h]))
          .digest("hex")
          .slice(0, 40)}`;
        pending.changes.push({ id, name: r.name, ...h, deployment, revision: i + 1 });
      });
      r.revision = entries.length;
      imported.push(r.name);
      log(
        "info",
        `model registry: importing ${r.name} from ${cacheFile} into the store (it has no record of it): live ${r.live ?? "none"}, canary ${r.canary?.version ?? "none"}, shadow ${r.shadow ?? "none"}, ${Object.keys(r.versions).length} version(s), ${r.history.length} history entries`,
      );
    }
    if (imported.length > 0) save();
    return imported;
  }
  /** Follows the models the store has at a newer revision than here, with nothing pending. */
  async function refresh(): Promise<void> {
    if (!remote || closed || record !== "store" || pending.changes.length > 0) return;
    let stored: ModelRecord[];
    try {
      stored = await remote.read();
    } catch (err) {
      failed((err as Error).message);
      return; // the next refresh or change tries again; scoring goes on with what is served
    }
    if (closed || pending.changes.length > 0) return;
    let changed = false;
    for (const theirs of stored) {
      const ours = models[theirs.name];
      if (ours && (ours.revision ?? 0) >= theirs.revision) continue;
      models[theirs.name] = theirs;
      changed = true;
      if (!ours) continue; // a model no slot here serves: kept in the record only
      const last = theirs.history.at(-1);
      log(
        "info",
        `model registry: ${theirs.name} changed in the store (revision ${ours.revision ?? 0} -> ${theirs.revision}${last ? `, ${last.action} ${last.version ?? ""} by ${last.by}` : ""}); now serving live ${theirs.live ?? "none"}, canary ${theirs.canary ? `${theirs.canary.version} at ${theirs.canary.share}` : "none"}, shadow ${theirs.shadow ?? "none"}`,
      );
      options.onFollow?.(theirs);
    }
    if (changed) save();
    lastSyncAt = now().toISOString();
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
      r.revision = (r.revision ?? 0) + 1;
      const id = randomUUID();
      pending.changes.push({
        id,
        name,
        ...entry,
        deployment: { live: r.live, canary: r.canary, shadow: r.shadow },
        revision: r.revision,
      });
      save();
      void flush();
      return id;
    },
    refusal: (id) => refused.get(id),
    async open() {
      if (!remote) return;
      // Refreshes skip themselves while the store does not answer or changes wait to be sent.
      if (options.refreshMs && !refreshTimer) {
        refreshTimer = setInterval(() => void refresh(), options.refreshMs);
        refreshTimer.unref();
      }
      // What a run without the store left in the cache goes first, so the store's answer has it.
      if (!(await flush())) {
        const n = Object.keys(models).length;
        log("warn", `model registry: starting from the cache ${cacheFile ?? "(none)"} (${n} model(s))`);
        return;
      }
      try {
        let records = await remote.read();
        if (importUnknown(records).length > 0) {
          // Not sent (the store went away meanwhile): the import waits in the cache with the rest.
          if (!(await flush())) return;
          records = await remote.read();
        }
        models = Object.fromEntries(records.map((r) => [r.name, r]));
        save();
      } catch (err) {
        record = "cache";
        failed((err as Error).message);
        log("warn", `model registry: ${lastError}; starting from the cache ${cacheFile ?? "(none)"}`);
        scheduleRetry();
      }
    },
    flush,
    status: () => {
      const waiting = pending.changes.length + pending.versions.length;
      return {
        inSync: remote !== null && record === "store" && waiting === 0,
        record,
        url: remote?.url ?? null,
        pending: waiting,
        lastSyncAt,
        lastError,
        lastErrorAt,
        conflicts,
      };
    },
    async close() {
      closed = true;
      if (refreshTimer) clearInterval(refreshTimer);
      if (retry) clearTimeout(retry);
      retry = null;
      if (pending.changes.length + pending.versions.length > 0) await flush();
      if (retry) clearTimeout(retry);
    },
  };
}
