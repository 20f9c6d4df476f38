import type { ModelChange, ModelRegistryRecord, NewModelVersion } from "@uns/api-contract";
import { asc, sql } from "drizzle-orm";
import type { Db } from "./db.js";
import { storeError } from "./errors.js";
import { modelDeployments, modelVersions } from "./model-schema.js";

export async function registerModelVersions(db: Db, versions: NewModelVersion[]): Promise<number> {
  if (versions.length === 0) return 0;
  await db.transaction(async (exec) => {
    // A version registered again keeps the time it was first seen; the rest follows the manifest.
    for (const v of versions)
      await exec(
        `insert into model_versions (name, version, sha256, kind, manifest_path, manifest, metrics, registered_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
         on conflict (name, version) do update set sha256 = excluded.sha256, kind = excluded.kind,
           manifest_path = excluded.manifest_path, manifest = excluded.manifest, metrics = excluded.metrics`,
        [
          v.name,
          v.version,
          v.sha256,
          v.kind,
          v.manifestPath,
          JSON.stringify(v.manifest ?? {}),
          v.metrics === undefined ? null : JSON.stringify(v.metrics),
          new Date(v.registeredAt),
        ],
      );
  });
  return versions.length;
}

/**
 * Records changes in the order given; each sets the model's deployment to what it left. A change
 * already recorded (same id) is skipped, deployment included, so a replay cannot undo a later one.
 *
 * Compare-and-set: a change carries the revision it makes, and is accepted only while the model
 * is at the revision before it. Two processors hosts that change one model from the same view
 * cannot both win: the second is refused (UNS_ERR_STORE_MODEL_CONFLICT, HTTP 409, naming the
 * deployment the store holds), nothing of its batch is recorded, and it re-reads the store.
 */
export async function recordModelChanges(db: Db, changes: ModelChange[]): Promise<number> {
  if (changes.length === 0) return 0;
  return db.transaction(async (exec) => {
    let applied = 0;
    for (const c of changes) {
      const inserted = await exec(
        `insert into model_history (change_id, name, at, action, version, previous, reason, "by")
         values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (change_id) do nothing returning id`,
        [c.id, c.name, new Date(c.at), c.action, c.version, c.previous, c.reason, c.by],
      );
      if (inserted.rows.length === 0) continue;
      // The row lock makes a concurrent writer of the same model wait, then see the new revision.
      const now = await exec(
        `select live, canary, canary_share, shadow, revision, updated_at from model_deployments
         where name = $1 for update`,
        [c.name],
      );
      const current = now.rows[0] as Record<string, unknown> | undefined;
      const revision = Number(current?.revision ?? 0);
      if (c.revision !== revision + 1) {
        const state = current
          ? `live ${current.live ?? "none"}, canary ${current.canary ? `${current.canary} at ${current.canary_share}` : "none"}, shadow ${current.shadow ?? "none"}, changed ${new Date(String(current.updated_at)).toISOString()}`
          : "no deployment";
        throw storeError(
          "UNS_ERR_STORE_MODEL_CONFLICT",
          `model ${c.name}: change ${c.id} (${c.action} ${c.version ?? ""}, by ${c.by}) was made on revision ${c.revision - 1}, the store is at revision ${revision}: ${state}; read the registry again and retry on it`,
        );
      }
      applied++;
      const d = c.deployment;
      await exec(
        `insert into model_deployments (name, live, canary, canary_share, shadow, revision, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (name) do update set live = excluded.live, canary = excluded.canary,
           canary_share = excluded.canary_share, shadow = excluded.shadow, revision = excluded.revision,
           updated_at = excluded.updated_at`,
        [
          c.name,
          d.live,
          d.canary?.version ?? null,
          d.canary?.share ?? null,
          d.shadow,
          c.revision,
          new Date(c.at),
        ],
      );
    }
    return applied;
  });
}

/** Every model with its versions, deployment and last `historyLimit` changes (default 200). */
export async function modelRegistry(db: Db, historyLimit = 200): Promise<ModelRegistryRecord[]> {
  const limit = Math.min(Math.max(1, historyLimit), 10_000);
  const [versions, deployments, history] = await Promise.all([
    db.orm.select().from(modelVersions).orderBy(asc(modelVersions.registeredAt)),
    db.orm.select().from(modelDeployments),
    // The last `limit` changes of each model, whatever the others have.
    db.rows<Record<string, unknown>>(sql`
      select name, (extract(epoch from at) * 1000)::float8 as at, action, version, previous, reason, "by"
      from (select *, row_number() over (partition by name order by id desc) as n from model_history) h
      where n <= ${limit} order by name, id`),
  ]);
  const models = new Map<string, ModelRegistryRecord>();
  const record = (name: string) => {
    let r = models.get(name);
    if (!r) {
      r = { name, versions: {}, live: null, canary: null, shadow: null, revision: 0, history: [] };
      models.set(name, r);
    }
    return r;
  };
  for (const v of versions)
    record(v.name).versions[v.version] = {
      version: v.version,
      manifestPath: v.manifestPath,
      sha256: v.sha256,
      kind: v.kind,
      manifest: v.manifest,
      ...(v.metrics ? { metrics: v.metrics } : {}),
      registeredAt: v.registeredAt.toISOString(),
    };
  for (const d of deployments) {
    const r = record(d.name);
    r.live = d.live;
    r.canary = d.canary ? { version: d.canary, share: d.canaryShare ?? 0 } : null;
    r.shadow = d.shadow;
    r.revision = d.revision;
  }
  for (const h of history)
    record(String(h.name)).history.push({
      at: new Date(Number(h.at)).toISOString(),
      action: String(h.action),
      version: (h.version as string | null) ?? null,
      previous: (h.previous as string | null) ?? null,
      reason: String(h.reason),
      by: String(h.by),
    });
  return [...models.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The store's methods for the model registry (part of `Store`). */
export interface ModelRegistryStore {
  registerModelVersions(versions: NewModelVersion[]): Promise<number>;
  recordModelChanges(changes: ModelChange[]): Promise<number>;
  modelRegistry(historyLimit?: number): Promise<ModelRegistryRecord[]>;
}

export const modelRegistryMethods = ["registerModelVersions", "recordModelChanges", "modelRegistry"] as const;
