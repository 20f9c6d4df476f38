import { type SQL, sql } from "drizzle-orm";
import type { Db } from "./db.js";
import { storeError } from "./errors.js";
import type {
  BodyEvent,
  CellQualityQuery,
  CellQualityRow,
  CellTrendPoint,
  CellTrendQuery,
  GateDecisionQuery,
  KpiWindow,
  OeeBreakdownQuery,
  OeeFigures,
  OeeGroup,
  OeePoint,
  OeeSeriesQuery,
  OeeShift,
  QualityBatch,
  StateInterval,
  TallyGroup,
  TallyQuery,
} from "./quality-types.js";
import { likePrefix } from "./queries.js";

// Every time series is downsampled here, in SQL (buckets of whole minutes), never in the browser.

const iso = (ms: number) => new Date(ms).toISOString();
const ts = (d: Date) => sql`${d.toISOString()}::timestamptz`;
const tsArr = (ms: number[]) => ms.map(iso);

function arg(ok: boolean, message: string): void {
  if (!ok) throw storeError("UNS_ERR_STORE_ARGUMENT", message);
}

function checkWindow(w: KpiWindow): void {
  arg(
    w.from instanceof Date && w.to instanceof Date && !Number.isNaN(w.from.getTime()),
    "from and to must be dates",
  );
  arg(w.from.getTime() < w.to.getTime(), "from must be before to");
}

/** `line = scope` for a whole line path, else a prefix match on the path. */
function scopeWhere(scope: string, column = sql`line`): SQL {
  const s = scope.replace(/\/+$/, "");
  if (s === "") return sql`true`;
  if (s.split("/").length >= 4) return sql`${column} = ${s}`;
  return sql`(${column} = ${s} or ${column} like ${likePrefix(`${s}/`)})`;
}

/** The summed parts of OEE: what rolls up by adding (the ratios do not, see oeeFigures). */
export const oeeSumKeys = [
  "runningMs",
  "downMs",
  "plannedStopMs",
  "unknownMs",
  "produced",
  "good",
  "bad",
  "idealMs",
  "counterResets",
] as const;
export type OeeSums = Record<(typeof oeeSumKeys)[number], number>;

/** ISO 22400-2 ratios from summed times and counts. */
export function oeeFigures(s: OeeSums): OeeFigures {
  const busy = s.runningMs + s.downMs; // planned busy time: planned stops and unknown time excluded
  const availability = busy > 0 ? s.runningMs / busy : null;
  const performance = s.runningMs > 0 ? s.idealMs / s.runningMs : null;
  const quality = s.produced > 0 ? s.good / s.produced : null;
  const oee =
    availability !== null && performance !== null && quality !== null
      ? availability * performance * quality
      : null;
  return {
    ...s,
    availability,
    performance,
    quality,
    oee,
    performanceOver100: performance !== null && performance > 1.0000001,
  };
}

// Sums over float8 (exact for integers below 2^53): sum(int8) accumulates in numeric, which
// costs far more per row, above all in PGlite's WASM build.
const oeeSums = sql`coalesce(sum(running_ms::float8), 0) as running_ms,
  coalesce(sum((stopped_ms + starved_ms + blocked_ms)::float8), 0) as down_ms,
  coalesce(sum(planned_stop_ms::float8), 0) as planned_stop_ms,
  coalesce(sum(unknown_ms::float8), 0) as unknown_ms,
  coalesce(sum(produced::float8), 0) as produced, coalesce(sum(good::float8), 0) as good,
  coalesce(sum(bad::float8), 0) as bad, coalesce(sum(ideal_ms::float8), 0) as ideal_ms,
  coalesce(sum(counter_resets::float8), 0) as counter_resets`;

interface OeeSqlRow {
  running_ms: number;
  down_ms: number;
  planned_stop_ms: number;
  unknown_ms: number;
  produced: number;
  good: number;
  bad: number;
  ideal_ms: number;
  counter_resets: number;
}

