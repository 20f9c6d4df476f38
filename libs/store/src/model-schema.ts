// Tables of the model registry (issue 10): which model versions the inference processors know,
// which one is live, canary or shadow, and every change with its reason. The processors write them
// through the server (apps/server/src/api/model-registry-routes.ts); migrations by `pnpm db:generate`.
import {
  bigserial,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

const tz = { withTimezone: true, mode: "date" } as const;

/** One row per model version seen by the processors, with its manifest summary. */
export const modelVersions = pgTable(
  "model_versions",
  {
    name: text("name").notNull(),
    version: text("version").notNull(),
    sha256: text("sha256").notNull(),
    kind: text("kind").notNull(),
    manifestPath: text("manifest_path").notNull(),
    /** The manifest without its feature list: input channel and contract, threshold, seed, data. */
    manifest: jsonb("manifest").$type<Record<string, unknown>>().notNull().default({}),
    metrics: jsonb("metrics").$type<Record<string, unknown>>(),
    registeredAt: timestamp("registered_at", tz).notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: "model_versions_pk", columns: [t.name, t.version] })],
);

/** The deployment of each model now: live, canary (with its share of spots) and shadow. */
export const modelDeployments = pgTable("model_deployments", {
  name: text("name").primaryKey(),
  live: text("live"),
  canary: text("canary"),
  canaryShare: doublePrecision("canary_share"),
  shadow: text("shadow"),
  /** Changes recorded so far: a change is accepted only when made on this revision (compare-and-set). */
  revision: integer("revision").notNull().default(0),
  updatedAt: timestamp("updated_at", tz).notNull().defaultNow(),
});

/**
 * Every change of a deployment. `change_id` is made by the processors, so a change sent twice (a
 * retry after a lost answer, the cache re-synced after an outage) is recorded once.
 */
export const modelHistory = pgTable(
  "model_history",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    changeId: text("change_id").notNull().unique("model_history_change_uq"),
    name: text("name").notNull(),
    at: timestamp("at", tz).notNull(),
    action: text("action").notNull(),
    version: text("version"),
    previous: text("previous"),
    reason: text("reason").notNull(),
    by: text("by").notNull(),
  },
  (t) => [index("model_history_name_idx").on(t.name, t.id)],
);
