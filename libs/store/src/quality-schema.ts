// Tables of the quality side (OEE, weld quality, check gates, defects, alerts). Kept apart from the
// compliance tables in schema.ts; both feed the same drizzle migrations (`pnpm db:generate`).
//
// Per-minute rows hold sums of times and counts, never ratios: OEE over any window and any roll-up
// (line, area, site, enterprise) is computed from summed parts, as ISO 22400-2 requires.
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

const tz = { withTimezone: true, mode: "date" } as const;
const n = (name: string) => bigint(name, { mode: "number" }).notNull().default(0);

/**
 * One row per line and minute. Times in ms by state (server receive time; `unknown_ms` is time
 * with no fresh state message, which is neither production nor downtime). Counts are the
 * increases of the line's cumulative counters in that minute, counter resets already handled.
 * `ideal_ms` is ideal cycle time x produced quantity (the numerator of performance).
 */
export const kpiLineMinutes = pgTable(
  "kpi_line_minutes",
  {
    line: text("line").notNull(),
    minute: timestamp("minute", tz).notNull(),
    shift: text("shift").notNull().default(""),
    runningMs: n("running_ms"),
    stoppedMs: n("stopped_ms"),
    starvedMs: n("starved_ms"),
    blockedMs: n("blocked_ms"),
    plannedStopMs: n("planned_stop_ms"),
    unknownMs: n("unknown_ms"),
    produced: n("produced"),
    good: n("good"),
    bad: n("bad"),
    idealMs: n("ideal_ms"),
    counterResets: integer("counter_resets").notNull().default(0),
  },
  (t) => [
    primaryKey({ name: "kpi_line_minutes_pk", columns: [t.line, t.minute] }),
    index("kpi_line_minutes_minute_idx").on(t.minute),
  ],
);

/**
 * The same sums per line and hour, rewritten from the minute rows of each hour a write touched.
 * Long windows (a 30-day trend, a plant page over a week) read these: 60 times fewer rows.
 */
export const kpiLineHours = pgTable(
  "kpi_line_hours",
  {
    line: text("line").notNull(),
    hour: timestamp("hour", tz).notNull(),
    runningMs: n("running_ms"),
    stoppedMs: n("stopped_ms"),
    starvedMs: n("starved_ms"),
    blockedMs: n("blocked_ms"),
    plannedStopMs: n("planned_stop_ms"),
    unknownMs: n("unknown_ms"),
    produced: n("produced"),
    good: n("good"),
    bad: n("bad"),
    idealMs: n("ideal_ms"),
    counterResets: integer("counter_resets").notNull().default(0),
  },
  (t) => [
    primaryKey({ name: "kpi_line_hours_pk", columns: [t.line, t.hour] }),
    index("kpi_line_hours_hour_idx").on(t.hour),
  ],
);

/** Weld quality per cell and minute, from weldQuality results and weldSpot measurements. */
export const kpiCellMinutes = pgTable(
  "kpi_cell_minutes",
  {
    line: text("line").notNull(),
    cell: text("cell").notNull(),
    minute: timestamp("minute", tz).notNull(),
    scored: n("scored"),
    nok: n("nok"),
    suspect: n("suspect"),
    anomalies: n("anomalies"),
    diameterSum: doublePrecision("diameter_sum").notNull().default(0),
    belowLimit: n("below_limit"),
    welded: n("welded"),
    expulsions: n("expulsions"),
    wearSum: doublePrecision("wear_sum").notNull().default(0),
    wearCount: n("wear_count"),
  },
  (t) => [
    primaryKey({ name: "kpi_cell_minutes_pk", columns: [t.line, t.cell, t.minute] }),
    index("kpi_cell_minutes_minute_idx").on(t.minute),
  ],
);

/**
 * Counted things per minute: `kind` 'defect' (name = defect type, source = camera or cell) and
 * 'gate' (name = gate, source = decision). Pareto charts and gate statistics sum these.
 */
export const qualityTallies = pgTable(
  "quality_tallies",
  {
    line: text("line").notNull(),
    cell: text("cell").notNull().default(""),
    kind: text("kind").notNull(),
    name: text("name").notNull(),
    source: text("source").notNull().default(""),
    minute: timestamp("minute", tz).notNull(),
    count: n("count"),
  },
  (t) => [
    primaryKey({
      name: "quality_tallies_pk",
      columns: [t.line, t.kind, t.name, t.source, t.cell, t.minute],
    }),
    index("quality_tallies_minute_idx").on(t.minute),
  ],
);

/** What happened to a body: spot results, splatter detections, gate decisions (for the trace). */
export const bodyEvents = pgTable(
  "body_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    time: timestamp("time", tz).notNull(),
    bodyId: text("body_id").notNull(),
    line: text("line").notNull(),
    cell: text("cell").notNull().default(""),
    kind: text("kind").notNull(),
    ref: text("ref").notNull(),
    data: jsonb("data").notNull(),
  },
  (t) => [
    index("body_events_body_idx").on(t.bodyId, t.time),
    index("body_events_line_kind_time_idx").on(t.line, t.kind, t.time.desc()),
  ],
);

/** State changes of a line (and 'unknown' when its state messages stop): the state timeline. */
export const lineStates = pgTable(
  "line_states",
  {
    line: text("line").notNull(),
    since: timestamp("since", tz).notNull(),
    state: text("state").notNull(),
    reason: text("reason"),
  },
  (t) => [primaryKey({ name: "line_states_pk", columns: [t.line, t.since] })],
);

/**
 * Alerts, from rules and from the plant's own alarm messages. `state` follows ISA-18.2:
 * active-unacknowledged, active-acknowledged, returned-unacknowledged, cleared. `version` grows
 * with every change so that an action on a stale view is refused.
 */
export const alerts = pgTable(
  "alerts",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    ruleId: text("rule_id").notNull(),
    source: text("source").notNull(),
    origin: text("origin").notNull(),
    line: text("line"),
    severity: text("severity").notNull(),
    title: text("title").notNull(),
    message: text("message").notNull(),
    state: text("state").notNull(),
    value: doublePrecision("value"),
    threshold: doublePrecision("threshold"),
    raisedAt: timestamp("raised_at", tz).notNull(),
    ackedAt: timestamp("acked_at", tz),
    ackedBy: text("acked_by"),
    returnedAt: timestamp("returned_at", tz),
    clearedAt: timestamp("cleared_at", tz),
    clearedBy: text("cleared_by"),
    assignee: text("assignee"),
    shelvedUntil: timestamp("shelved_until", tz),
    suppressed: integer("suppressed").notNull().default(0),
    version: integer("version").notNull().default(1),
    updatedAt: timestamp("updated_at", tz).notNull(),
  },
  (t) => [
    // One open alert per rule and source, enforced by the database as well as by the engine.
    uniqueIndex("alerts_open_rule_source_uq").on(t.ruleId, t.source).where(sql`cleared_at is null`),
    index("alerts_raised_idx").on(t.raisedAt.desc()),
    index("alerts_state_idx").on(t.state),
  ],
);

/** Every change to an alert: who, when, what (the history is never rewritten). */
export const alertActions = pgTable(
  "alert_actions",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    alertId: bigint("alert_id", { mode: "number" }).notNull(),
    time: timestamp("time", tz).notNull(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    fromState: text("from_state"),
    toState: text("to_state").notNull(),
    comment: text("comment"),
    details: jsonb("details"),
  },
  (t) => [index("alert_actions_alert_idx").on(t.alertId, t.id)],
);