/**
 * The figures of several scopes together: their times and counts summed, the ratios computed
 * again from the sums (averaging the groups' percentages would weigh a small line like a big one).
 */
export function sumOee(groups: readonly OeeSums[]): OeeFigures {
  const sums = Object.fromEntries(oeeSumKeys.map((k) => [k, groups.reduce((a, g) => a + g[k], 0)]));
  return oeeFigures(sums as OeeSums);
}

function fromSql(r: OeeSqlRow | undefined): OeeFigures {
  return oeeFigures({
    runningMs: Number(r?.running_ms ?? 0),
    downMs: Number(r?.down_ms ?? 0),
    plannedStopMs: Number(r?.planned_stop_ms ?? 0),
    unknownMs: Number(r?.unknown_ms ?? 0),
    produced: Number(r?.produced ?? 0),
    good: Number(r?.good ?? 0),
    bad: Number(r?.bad ?? 0),
    idealMs: Number(r?.ideal_ms ?? 0),
    counterResets: Number(r?.counter_resets ?? 0),
  });
}

function buckets(w: KpiWindow, bucketSeconds: number): { first: number; bucketMs: number; count: number } {
  arg(
    Number.isInteger(bucketSeconds) && bucketSeconds >= 60 && bucketSeconds % 60 === 0,
    `bucketSeconds must be a multiple of 60 (got ${bucketSeconds})`,
  );
  const bucketMs = bucketSeconds * 1000;
  const first = Math.floor(w.from.getTime() / bucketMs) * bucketMs;
  const count = Math.ceil((w.to.getTime() - first) / bucketMs);
  arg(count <= 5000, `the window holds ${count} buckets of ${bucketSeconds} s; at most 5000 are allowed`);
  return { first, bucketMs, count };
}

/**
 * The bucket of a row as a timestamp (date_bin: integer arithmetic per row; the epoch in ms is
 * computed once per bucket by the caller, because numeric arithmetic on every row is slow).
 */
const binOf = (bs: number, column = sql`minute`) =>
  sql`date_bin(${bs}::int * interval '1 second', ${column}, timestamptz '1970-01-01 00:00:00+00')`;
const epochMs = (column: SQL) => sql`(extract(epoch from ${column}) * 1000)::float8`;

const HOUR = 3_600_000;
const LINE_COLUMNS = sql.raw(
  "running_ms, stopped_ms, starved_ms, blocked_ms, planned_stop_ms, unknown_ms, produced, good, bad, ideal_ms, counter_resets",
);

/**
 * The line rows of [from, to) as (line, t, sums...): whole hours from kpi_line_hours (when
 * `hours` allows), the ragged edges from kpi_line_minutes.
 */
function lineRows(scope: string, from: Date, to: Date, hours: boolean): SQL {
  const h0 = Math.ceil(from.getTime() / HOUR) * HOUR;
  const h1 = Math.floor(to.getTime() / HOUR) * HOUR;
  const minutes = (w: SQL) =>
    sql`select line, minute as t, ${LINE_COLUMNS} from kpi_line_minutes where ${scopeWhere(scope)} and ${w}`;
  if (!hours || h1 <= h0) return minutes(sql`minute >= ${ts(from)} and minute < ${ts(to)}`);
  const H0 = new Date(h0);
  const H1 = new Date(h1);
  // Each edge is its own range, so that both use the (line, minute) index.
  const parts = [
    sql`select line, hour as t, ${LINE_COLUMNS} from kpi_line_hours
      where ${scopeWhere(scope)} and hour >= ${ts(H0)} and hour < ${ts(H1)}`,
  ];
  if (from.getTime() < h0) parts.push(minutes(sql`minute >= ${ts(from)} and minute < ${ts(H0)}`));
  if (h1 < to.getTime()) parts.push(minutes(sql`minute >= ${ts(H1)} and minute < ${ts(to)}`));
  return sql.join(parts, sql` union all `);
}

