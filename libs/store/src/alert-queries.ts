import { sql } from "drizzle-orm";
import type { Db } from "./db.js";
import type { AlertActionRecord, AlertQuery, AlertRecord, AlertWrite } from "./quality-types.js";
import { likePrefix } from "./queries.js";

// Alert rows are written by the server's alert engine, which serialises every change on the main
// thread (and checks versions there); the store keeps the rows and the full action history.

const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(Number(v)).toISOString());
const epoch = (col: string) => `(extract(epoch from ${col}) * 1000)::float8 as ${col}`;
const alertColumns = sql.raw(
  [
    "id::float8 as id",
    "rule_id",
    "source",
    "origin",
    "line",
    "severity",
    "title",
    "message",
    "state",
    "value",
    "threshold",
    epoch("raised_at"),
    epoch("acked_at"),
    "acked_by",
    epoch("returned_at"),
    epoch("cleared_at"),
    "cleared_by",
    "assignee",
    epoch("shelved_until"),
    "suppressed",
    "version",
    epoch("updated_at"),
  ].join(", "),
);

function toAlert(r: Record<string, unknown>): AlertRecord {
  return {
    id: Number(r.id),
    ruleId: String(r.rule_id),
    source: String(r.source),
    origin: r.origin as AlertRecord["origin"],
    line: (r.line as string | null) ?? null,
    severity: String(r.severity),
    title: String(r.title),
    message: String(r.message),
    state: r.state as AlertRecord["state"],
    value: r.value === null ? null : Number(r.value),
    threshold: r.threshold === null ? null : Number(r.threshold),
    raisedAt: iso(r.raised_at)!,
    ackedAt: iso(r.acked_at),
    ackedBy: (r.acked_by as string | null) ?? null,
    returnedAt: iso(r.returned_at),
    clearedAt: iso(r.cleared_at),
    clearedBy: (r.cleared_by as string | null) ?? null,
    assignee: (r.assignee as string | null) ?? null,
    shelvedUntil: iso(r.shelved_until),
    suppressed: Number(r.suppressed) === 1,
    version: Number(r.version),
    updatedAt: iso(r.updated_at)!,
  };
}

export async function saveAlert(db: Db, w: AlertWrite): Promise<number> {
  const a = w.alert;
  const values = [
    a.ruleId,
    a.source,
    a.origin,
    a.line,
    a.severity,
    a.title,
    a.message,
    a.state,
    a.value,
    a.threshold,
    a.raisedAt,
    a.ackedAt,
    a.ackedBy,
    a.returnedAt,
    a.clearedAt,
    a.clearedBy,
    a.assignee,
    a.shelvedUntil,
    a.suppressed ? 1 : 0,
    a.version,
    a.updatedAt,
  ];
  return db.transaction(async (exec) => {
    let id = a.id;
    if (id === 0) {
      const r = await exec(
        `insert into alerts (rule_id, source, origin, line, severity, title, message, state, value, threshold,
           raised_at, acked_at, acked_by, returned_at, cleared_at, cleared_by, assignee, shelved_until,
           suppressed, version, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
         returning id::float8 as id`,
        values,
      );
      id = Number(r.rows[0]!.id);
    } else {
      await exec(
        `update alerts set rule_id = $1, source = $2, origin = $3, line = $4, severity = $5, title = $6,
           message = $7, state = $8, value = $9, threshold = $10, raised_at = $11, acked_at = $12,
           acked_by = $13, returned_at = $14, cleared_at = $15, cleared_by = $16, assignee = $17,
           shelved_until = $18, suppressed = $19, version = $20, updated_at = $21
         where id = $22`,
        [...values, id],
      );
    }
    const x = w.action;
    await exec(
      `insert into alert_actions (alert_id, time, actor, action, from_state, to_state, comment, details)
       values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)`,
      [
        id,
        x.time,
        x.actor,
        x.action,
        x.fromState,
        x.toState,
        x.comment,
        x.details === undefined ? null : JSON.stringify(x.details),
      ],
    );
    return id;
  });
}

export async function listAlerts(db: Db, q: AlertQuery): Promise<AlertRecord[]> {
  const limit = Math.max(1, Math.min(1000, Math.floor(q.limit) || 100));
  const where = [sql`true`];
  if (q.state === "open") where.push(sql`cleared_at is null`);
  else if (q.state) where.push(sql`state = ${q.state}`);
  if (q.severity) where.push(sql`severity = ${q.severity}`);
  if (q.ruleId) where.push(sql`rule_id = ${q.ruleId}`);
  if (q.assignee) where.push(sql`assignee = ${q.assignee}`);
  if (q.scope) where.push(sql`(source = ${q.scope} or source like ${likePrefix(`${q.scope}/`)})`);
  const rows = await db.rows<Record<string, unknown>>(sql`
    select ${alertColumns} from alerts where ${sql.join(where, sql` and `)}
    order by raised_at desc, id desc limit ${limit}`);
  return rows.map(toAlert);
}

export async function getAlert(
  db: Db,
  id: number,
): Promise<{ alert: AlertRecord; actions: AlertActionRecord[] } | null> {
  const rows = await db.rows<Record<string, unknown>>(
    sql`select ${alertColumns} from alerts where id = ${id}`,
  );
  if (!rows[0]) return null;
  const actions = await db.rows<Record<string, unknown>>(sql`
    select id::float8 as id, alert_id::float8 as alert_id, (extract(epoch from time) * 1000)::float8 as time,
      actor, action, from_state, to_state, comment, details
    from alert_actions where alert_id = ${id} order by id`);
  return {
    alert: toAlert(rows[0]),
    actions: actions.map((r) => ({
      id: Number(r.id),
      alertId: Number(r.alert_id),
      time: iso(r.time)!,
      actor: String(r.actor),
      action: String(r.action),
      fromState: (r.from_state as string | null) ?? null,
      toState: String(r.to_state),
      comment: (r.comment as string | null) ?? null,
      details: typeof r.details === "string" ? JSON.parse(r.details) : (r.details ?? null),
    })),
  };
}

export async function openAlerts(db: Db): Promise<AlertRecord[]> {
  const rows = await db.rows<Record<string, unknown>>(sql`
    select ${alertColumns} from alerts where cleared_at is null order by id`);
  return rows.map(toAlert);
}
