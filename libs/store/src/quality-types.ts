/** Types of the quality side of the store (KPIs, body trace, alerts). */

export interface LineMinuteRow {
  line: string;
  /** ms since epoch, start of the minute */
  minute: number;
  shift: string;
  runningMs: number;
  stoppedMs: number;
  starvedMs: number;
  blockedMs: number;
  plannedStopMs: number;
  unknownMs: number;
  produced: number;
  good: number;
  bad: number;
  idealMs: number;
  counterResets: number;
}

export interface CellMinuteRow {
  line: string;
  cell: string;
  minute: number;
  scored: number;
  nok: number;
  suspect: number;
  anomalies: number;
  diameterSum: number;
  belowLimit: number;
  welded: number;
  expulsions: number;
  wearSum: number;
  wearCount: number;
}

export interface TallyRow {
  line: string;
  cell: string;
  kind: "defect" | "gate";
  name: string;
  source: string;
  minute: number;
  count: number;
}

export interface BodyEventRow {
  time: number;
  bodyId: string;
  line: string;
  cell: string;
  kind: "weld-quality" | "splatter" | "gate";
  ref: string;
  data: unknown;
}

export interface LineStateRow {
  line: string;
  since: number;
  state: string;
  reason: string | null;
}

/**
 * A minute row is the full value of its minute (written again as the minute fills up), so
 * rewriting it is harmless; body events and state changes are appended once.
 */
export interface QualityBatch {
  lineMinutes: LineMinuteRow[];
  cellMinutes: CellMinuteRow[];
  tallies: TallyRow[];
  bodyEvents: BodyEventRow[];
  lineStates: LineStateRow[];
}

/** Summed parts of OEE over some window and scope, and the ratios computed from them. */
export interface OeeFigures {
  runningMs: number;
  /** stopped + starved + blocked: unplanned downtime, part of planned busy time */
  downMs: number;
  plannedStopMs: number;
  unknownMs: number;
  produced: number;
  good: number;
  bad: number;
  idealMs: number;
  counterResets: number;
  /** actual production time / planned busy time; null when nothing was planned */
  availability: number | null;
  /** ideal cycle time x produced quantity / actual production time; may exceed 1 */
  performance: number | null;
  /** good quantity / produced quantity */
  quality: number | null;
  oee: number | null;
  /** performance above 100 %: the ideal cycle time is probably wrong */
  performanceOver100: boolean;
}

export interface KpiWindow {
  from: Date;
  to: Date;
}

export interface OeeSeriesQuery extends KpiWindow {
  /** Line path or a prefix of it (`acme/neckarsulm` rolls up a site). */
  scope: string;
  bucketSeconds: number;
}

export interface OeePoint extends OeeFigures {
  t: string;
}

export interface OeeBreakdownQuery extends KpiWindow {
  scope: string;
  /** Path depth to group by: 1 enterprise, 2 site, 3 area, 4 line. */
  depth: number;
}

export interface OeeGroup extends OeeFigures {
  path: string;
}

export interface OeeShift extends OeeFigures {
  shift: string;
  from: string;
  to: string;
}

export interface CellQualityQuery extends KpiWindow {
  scope: string;
}

export interface CellQualityRow {
  line: string;
  cell: string;
  scored: number;
  nokRate: number | null;
  suspectRate: number | null;
  anomalyRate: number | null;
  meanDiameter: number | null;
  belowLimitRate: number | null;
  welded: number;
  expulsionRate: number | null;
  meanWear: number | null;
}

export interface CellTrendQuery extends KpiWindow {
  line: string;
  cell: string;
  bucketSeconds: number;
}

export interface CellTrendPoint {
  t: string;
  scored: number;
  anomalyRate: number | null;
  nokRate: number | null;
  meanDiameter: number | null;
  meanWear: number | null;
}

export interface TallyQuery extends KpiWindow {
  scope: string;
  kind: "defect" | "gate";
  /** Group by name (default), name and source, or name and cell. */
  by?: "name" | "source" | "cell";
}

export interface TallyGroup {
  name: string;
  source: string | null;
  cell: string | null;
  count: number;
}

export interface GateDecisionQuery extends KpiWindow {
  scope: string;
  gate?: string;
  decision?: string;
  limit: number;
}

export interface BodyEvent {
  time: string;
  bodyId: string;
  line: string;
  cell: string;
  kind: BodyEventRow["kind"];
  ref: string;
  /** The message's own fields (an object: see the KPI engine's body events). */
  data: Record<string, unknown>;
}

export interface StateInterval {
  state: string;
  reason: string | null;
  from: string;
  to: string;
}

export type AlertState =
  | "active-unacknowledged"
  | "active-acknowledged"
  | "returned-unacknowledged"
  | "cleared";

export interface AlertRecord {
  id: number;
  ruleId: string;
  source: string;
  origin: "rule" | "device";
  line: string | null;
  severity: string;
  title: string;
  message: string;
  state: AlertState;
  value: number | null;
  threshold: number | null;
  raisedAt: string;
  ackedAt: string | null;
  ackedBy: string | null;
  returnedAt: string | null;
  clearedAt: string | null;
  clearedBy: string | null;
  assignee: string | null;
  shelvedUntil: string | null;
  suppressed: boolean;
  version: number;
  updatedAt: string;
}

export interface AlertActionRecord {
  id: number;
  alertId: number;
  time: string;
  actor: string;
  action: string;
  fromState: string | null;
  toState: string;
  comment: string | null;
  details: unknown;
}

export interface AlertQuery {
  state?: AlertState | "open";
  severity?: string;
  scope?: string;
  ruleId?: string;
  assignee?: string;
  limit: number;
}

export interface AlertWrite {
  alert: AlertRecord;
  action: Omit<AlertActionRecord, "id" | "alertId">;
}

/** What the quality side of the store offers (part of `Store`). */
export interface QualityStore {
  writeQuality(batch: QualityBatch): Promise<void>;
  oeeSeries(q: OeeSeriesQuery): Promise<OeePoint[]>;
  oeeBreakdown(q: OeeBreakdownQuery): Promise<OeeGroup[]>;
  /** OEE per shift (shift ids from lineCounts) of a scope, in the window. */
  oeeByShift(q: KpiWindow & { scope: string }): Promise<OeeShift[]>;
  lineTimeline(q: KpiWindow & { line: string }): Promise<StateInterval[]>;
  cellQuality(q: CellQualityQuery): Promise<CellQualityRow[]>;
  cellTrend(q: CellTrendQuery): Promise<CellTrendPoint[]>;
  tallies(q: TallyQuery): Promise<TallyGroup[]>;
  gateDecisions(q: GateDecisionQuery): Promise<BodyEvent[]>;
  bodyTrace(bodyId: string): Promise<BodyEvent[]>;
  /** Insert (id 0) or update an alert with its action, in one transaction; returns the id. */
  saveAlert(w: AlertWrite): Promise<number>;
  listAlerts(q: AlertQuery): Promise<AlertRecord[]>;
  getAlert(id: number): Promise<{ alert: AlertRecord; actions: AlertActionRecord[] } | null>;
  openAlerts(): Promise<AlertRecord[]>;
}

export const qualityStoreMethods = [
  "writeQuality",
  "oeeSeries",
  "oeeBreakdown",
  "oeeByShift",
  "lineTimeline",
  "cellQuality",
  "cellTrend",
  "tallies",
  "gateDecisions",
  "bodyTrace",
  "saveAlert",
  "listAlerts",
  "getAlert",
  "openAlerts",
] as const satisfies readonly (keyof QualityStore)[];