export async function writeQuality(db: Db, b: QualityBatch): Promise<void> {
  await db.transaction(async (exec) => {
    if (b.lineMinutes.length) {
      const r = b.lineMinutes;
      await exec(
        `insert into kpi_line_minutes (line, minute, shift, running_ms, stopped_ms, starved_ms, blocked_ms,
           planned_stop_ms, unknown_ms, produced, good, bad, ideal_ms, counter_resets)
         select * from unnest($1::text[], $2::timestamptz[], $3::text[], $4::int8[], $5::int8[], $6::int8[],
           $7::int8[], $8::int8[], $9::int8[], $10::int8[], $11::int8[], $12::int8[], $13::int8[], $14::int[])
         on conflict (line, minute) do update set shift = excluded.shift, running_ms = excluded.running_ms,
           stopped_ms = excluded.stopped_ms, starved_ms = excluded.starved_ms, blocked_ms = excluded.blocked_ms,
           planned_stop_ms = excluded.planned_stop_ms, unknown_ms = excluded.unknown_ms,
           produced = excluded.produced, good = excluded.good, bad = excluded.bad,
           ideal_ms = excluded.ideal_ms, counter_resets = excluded.counter_resets`,
        [
          r.map((x) => x.line),
          tsArr(r.map((x) => x.minute)),
          r.map((x) => x.shift),
          r.map((x) => Math.round(x.runningMs)),
          r.map((x) => Math.round(x.stoppedMs)),
          r.map((x) => Math.round(x.starvedMs)),
          r.map((x) => Math.round(x.blockedMs)),
          r.map((x) => Math.round(x.plannedStopMs)),
          r.map((x) => Math.round(x.unknownMs)),
          r.map((x) => x.produced),
          r.map((x) => x.good),
          r.map((x) => x.bad),
          r.map((x) => Math.round(x.idealMs)),
          r.map((x) => x.counterResets),
        ],
      );
      const hours = [...new Set(r.map((x) => `${x.line}\u0000${Math.floor(x.minute / HOUR) * HOUR}`))].map(
        (k) => k.split("\u0000"),
      );
      await exec(
        `insert into kpi_line_hours (line, hour, running_ms, stopped_ms, starved_ms, blocked_ms, planned_stop_ms,
           unknown_ms, produced, good, bad, ideal_ms, counter_resets)
         select t.line, t.hour, sum(running_ms), sum(stopped_ms), sum(starved_ms), sum(blocked_ms),
           sum(planned_stop_ms), sum(unknown_ms), sum(produced), sum(good), sum(bad), sum(ideal_ms), sum(counter_resets)
         from unnest($1::text[], $2::timestamptz[]) as t(line, hour)
         join kpi_line_minutes k on k.line = t.line and k.minute >= t.hour and k.minute < t.hour + interval '1 hour'
         group by t.line, t.hour
         on conflict (line, hour) do update set running_ms = excluded.running_ms, stopped_ms = excluded.stopped_ms,
           starved_ms = excluded.starved_ms, blocked_ms = excluded.blocked_ms,
           planned_stop_ms = excluded.planned_stop_ms, unknown_ms = excluded.unknown_ms,
           produced = excluded.produced, good = excluded.good, bad = excluded.bad,
           ideal_ms = excluded.ideal_ms, counter_resets = excluded.counter_resets`,
        [hours.map((h) => h[0]), hours.map((h) => new Date(Number(h[1])).toISOString())],
      );
    }
    if (b.cellMinutes.length) {
      const r = b.cellMinutes;
      await exec(
        `insert into kpi_cell_minutes (line, cell, minute, scored, nok, suspect, anomalies, diameter_sum,
           below_limit, welded, expulsions, wear_sum, wear_count)
         select * from unnest($1::text[], $2::text[], $3::timestamptz[], $4::int8[], $5::int8[], $6::int8[],
           $7::int8[], $8::float8[], $9::int8[], $10::int8[], $11::int8[], $12::float8[], $13::int8[])
         on conflict (line, cell, minute) do update set scored = excluded.scored, nok = excluded.nok,
           suspect = excluded.suspect, anomalies = excluded.anomalies, diameter_sum = excluded.diameter_sum,
           below_limit = excluded.below_limit, welded = excluded.welded, expulsions = excluded.expulsions,
           wear_sum = excluded.wear_sum, wear_count = excluded.wear_count`,
        [
          r.map((x) => x.line),
          r.map((x) => x.cell),
          tsArr(r.map((x) => x.minute)),
          r.map((x) => x.scored),
          r.map((x) => x.nok),
          r.map((x) => x.suspect),
          r.map((x) => x.anomalies),
          r.map((x) => x.diameterSum),
          r.map((x) => x.belowLimit),
          r.map((x) => x.welded),
          r.map((x) => x.expulsions),
          r.map((x) => x.wearSum),
          r.map((x) => x.wearCount),
        ],
      );
    }
    if (b.tallies.length) {
      const r = b.tallies;
      await exec(
        `insert into quality_tallies (line, cell, kind, name, source, minute, count)
         select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::int8[])
         on conflict (line, kind, name, source, cell, minute) do update set count = excluded.count`,
        [
          r.map((x) => x.line),
          r.map((x) => x.cell),
          r.map((x) => x.kind),
          r.map((x) => x.name),
          r.map((x) => x.source),
          tsArr(r.map((x) => x.minute)),
          r.map((x) => x.count),
        ],
      );
    }
    if (b.bodyEvents.length) {
      const r = b.bodyEvents;
      await exec(
        `insert into body_events (time, body_id, line, cell, kind, ref, data)
         select t, b, l, c, k, r, d::jsonb from unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[],
           $5::text[], $6::text[], $7::text[]) as x(t, b, l, c, k, r, d)`,
        [
          tsArr(r.map((x) => x.time)),
          r.map((x) => x.bodyId),
          r.map((x) => x.line),
          r.map((x) => x.cell),
          r.map((x) => x.kind),
          r.map((x) => x.ref),
          r.map((x) => JSON.stringify(x.data)),
        ],
      );
    }
    if (b.lineStates.length) {
      const r = b.lineStates;
      await exec(
        `insert into line_states (line, since, state, reason)
         select * from unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[])
         on conflict (line, since) do update set state = excluded.state, reason = excluded.reason`,
        [r.map((x) => x.line), tsArr(r.map((x) => x.since)), r.map((x) => x.state), r.map((x) => x.reason)],
      );
    }
  });
}

