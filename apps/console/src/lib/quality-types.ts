// Replies of the quality and alert routes (apps/server/src/api/quality-schemas.ts); to be read
// from @uns/api-contract once those schemas move there.

export interface OeeFigures {
  runningMs: number;
  downMs: number;
  plannedStopMs: number;
  unknownMs: number;
  produced: number;
  good: number;
  bad: number;
  idealMs: number;
  counterResets: number;
  availability: number | null;
  performance: number | null;
  quality: number | null;
  oee: number | null;
  performanceOver100: boolean;
}
export interface OeeGroup extends OeeFigures {
  path: string;
}
export interface OeeReply {
  from: string;
  to: string;
  scope: string;
  depth: number;
  total: OeeFigures;
  groups: OeeGroup[];
}
export interface OeePoint extends OeeFigures {
  t: string;
}
export interface TrendReply {
  bucketSeconds: number;
  points: OeePoint[];
}
export interface StateInterval {
  state: string;
  reason: string | null;
  from: string;
  to: string;
}
export interface CellQuality {
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
export interface Tally {
  name: string;
  source: string | null;
  cell: string | null;
  count: number;
}
export interface BodyEvent {
  time: string;
  bodyId: string;
  line: string;
  cell: string;
  kind: "weld-quality" | "splatter" | "gate";
  ref: string;
  data: Record<string, unknown>;
}
export type AlertState =
  | "active-unacknowledged"
  | "active-acknowledged"
  | "returned-unacknowledged"
  | "cleared";
export interface Alert {
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
export interface AlertAction {
  id: number;
  time: string;
  actor: string;
  action: string;
  fromState: string | null;
  toState: string;
  comment: string | null;
  details: unknown;
}
export interface OeeShift extends OeeFigures {
  shift: string;
  from: string;
  to: string;
}
