import { type SQL, sql } from "drizzle-orm";
import type { Db } from "./db.js";
import { storeError } from "./errors.js";
import type {
  ContractRecord,
  CountFilter,
  Counts,
  LastMessage,
  PublisherQuery,
  PublisherRow,
  SimilarViolations,
  SummaryQuery,
  SummaryRow,
  TimeseriesPoint,
  TimeseriesQuery,
  TimeWindow,
  TopicQuery,
  TopicRow,
  ValidationError,
  ViolationDetail,
  ViolationItem,
  ViolationKindCount,
  ViolationPage,
  ViolationQuery,
} from "./types.js";

// Raw SQL throughout: aggregates and keyset paging read more plainly than the query builder, and
// every value is a bind parameter. Times come back as epoch ms (float8) so that both drivers give
// the same JS values; bigints come back as float8 (exact below 2^53) or text.

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));
const ts = (d: Date) => sql`${d.toISOString()}::timestamptz`;
const ms = (expr: SQL) => sql`(extract(epoch from ${expr}) * 1000)::float8`;

/** `LIKE` pattern for a plain prefix: `\`, `%` and `_` in the prefix are literal. */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, "\\$&")}%`;
}

function arg(ok: boolean, message: string): asserts ok {
  if (!ok) throw storeError("UNS_ERR_STORE_ARGUMENT", message);
}

function checkDate(d: unknown, name: string): asserts d is Date {
  arg(d instanceof Date && Number.isFinite(d.getTime()), `${name} must be a valid Date`);
}

function checkWindow(q: TimeWindow): void {
  checkDate(q.from, "from");
  checkDate(q.to, "to");
  arg(
    q.from.getTime() <= q.to.getTime(),
    `from (${q.from.toISOString()}) must not be after to (${q.to.toISOString()})`,
  );
}

function limitOf(value: number | undefined, dflt: number, max: number): number {
  if (value === undefined) return dflt;
  arg(Number.isInteger(value) && value > 0, `limit must be a positive integer (got ${value})`);
  return Math.min(value, max);
}

/** Conditions on message_counts for a window and the usual filters. */
function countWhere(q: TimeWindow & CountFilter): SQL {
  checkWindow(q);
  const fromMinute = q.from.getTime() - (q.from.getTime() % 60_000);
  const parts: SQL[] = [sql`minute >= ${ts(new Date(fromMinute))}`, sql`minute < ${ts(q.to)}`];
  if (q.topicPrefix) parts.push(sql`topic like ${likePrefix(q.topicPrefix)}`);
  if (q.topic !== undefined) parts.push(sql`topic = ${q.topic}`);
  if (q.channel !== undefined) parts.push(sql`channel = ${q.channel}`);
  if (q.clientId !== undefined) parts.push(sql`client_id = ${q.clientId}`);
  return sql.join(parts, sql` and `);
}

const sums = sql`coalesce(sum(valid), 0)::float8 as valid,
  coalesce(sum(invalid), 0)::float8 as invalid,
  coalesce(sum(unvalidated), 0)::float8 as unvalidated,
  coalesce(sum(ungoverned), 0)::float8 as ungoverned`;

interface SumRow {
  valid: number;
  invalid: number;
  unvalidated: number;
  ungoverned: number;
}

const counts = (r: SumRow): Counts => ({
  valid: r.valid,
  invalid: r.invalid,
  unvalidated: r.unvalidated,
  ungoverned: r.ungoverned,
  total: r.valid + r.invalid + r.unvalidated + r.ungoverned,
});

export async function totals(db: Db, q: TimeWindow & CountFilter): Promise<Counts> {
  const [row] = await db.rows<SumRow>(sql`select ${sums} from message_counts where ${countWhere(q)}`);
  return counts(row ?? { valid: 0, invalid: 0, unvalidated: 0, ungoverned: 0 });
}

export async function summaryBy(db: Db, q: SummaryQuery): Promise<SummaryRow[]> {
  const limit = limitOf(q.limit, 100, 10_000);
  let key: SQL;
  switch (q.by) {
    case "channel":
      key = sql`channel`;
      break;
    case "topic":
      key = sql`topic`;
      break;
    case "publisher":
      key = sql`client_id`;
      break;
    case "level": {
      const depth = q.depth ?? 1;
      arg(
        Number.isInteger(depth) && depth >= 1 && depth <= 64,
        `depth must be an integer 1..64 (got ${depth})`,
      );
      key = sql`array_to_string((string_to_array(topic, '/'))[1:${depth}::int], '/')`;
      break;
    }
    default:
      throw storeError(
        "UNS_ERR_STORE_ARGUMENT",
        `by must be channel, topic, publisher or level (got ${String(q.by)})`,
      );
  }
  const total = sql`sum(valid + invalid + unvalidated + ungoverned) desc`;
  const sorts = {
    total,
    invalid: sql`sum(invalid) desc, ${total}`,
    // Worst first; nothing validated (rate null) last: the rate says nothing then.
    complianceRate: sql`case when sum(valid + invalid) > 0
      then sum(valid)::float8 / sum(valid + invalid) end asc nulls last, ${total}`,
  } as const;
  const sort = q.sort ?? "total";
  arg(sort in sorts, `sort must be one of ${Object.keys(sorts).join(", ")} (got ${String(sort)})`);
  const rows = await db.rows<SumRow & { key: string }>(sql`
    select ${key} as key, ${sums}
    from message_counts where ${countWhere(q)}
    group by 1
    order by ${sorts[sort]}, 1
    limit ${limit}`);
  return rows.map((r) => {
    const c = counts(r);
    const validated = c.valid + c.invalid;
    return {
      key: q.by === "channel" && r.key === "" ? null : r.key,
      ...c,
      complianceRate: validated > 0 ? c.valid / validated : null,
    };
  });
}

export async function timeseries(db: Db, q: TimeseriesQuery): Promise<TimeseriesPoint[]> {
  checkWindow(q);
  const bs = q.bucketSeconds;
  arg(
    Number.isInteger(bs) && bs >= 60 && bs % 60 === 0,
    `bucketSeconds must be a multiple of 60 (got ${bs})`,
  );
  const bucketMs = bs * 1000;
  const first = Math.floor(q.from.getTime() / bucketMs) * bucketMs;
  const buckets = Math.ceil((q.to.getTime() - first) / bucketMs);
  arg(buckets <= 10_000, `the window holds ${buckets} buckets of ${bs} s; at most 10000 are allowed`);
  const rows = await db.rows<SumRow & { t: number }>(sql`
    select (floor(extract(epoch from minute) / ${bs}::int) * ${bs}::int * 1000)::float8 as t, ${sums}
    from message_counts
    where ${countWhere({ ...q, from: new Date(first) })}
    group by 1 order by 1`);
  const byT = new Map(rows.map((r) => [r.t, r]));
  const out: TimeseriesPoint[] = [];
  for (let t = first; t < q.to.getTime(); t += bucketMs) {
    const r = byT.get(t);
    out.push({
      t: iso(t),
      valid: r?.valid ?? 0,
      invalid: r?.invalid ?? 0,
      unvalidated: r?.unvalidated ?? 0,
      ungoverned: r?.ungoverned ?? 0,
    });
  }
  return out;
}

const violationColumns = sql`id::text as id, ${ms(sql`time`)} as time_ms,
  (extract(epoch from time) * 1000000)::int8::text as time_us,
  client_id, username, topic, channel, contract_file, contract_version, message_name, kind, policy,
  errors, payload_size, payload_truncated`;

interface ViolationSqlRow {
  id: string;
  time_ms: number;
  time_us: string;
  client_id: string;
  username: string | null;
  topic: string;
  channel: string | null;
  contract_file: string | null;
  contract_version: string | null;
  message_name: string | null;
  kind: string;
  policy: string;
  errors: ValidationError[];
  payload_size: number;
  payload_truncated: boolean;
}

const violationItem = (r: ViolationSqlRow): ViolationItem => ({
  id: r.id,
  time: iso(r.time_ms),
  clientId: r.client_id,
  username: r.username,
  topic: r.topic,
  channel: r.channel,
  contractFile: r.contract_file,
  contractVersion: r.contract_version,
  messageName: r.message_name,
  kind: r.kind,
  policy: r.policy,
  errors: r.errors,
  payloadSize: r.payload_size,
  payloadTruncated: r.payload_truncated,
});

// The cursor is the (time in µs, id) of the last row of a page, opaque to callers.
function encodeCursor(timeUs: string, id: string): string {
  return Buffer.from(`v1:${timeUs}:${id}`).toString("base64url");
}

function decodeCursor(cursor: string): { timeUs: string; id: string } {
  const m = /^v1:(-?\d{1,20}):(\d{1,20})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  // Both parts go to int8: a value past its range is a bad cursor, not a failed query.
  const int8 = (s: string) => BigInt(s) <= 9223372036854775807n && BigInt(s) >= -9223372036854775808n;
  if (!m || !int8(m[1] as string) || !int8(m[2] as string))
    throw storeError(
      "UNS_ERR_STORE_CURSOR",
      `Invalid cursor "${cursor.slice(0, 80)}": pass nextCursor of the previous page unchanged`,
    );
  return { timeUs: m[1] as string, id: m[2] as string };
}

function checkId(id: string | number): string {
  const s = String(id);
  arg(/^\d{1,19}$/.test(s), `violation id must be a positive integer (got ${s.slice(0, 40)})`);
  return s;
}

export async function listViolations(db: Db, q: ViolationQuery): Promise<ViolationPage> {
  const limit = limitOf(q.limit, 50, 500);
  const parts: SQL[] = [];
  if (q.from !== undefined) {
    checkDate(q.from, "from");
    parts.push(sql`time >= ${ts(q.from)}`);
  }
  if (q.to !== undefined) {
    checkDate(q.to, "to");
    parts.push(sql`time < ${ts(q.to)}`);
  }
  if (q.topicPrefix) parts.push(sql`topic like ${likePrefix(q.topicPrefix)}`);
  if (q.channel !== undefined) parts.push(sql`channel = ${q.channel}`);
  if (q.clientId !== undefined) parts.push(sql`client_id = ${q.clientId}`);
  if (q.kind !== undefined) parts.push(sql`kind = ${q.kind}`);
  if (q.cursor) {
    const c = decodeCursor(q.cursor);
    const t = sql`('epoch'::timestamptz + ${c.timeUs}::int8 * interval '1 microsecond')`;
    // Written so that `time <= t` is an index condition on (time desc, id desc).
    parts.push(sql`time <= ${t} and (time < ${t} or id < ${c.id}::int8)`);
  }
  const where = parts.length ? sql`where ${sql.join(parts, sql` and `)}` : sql``;
  const rows = await db.rows<ViolationSqlRow>(sql`
    select ${violationColumns} from violations ${where}
    order by violations.time desc, violations.id desc -- not the text alias "id"
    limit ${limit + 1}`);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(violationItem),
    nextCursor: rows.length > limit && last ? encodeCursor(last.time_us, last.id) : null,
  };
}

function payloadFields(payload: Uint8Array): { payloadBase64: string; payloadText?: string } {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const out: { payloadBase64: string; payloadText?: string } = { payloadBase64: buf.toString("base64") };
  try {
    out.payloadText = new TextDecoder("utf-8", { fatal: true }).decode(buf);
  } catch {
    // binary payload: base64 only
  }
  return out;
}

export async function getViolation(db: Db, id: string | number): Promise<ViolationDetail | null> {
  const [r] = await db.rows<ViolationSqlRow & { payload: Uint8Array }>(sql`
    select ${violationColumns}, payload from violations where id = ${checkId(id)}::int8`);
  if (!r) return null;
  return { ...violationItem(r), ...payloadFields(r.payload) };
}

export async function similarViolations(
  db: Db,
  id: string | number,
  limit?: number,
): Promise<SimilarViolations | null> {
  const n = limitOf(limit, 20, 500);
  const [ref] = await db.rows<{ channel: string | null; kind: string; errors: ValidationError[] }>(sql`
    select channel, kind, errors from violations where id = ${checkId(id)}::int8`);
  if (!ref) return null;
  const first = ref.errors[0];
  const error = first ? { instancePath: first.instancePath, keyword: first.keyword } : null;
  const parts: SQL[] = [
    sql`id <> ${String(id)}::int8`,
    ref.channel === null ? sql`channel is null` : sql`channel = ${ref.channel}`,
    // Containment uses the GIN index on errors; without errors (acl, topic, not-json) match the kind.
    error
      ? sql`errors @> ${JSON.stringify([error])}::jsonb`
      : sql`kind = ${ref.kind} and errors = '[]'::jsonb`,
  ];
  const where = sql.join(parts, sql` and `);
  const [groups, [summary]] = await Promise.all([
    db.rows<{ client_id: string; topic: string; count: number; last_ms: number }>(sql`
      select client_id, topic, count(*)::float8 as count, ${ms(sql`max(time)`)} as last_ms
      from violations where ${where}
      group by client_id, topic
      order by count(*) desc, max(time) desc
      limit ${n}`),
    db.rows<{ total: number; clients: number; topics: number }>(sql`
      select count(*)::float8 as total, count(distinct client_id)::float8 as clients,
        count(distinct topic)::float8 as topics
      from violations where ${where}`),
  ]);
  return {
    channel: ref.channel,
    kind: ref.kind,
    error,
    total: summary?.total ?? 0,
    clients: summary?.clients ?? 0,
    topics: summary?.topics ?? 0,
    groups: groups.map((g) => ({
      clientId: g.client_id,
      topic: g.topic,
      count: g.count,
      lastTime: iso(g.last_ms),
    })),
  };
}

export async function publishers(db: Db, q: PublisherQuery): Promise<PublisherRow[]> {
  const limit = limitOf(q.limit, 100, 10_000);
  const sorts = {
    invalid: sql`w.invalid desc`,
    invalidShare: sql`invalid_share desc, w.invalid desc`,
    lastViolation: sql`p.last_violation desc nulls last`,
    messages: sql`w.messages desc`,
  } as const;
  const sort = q.sort ?? "invalid";
  arg(sort in sorts, `sort must be one of ${Object.keys(sorts).join(", ")} (got ${String(sort)})`);
  const rows = await db.rows<{
    client_id: string;
    username: string | null;
    messages: number;
    invalid: number;
    invalid_share: number;
    first_ms: number | null;
    last_ms: number | null;
    channels: string[] | null;
  }>(sql`
    with w as (
      select client_id, sum(valid + invalid + unvalidated + ungoverned)::float8 as messages,
        sum(invalid)::float8 as invalid
      from message_counts where ${countWhere(q)}
      group by client_id
    )
    select w.client_id, p.username, w.messages, w.invalid,
      case when w.messages > 0 then w.invalid / w.messages else 0 end as invalid_share,
      ${ms(sql`p.first_violation`)} as first_ms, ${ms(sql`p.last_violation`)} as last_ms, p.channels
    from w left join publishers p on p.client_id = w.client_id
    order by ${sorts[sort]}, w.client_id
    limit ${limit}`);
  return rows.map((r) => ({
    clientId: r.client_id,
    username: r.username,
    messages: r.messages,
    invalid: r.invalid,
    invalidShare: r.invalid_share,
    firstViolation: isoOrNull(r.first_ms),
    lastViolation: isoOrNull(r.last_ms),
    channels: r.channels ?? [],
  }));
}

export async function violationKinds(db: Db, q: TimeWindow): Promise<ViolationKindCount[]> {
  checkWindow(q);
  const rows = await db.rows<{ kind: string; count: number }>(sql`
    select kind, count(*)::float8 as count from violations
    where time >= ${ts(q.from)} and time < ${ts(q.to)}
    group by kind
    order by count(*) desc, kind`);
  return rows.map((r) => ({ kind: r.kind, count: r.count }));
}

export async function topics(db: Db, q: TopicQuery): Promise<TopicRow[]> {
  const limit = limitOf(q.limit, 1000, 10_000);
  const rows = await db.rows<SumRow & { topic: string; last_ms: number | null }>(sql`
    select c.topic, c.valid, c.invalid, c.unvalidated, c.ungoverned, ${ms(sql`l.time`)} as last_ms
    from (
      select topic, ${sums} from message_counts where ${countWhere(q)} group by topic
    ) c left join last_messages l on l.topic = c.topic
    order by c.topic
    limit ${limit}`);
  return rows.map((r) => ({ topic: r.topic, ...counts(r), lastMessageAt: isoOrNull(r.last_ms) }));
}

export async function lastMessage(db: Db, topic: string): Promise<LastMessage | null> {
  const [r] = await db.rows<{
    topic: string;
    time_ms: number;
    client_id: string;
    outcome: string;
    channel: string | null;
    payload_size: number;
    payload: Uint8Array;
  }>(sql`
    select topic, ${ms(sql`time`)} as time_ms, client_id, outcome, channel, payload_size, payload
    from last_messages where topic = ${topic}`);
  if (!r) return null;
  return {
    topic: r.topic,
    time: iso(r.time_ms),
    clientId: r.client_id,
    outcome: r.outcome,
    channel: r.channel,
    payloadSize: r.payload_size,
    payloadTruncated: r.payload.byteLength < r.payload_size,
    ...payloadFields(r.payload),
  };
}

export async function contracts(db: Db): Promise<ContractRecord[]> {
  const rows = await db.rows<{
    id: number;
    file: string;
    title: string;
    version: string;
    asyncapi_version: string;
    hash: string;
    loaded_ms: number;
  }>(sql`
    select id, file, title, version, asyncapi_version, hash, ${ms(sql`loaded_at`)} as loaded_ms
    from contracts order by loaded_at desc, id desc`);
  return rows.map((r) => ({
    id: r.id,
    file: r.file,
    title: r.title,
    version: r.version,
    asyncapiVersion: r.asyncapi_version,
    hash: r.hash,
    loadedAt: iso(r.loaded_ms),
  }));
}

export async function contractDocument(db: Db, id: number): Promise<string | null> {
  arg(Number.isInteger(id) && id > 0, `contract id must be a positive integer (got ${id})`);
  const [r] = await db.rows<{ document: string }>(sql`select document from contracts where id = ${id}`);
  return r ? r.document : null;
}

/** Delete rows older than the cutoff in chunks, so that no statement holds locks for long. */
export async function deleteOlderThan(
  db: Db,
  cutoff: Date,
): Promise<{ violations: number; counts: number; batches: number }> {
  const chunk = 10_000;
  const loop = async (stmt: SQL) => {
    let total = 0;
    for (;;) {
      const [r] = await db.rows<{ n: number }>(stmt);
      const n = r?.n ?? 0;
      total += n;
      if (n < chunk) return total;
    }
  };
  const c = ts(cutoff);
  const violations = await loop(sql`
    with d as (delete from violations where id in (
      select id from violations where time < ${c} limit ${chunk}) returning 1)
    select count(*)::int as n from d`);
  const counts = await loop(sql`
    with d as (delete from message_counts where ctid in (
      select ctid from message_counts where minute < ${c} limit ${chunk}) returning 1)
    select count(*)::int as n from d`);
  const batches = await loop(sql`
    with d as (delete from applied_batches where batch_id in (
      select batch_id from applied_batches where applied_at < ${c} limit ${chunk}) returning 1)
    select count(*)::int as n from d`);
  return { violations, counts, batches };
}