export async function oeeSeries(db: Db, q: OeeSeriesQuery): Promise<OeePoint[]> {
  checkWindow(q);
  const { first, bucketMs, count } = buckets(q, q.bucketSeconds);
  const rows = await db.rows<OeeSqlRow & { t: number }>(sql`
    select ${epochMs(sql`b`)} as t, ${oeeSums}
    from (select ${binOf(q.bucketSeconds, sql`t`)} as b, *
      from (${lineRows(q.scope, new Date(first), q.to, q.bucketSeconds % 3600 === 0)}) k0) k
    group by b order by b`);
  const byT = new Map(rows.map((r) => [Number(r.t), r]));
  const out: OeePoint[] = [];
  for (let i = 0; i < count; i++) {
    const t = first + i * bucketMs;
    const r = byT.get(t);
    // A bucket without any row is unknown: no data is not the same as downtime.
    const f = fromSql(r);
    if (!r) f.unknownMs = bucketMs;
    out.push({ t: iso(t), ...f });
  }
  return out;
}

export async function oeeBreakdown(db: Db, q: OeeBreakdownQuery): Promise<OeeGroup[]> {
  checkWindow(q);
  arg(Number.isInteger(q.depth) && q.depth >= 1 && q.depth <= 4, "depth must be 1 to 4");
  const rows = await db.rows<OeeSqlRow & { path: string }>(sql`
    select array_to_string((string_to_array(line, '/'))[1:${q.depth}::int], '/') as path, ${oeeSums}
    from (${lineRows(q.scope, q.from, q.to, true)}) k
    group by 1 order by 1`);
  return rows.map((r) => ({ path: r.path, ...fromSql(r) }));
}

