import type { Batch } from "./batch.js";
import type { ModelRegistryStore } from "./model-registry.js";
import type { QualityStore } from "./quality-types.js";
import type { SecurityStore } from "./security.js";

/** One payload validation error, as produced by @uns/contracts (ajv errors, trimmed). */
export interface ValidationError {
  instancePath: string;
  keyword: string;
  message: string;
  schemaPath?: string;
  params?: object;
}

export type Outcome = "valid" | "invalid" | "unvalidated" | "ungoverned";

/**
 * What the dispatcher reports for every PUBLISH (see docs/design.md, "Outcomes"). Each message is
 * counted exactly once; refusals by ACL or topic rules are `invalid` with kind `acl` or `topic`.
 */
export interface MessageOutcome {
  /** ms since epoch, when the broker received it */
  time: number;
  clientId: string;
  username: string | null;
  topic: string;
  /** AsyncAPI channel id */
  channel: string | null;
  contract: { file: string; version: string; title: string } | null;
  outcome: Outcome;
  kind?: string;
  messageName?: string;
  errors?: ValidationError[];
  /** The store keeps up to its cap for violations and the last message per topic. */
  payload: Uint8Array;
  payloadSize: number;
  policy: "monitor" | "enforce";
  /**
   * false: a violation found after its message was already counted (a Sparkplug seq gap
   * detected by a timer). Stored as a violation; message counts are not touched.
   */
  counted?: false;
}

/** pino-compatible: `logger.warn({ err }, "message")`. */
export interface StoreLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface StoreOptions {
  /** PostgreSQL URL; when absent the store runs embedded PGlite in `<dataDir>/pglite`. */
  databaseUrl?: string;
  /** Holds `pglite/` (embedded database) and `spool/` (batches not yet written). */
  dataDir: string;
  /** Folder of drizzle migrations; default: the repository's /migrations. */
  migrationsDir?: string;
  /** Write a batch when this many violations wait (default 2000). */
  batchMaxRows?: number;
  /** Write what waits at least this often, in ms (default 250); the threaded store's durability window. */
  flushIntervalMs?: number;
  /**
   * The database writes cut batches at most this often, in ms, merging those cut in between into
   * one transaction (default 0: each batch as soon as it is cut). Durability does not wait for it:
   * the threaded store's outcome log has the batches on disk before they reach the writer.
   */
  writeIntervalMs?: number;
  /** Bytes the spool may hold on disk before batches are dropped, loudly (default 512 MiB). */
  spoolMaxBytes?: number;
  /** Payload bytes kept per violation and last message (default 64 KiB); the full size is recorded. */
  payloadCapBytes?: number;
  /** Violations and counts older than this are deleted by a daily job (default 30 days). */
  retentionDays?: number;
  /** First retry delay after a failed write, in ms, doubled up to `retryMaxMs` (default 500). */
  retryMinMs?: number;
  /** Longest delay between retries of the database, in ms (default 4 000). */
  retryMaxMs?: number;
  /** pg pool size (default 4). */
  poolSize?: number;
  /** The embedded database's memory settings (default 16 MiB shared_buffers, 2 work_mem, 16 maintenance). */
  pglite?: { sharedBuffersMb: number; workMemMb: number; maintenanceWorkMemMb: number };
  logger?: StoreLogger;
}

export interface StoreHealth {
  /** The last database round trip succeeded. */
  up: boolean;
  driver: "pg" | "pglite";
  lastError?: string;
  /** Age in ms of the oldest recorded outcome not yet in the database (0 when none waits). */
  writeLagMs: number;
  /** Outcomes recorded but not yet in the database (in memory or in the spool). */
  pending: number;
  spooledBatches: number;
  spoolBytes: number;
  /** Batches lost because the spool was full or the database rejected them (each one logged). */
  droppedBatches: number;
  /** Outcomes in the dropped batches. */
  droppedOutcomes: number;
  /** Threaded store: how often its worker thread stopped and was started again. */
  workerRestarts?: number;
  /**
   * Threaded store: outcomes a stopped worker had not yet written when it stopped, at most
   * (those it had spooled are replayed by the next worker).
   */
  lostOnWorkerExit?: number;
}

