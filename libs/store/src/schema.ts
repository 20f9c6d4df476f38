// The compliance store's tables. Migrations in /migrations are generated from this file with
// `pnpm db:generate` (drizzle-kit) and reviewed like code; never edit the database by hand.
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import type { ValidationError } from "./types.js";

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => "bytea",
});

const tz = { withTimezone: true, mode: "date" } as const;
const counter = (name: string) => bigint(name, { mode: "number" }).notNull().default(0);

/** Every AsyncAPI document the broker loaded; one row per distinct (file, content hash). */
export const contracts = pgTable(
  "contracts",
  {
    id: serial("id").primaryKey(),
    file: text("file").notNull(),
    title: text("title").notNull(),
    version: text("version").notNull(),
    asyncapiVersion: text("asyncapi_version").notNull(),
    hash: text("hash").notNull(),
    document: text("document").notNull(),
    loadedAt: timestamp("loaded_at", tz).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("contracts_file_hash_uq").on(t.file, t.hash)],
);

/**
 * Message counts per minute, topic, channel and publisher. Writes add to the row (upsert), so
 * rows are small aggregates whatever the message rate. `channel` is '' for no channel, because a
 * primary key column cannot be null.
 */
export const messageCounts = pgTable(
  "message_counts",
  {
    minute: timestamp("minute", tz).notNull(),
    topic: text("topic").notNull(),
    channel: text("channel").notNull().default(""),
    clientId: text("client_id").notNull(),
    valid: counter("valid"),
    invalid: counter("invalid"),
    unvalidated: counter("unvalidated"),
    ungoverned: counter("ungoverned"),
  },
  (t) => [
    primaryKey({ name: "message_counts_pk", columns: [t.minute, t.topic, t.channel, t.clientId] }),
    index("message_counts_topic_idx").using("btree", t.topic.op("text_pattern_ops"), t.minute),
  ],
);

/** One row per invalid message (schema, not-json, acl, topic, ...), payload capped. */
export const violations = pgTable(
  "violations",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    time: timestamp("time", tz).notNull(),
    clientId: text("client_id").notNull(),
    username: text("username"),
    topic: text("topic").notNull(),
    channel: text("channel"),
    contractFile: text("contract_file"),
    contractVersion: text("contract_version"),
    messageName: text("message_name"),
    kind: text("kind").notNull(),
    policy: text("policy").notNull(),
    errors: jsonb("errors").$type<ValidationError[]>().notNull().default(sql`'[]'::jsonb`),
    payload: bytea("payload").notNull(),
    payloadSize: integer("payload_size").notNull(),
    payloadTruncated: boolean("payload_truncated").notNull().default(false),
  },
  (t) => [
    // Newest-first keyset paging on (time, id), unfiltered and per filter. NULLS FIRST is what
    // `order by time desc, id desc` means; an index sorted NULLS LAST would not serve it.
    index("violations_time_idx").on(t.time.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index("violations_channel_time_idx").on(t.channel, t.time.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index("violations_client_time_idx").on(t.clientId, t.time.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index("violations_kind_time_idx").on(t.kind, t.time.desc().nullsFirst(), t.id.desc().nullsFirst()),
    // `topic LIKE 'prefix%'` whatever the database collation.
    index("violations_topic_prefix_idx").using("btree", t.topic.op("text_pattern_ops")),
    // "Same error elsewhere?": errors @> '[{"instancePath": ..., "keyword": ...}]'.
    index("violations_errors_idx").using("gin", t.errors.op("jsonb_path_ops")),
  ],
);

/** One row per MQTT client id: totals and the channels whose contracts it broke. */
export const publishers = pgTable("publishers", {
  clientId: text("client_id").primaryKey(),
  username: text("username"),
  messages: counter("messages"),
  invalid: counter("invalid"),
  firstViolation: timestamp("first_violation", tz),
  lastViolation: timestamp("last_violation", tz),
  lastSeen: timestamp("last_seen", tz).notNull(),
  channels: text("channels").array().notNull().default(sql`'{}'::text[]`),
});

/** The latest message per topic (payload capped). */
export const lastMessages = pgTable("last_messages", {
  topic: text("topic").primaryKey(),
  time: timestamp("time", tz).notNull(),
  clientId: text("client_id").notNull(),
  payload: bytea("payload").notNull(),
  payloadSize: integer("payload_size").notNull(),
  outcome: text("outcome").notNull(),
  channel: text("channel"),
});

/**
 * Ids of the batches already written. A batch and its id commit in one transaction, so a batch
 * retried after an ambiguous failure (the commit reached the server but its answer did not come
 * back) or replayed from the spool is applied exactly once.
 */
export const appliedBatches = pgTable(
  "applied_batches",
  {
    batchId: uuid("batch_id").primaryKey(),
    appliedAt: timestamp("applied_at", tz).notNull().defaultNow(),
  },
  (t) => [index("applied_batches_applied_at_idx").on(t.appliedAt)],
);

/**
 * API tokens for scripts. Only the SHA-256 of a token is kept (a token is 32 random bytes, so a
 * slow hash adds nothing); the token itself is shown once, when it is created.
 */
export const apiTokens = pgTable(
  "api_tokens",
  {
    id: serial("id").primaryKey(),
    name: text("name").notNull(),
    username: text("username").notNull(),
    hash: text("hash").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: timestamp("created_at", tz).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", tz),
    lastUsedAt: timestamp("last_used_at", tz),
    revokedAt: timestamp("revoked_at", tz),
  },
  (t) => [uniqueIndex("api_tokens_hash_uq").on(t.hash)],
);

/** Every admin action (and refused login), with who, when, from where and what. */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    time: timestamp("time", tz).notNull().defaultNow(),
    actor: text("actor").notNull(),
    address: text("address"),
    action: text("action").notNull(),
    target: text("target"),
    outcome: text("outcome").notNull(),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
  },
  (t) => [index("audit_log_time_idx").on(t.time.desc().nullsFirst(), t.id.desc().nullsFirst())],
);