export async function oeeByShift(db: Db, q: KpiWindow & { scope: string }): Promise<OeeShift[]> {
  checkWindow(q);
  const rows = await db.rows<OeeSqlRow & { shift: string; first: number; last: number }>(sql`
    select shift, (extract(epoch from min(minute)) * 1000)::float8 as first,
      (extract(epoch from max(minute)) * 1000 + 60000)::float8 as last, ${oeeSums}
    from kpi_line_minutes
    where ${scopeWhere(q.scope)} and minute >= ${ts(q.from)} and minute < ${ts(q.to)} and shift <> ''
    group by shift order by 2`);
  return rows.map((r) => ({
    shift: r.shift,
    from: iso(Number(r.first)),
    to: iso(Number(r.last)),
    ...fromSql(r),
  }));
}

export async function lineTimeline(db: Db, q: KpiWindow & { line: string }): Promise<StateInterval[]> {
  checkWindow(q);
  const rows = await db.rows<{ since: number; state: string; reason: string | null }>(sql`
    (select (extract(epoch from since) * 1000)::float8 as since, state, reason from line_states
      where line = ${q.line} and since < ${ts(q.from)} order by since desc limit 1)
    union all
    (select (extract(epoch from since) * 1000)::float8, state, reason from line_states
      where line = ${q.line} and since >= ${ts(q.from)} and since < ${ts(q.to)} order by since limit 20000)
    order by 1`);
  const out: StateInterval[] = [];
  const end = Math.min(q.to.getTime(), Date.now());
  if (rows.length === 0 || Number(rows[0]!.since) > q.from.getTime()) {
    const until = rows.length ? Number(rows[0]!.since) : end;
    if (until > q.from.getTime())
      out.push({ state: "unknown", reason: "no state message", from: iso(q.from.getTime()), to: iso(until) });
  }
  for (const [i, r] of rows.entries()) {
    const from = Math.max(Number(r.since), q.from.getTime());
    const to = i + 1 < rows.length ? Number(rows[i + 1]!.since) : end;
    if (to > from) out.push({ state: r.state, reason: r.reason, from: iso(from), to: iso(to) });
  }
  return out;
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : null);

export async function cellQuality(db: Db, q: CellQualityQuery): Promise<CellQualityRow[]> {
  checkWindow(q);
  const rows = await db.rows<Record<string, number | string>>(sql`
    select line, cell, sum(scored)::float8 as scored, sum(nok)::float8 as nok, sum(suspect)::float8 as suspect,
      sum(anomalies)::float8 as anomalies, sum(diameter_sum)::float8 as diameter_sum,
      sum(below_limit)::float8 as below_limit, sum(welded)::float8 as welded,
      sum(expulsions)::float8 as expulsions, sum(wear_sum)::float8 as wear_sum, sum(wear_count)::float8 as wear_count
    from kpi_cell_minutes
    where ${scopeWhere(q.scope)} and minute >= ${ts(q.from)} and minute < ${ts(q.to)}
    group by line, cell order by line, cell`);
  return rows.map((r) => {
    const scored = Number(r.scored);
    const welded = Number(r.welded);
    return {
      line: String(r.line),
      cell: String(r.cell),
      scored,
      nokRate: ratio(Number(r.nok), scored),
      suspectRate: ratio(Number(r.suspect), scored),
      anomalyRate: ratio(Number(r.anomalies), scored),
      meanDiameter: ratio(Number(r.diameter_sum), scored),
      belowLimitRate: ratio(Number(r.below_limit), scored),
      welded,
      expulsionRate: ratio(Number(r.expulsions), welded),
      meanWear: ratio(Number(r.wear_sum), Number(r.wear_count)),
    };
  });
}