/** A time window [from, to). Counts are per minute: `from` is rounded down to its minute. */
export interface TimeWindow {
  from: Date;
  to: Date;
}

export interface Counts {
  valid: number;
  invalid: number;
  unvalidated: number;
  ungoverned: number;
  total: number;
}

export interface CountFilter {
  /** Topics starting with this string (a plain prefix: `%` and `_` have no special meaning). */
  topicPrefix?: string;
  /** Exactly this topic (not its subtopics). */
  topic?: string;
  /** AsyncAPI channel id; `""` selects messages without a channel. */
  channel?: string;
  clientId?: string;
}

export type SummaryBy = "channel" | "topic" | "publisher" | "level";

/**
 * Order of summary rows: `total` (most messages first, the default), `invalid` (most invalid
 * first), `complianceRate` (lowest rate first, worst first; rows with nothing validated last).
 * Ties go to the larger total, then the key.
 */
export type SummarySort = "total" | "invalid" | "complianceRate";

export interface SummaryQuery extends TimeWindow {
  by: SummaryBy;
  /** For by = "level": group by the first `depth` topic levels (default 1). */
  depth?: number;
  topicPrefix?: string;
  channel?: string;
  /** default "total" */
  sort?: SummarySort;
  /** Rows, in `sort` order (default 100, max 10 000). */
  limit?: number;
}

export interface SummaryRow extends Counts {
  /** Channel id, topic, client id or topic prefix; null for "no channel". */
  key: string | null;
  /** valid / (valid + invalid), null when no message was validated. */
  complianceRate: number | null;
}

export interface TimeseriesQuery extends TimeWindow {
  /** Bucket width in seconds; a multiple of 60 (counts are per minute), at most 10 000 buckets. */
  bucketSeconds: number;
  topicPrefix?: string;
  /** Exactly this topic (a topic's own trend, without its subtopics). */
  topic?: string;
  channel?: string;
  clientId?: string;
}

export interface TimeseriesPoint {
  /** Bucket start, ISO 8601. */
  t: string;
  valid: number;
  invalid: number;
  unvalidated: number;
  ungoverned: number;
}

export interface ViolationQuery {
  from?: Date;
  to?: Date;
  topicPrefix?: string;
  channel?: string;
  clientId?: string;
  kind?: string;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** Page size (default 50, max 500). */
  limit?: number;
}

export interface ViolationItem {
  /** bigint as a decimal string */
  id: string;
  /** ISO 8601 */
  time: string;
  clientId: string;
  username: string | null;
  topic: string;
  channel: string | null;
  contractFile: string | null;
  contractVersion: string | null;
  messageName: string | null;
  kind: string;
  policy: string;
  errors: ValidationError[];
  payloadSize: number;
  payloadTruncated: boolean;
}

export interface ViolationPage {
  items: ViolationItem[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

export interface ViolationDetail extends ViolationItem {
  /** The stored (possibly capped) payload, base64. */
  payloadBase64: string;
  /** The stored payload as text when it is valid UTF-8. */
  payloadText?: string;
}

export interface SimilarViolations {
  /** What was matched: the channel and the first error of the reference violation (or its kind). */
  channel: string | null;
  kind: string;
  error: { instancePath: string; keyword: string } | null;
  /** Other violations matching, in all. */
  total: number;
  /** Distinct publishers and topics among them: 1 client = one device, many = the whole line. */
  clients: number;
  topics: number;
  groups: { clientId: string; topic: string; count: number; lastTime: string }[];
}

export type PublisherSort = "invalid" | "invalidShare" | "lastViolation" | "messages";

export interface PublisherQuery extends TimeWindow {
  /** Count only messages on topics starting with this prefix (plain prefix, as in CountFilter). */
  topicPrefix?: string;
  /** Count only messages of this channel; `""` selects messages without a channel. */
  channel?: string;
  sort?: PublisherSort;
  /** default 100, max 10 000 */
  limit?: number;
}

export interface PublisherRow {
  clientId: string;
  username: string | null;
  /** Messages and invalid messages in the window (and the subtree / channel when given). */
  messages: number;
  invalid: number;
  invalidShare: number;
  /** All-time (not limited to the window). */
  firstViolation: string | null;
  lastViolation: string | null;
  /** Channels whose contracts this client broke (all-time). */
  channels: string[];
}

/** How many violations of each kind (schema, not-json, acl, topic, sparkplug, ...) a window holds. */
export interface ViolationKindCount {
  kind: string;
  count: number;
}

export interface TopicQuery extends TimeWindow {
  topicPrefix?: string;
  /** default 1000, max 10 000 */
  limit?: number;
}

export interface TopicRow extends Counts {
  topic: string;
  /** ISO 8601 of the latest message on the topic (any time), null when unknown. */
  lastMessageAt: string | null;
}

export interface LastMessage {
  topic: string;
  time: string;
  clientId: string;
  outcome: string;
  channel: string | null;
  payloadSize: number;
  payloadTruncated: boolean;
  payloadBase64: string;
  payloadText?: string;
}

export interface ContractDoc {
  file: string;
  title: string;
  version: string;
  asyncapiVersion: string;
  /** Content hash; a (file, hash) pair is stored once. */
  hash: string;
  text: string;
}

export interface ContractRecord {
  id: number;
  file: string;
  title: string;
  version: string;
  asyncapiVersion: string;
  hash: string;
  loadedAt: string;
}

export interface RetentionResult {
  cutoff: string;
  violations: number;
  counts: number;
  batches: number;
}

export interface Store extends SecurityStore, QualityStore, ModelRegistryStore {
  /** Count one outcome and keep what the store needs of it. Synchronous, O(1), never throws. */
  record(o: MessageOutcome): void;
  /**
   * Add outcomes aggregated elsewhere (a validation worker's counts, publishers, violations and
   * last messages, cut by its own `Accumulator`). Synchronous, never throws; `whenDurable()` and
   * health cover them like recorded ones.
   */
  recordAggregate(batch: Batch): void;
  /** Write (or spool) everything recorded so far. */
  flush(): Promise<void>;
  /**
   * Resolves once every outcome recorded before the call would survive a kill -9: fsynced in the
   * outcome log (threaded store; concurrent callers share one fsync), else written or spooled.
   * Never rejects: a failed log write is logged and resolves too.
   */
  whenDurable(): Promise<void>;
  /** Flush, spool what cannot be written, stop timers, close connections. */
  close(): Promise<void>;
  health(): StoreHealth;
  /** Store loaded AsyncAPI documents; kept and retried when the database is down. */
  recordContracts(docs: ContractDoc[]): Promise<void>;
  /** Delete violations, counts and batch ids older than `retentionDays` before `now` (daily job). */
  runRetention(now?: Date): Promise<RetentionResult>;

  totals(q: TimeWindow & CountFilter): Promise<Counts>;
  summaryBy(q: SummaryQuery): Promise<SummaryRow[]>;
  timeseries(q: TimeseriesQuery): Promise<TimeseriesPoint[]>;
  listViolations(q: ViolationQuery): Promise<ViolationPage>;
  getViolation(id: string | number): Promise<ViolationDetail | null>;
  similarViolations(id: string | number, limit?: number): Promise<SimilarViolations | null>;
  publishers(q: PublisherQuery): Promise<PublisherRow[]>;
  /** The kinds of violation in the window [from, to), most frequent first. */
  violationKinds(q: TimeWindow): Promise<ViolationKindCount[]>;
  topics(q: TopicQuery): Promise<TopicRow[]>;
  lastMessage(topic: string): Promise<LastMessage | null>;
  /** Contract history, newest first (without the documents; see `contractDocument`). */
  contracts(): Promise<ContractRecord[]>;
  contractDocument(id: number): Promise<string | null>;
}