export async function cellTrend(db: Db, q: CellTrendQuery): Promise<CellTrendPoint[]> {
  checkWindow(q);
  const { first, bucketMs, count } = buckets(q, q.bucketSeconds);
  const rows = await db.rows<Record<string, number>>(sql`
    select ${epochMs(sql`b`)} as t, sum(scored)::float8 as scored, sum(nok)::float8 as nok,
      sum(anomalies)::float8 as anomalies, sum(diameter_sum)::float8 as diameter_sum,
      sum(wear_sum)::float8 as wear_sum, sum(wear_count)::float8 as wear_count
    from (select ${binOf(q.bucketSeconds)} as b, * from kpi_cell_minutes
      where line = ${q.line} and cell = ${q.cell} and minute >= ${ts(new Date(first))} and minute < ${ts(q.to)}) k
    group by b order by b`);
  const byT = new Map(rows.map((r) => [Number(r.t), r]));
  const out: CellTrendPoint[] = [];
  for (let i = 0; i < count; i++) {
    const t = first + i * bucketMs;
    const r = byT.get(t);
    const scored = Number(r?.scored ?? 0);
    out.push({
      t: iso(t),
      scored,
      anomalyRate: r ? ratio(Number(r.anomalies), scored) : null,
      nokRate: r ? ratio(Number(r.nok), scored) : null,
      meanDiameter: r ? ratio(Number(r.diameter_sum), scored) : null,
      meanWear: r ? ratio(Number(r.wear_sum), Number(r.wear_count)) : null,
    });
  }
  return out;
}

export async function tallies(db: Db, q: TallyQuery): Promise<TallyGroup[]> {
  checkWindow(q);
  const by = q.by ?? "name";
  const extra = by === "source" ? sql`source` : by === "cell" ? sql`cell` : sql`null::text`;
  const rows = await db.rows<{ name: string; extra: string | null; count: number }>(sql`
    select name, ${extra} as extra, sum(count)::float8 as count
    from quality_tallies
    where kind = ${q.kind} and ${scopeWhere(q.scope)} and minute >= ${ts(q.from)} and minute < ${ts(q.to)}
    group by 1, 2 order by 3 desc, 1 limit 500`);
  return rows.map((r) => ({
    name: r.name,
    source: by === "source" ? r.extra : null,
    cell: by === "cell" ? r.extra : null,
    count: Number(r.count),
  }));
}

interface BodySqlRow {
  time: number;
  body_id: string;
  line: string;
  cell: string;
  kind: string;
  ref: string;
  data: unknown;
}

const bodyRow = (r: BodySqlRow): BodyEvent => ({
  time: iso(Number(r.time)),
  bodyId: r.body_id,
  line: r.line,
  cell: r.cell,
  // Only writeQuality fills the table, with BodyEventRow's kinds.
  kind: r.kind as BodyEvent["kind"],
  ref: r.ref,
  data: (typeof r.data === "string" ? JSON.parse(r.data) : r.data) as Record<string, unknown>,
});

export async function gateDecisions(db: Db, q: GateDecisionQuery): Promise<BodyEvent[]> {
  checkWindow(q);
  arg(Number.isInteger(q.limit) && q.limit >= 1 && q.limit <= 1000, "limit must be 1 to 1000");
  const rows = await db.rows<BodySqlRow>(sql`
    select (extract(epoch from time) * 1000)::float8 as time, body_id, line, cell, kind, ref, data
    from body_events
    where kind = 'gate' and ${scopeWhere(q.scope)} and time >= ${ts(q.from)} and time < ${ts(q.to)}
      ${q.gate ? sql`and ref = ${q.gate}` : sql``}
      ${q.decision ? sql`and data->>'decision' = ${q.decision}` : sql``}
    order by time desc limit ${q.limit}`);
  return rows.map(bodyRow);
}

export async function bodyTrace(db: Db, bodyId: string): Promise<BodyEvent[]> {
  const rows = await db.rows<BodySqlRow>(sql`
    select (extract(epoch from time) * 1000)::float8 as time, body_id, line, cell, kind, ref, data
    from body_events where body_id = ${bodyId} order by time, id limit 5000`);
  return rows.map(bodyRow);
}
