import { type Static, Type } from "typebox";
import { Nullable, Scope } from "./common.js";

/**
 * Schemas of the quality operations (/api/v1/quality/...): OEE (ISO 22400-2) per scope, its
 * trends and shifts, line state timelines, weld quality per cell, defects, check-gate decisions
 * and the body trace. Fields are explained in docs/quality.md.
 */
const strict = { additionalProperties: false } as const;

export const Window = {
  from: Type.Optional(
    Type.String({ format: "date-time", description: "Start (ISO 8601); default: 24 h before `to`" }),
  ),
  to: Type.Optional(Type.String({ format: "date-time", description: "End (ISO 8601); default: now" })),
};
const Bucket = Type.Integer({
  minimum: 60,
  maximum: 86400 * 31,
  description: "Bucket size in s (multiple of 60)",
});

const oeeFields = {
  runningMs: Type.Number({ description: "Actual production time (ms)" }),
  downMs: Type.Number({ description: "Unplanned downtime: stopped, starved, blocked (ms)" }),
  plannedStopMs: Type.Number({
    description: "Planned downtime (maintenance), outside planned busy time (ms)",
  }),
  unknownMs: Type.Number({
    description: "Time without a fresh state message: neither production nor downtime (ms)",
  }),
  produced: Type.Number(),
  good: Type.Number(),
  bad: Type.Number(),
  idealMs: Type.Number({ description: "Ideal cycle time x produced quantity (ms)" }),
  counterResets: Type.Number({ description: "Counter resets seen (shift changes, PLC restarts)" }),
  availability: Nullable(Type.Number()),
  performance: Nullable(Type.Number({ description: "May exceed 1: then performanceOver100 is set" })),
  quality: Nullable(Type.Number()),
  oee: Nullable(Type.Number()),
  performanceOver100: Type.Boolean({
    description: "Performance above 100 %: the ideal cycle time is probably wrong",
  }),
};

/** Summed parts of OEE over a window and scope, and the ratios computed from them. */
export const OeeFigures = Type.Object(oeeFields, strict);
export type OeeFigures = Static<typeof OeeFigures>;
export const OeeGroup = Type.Object({ path: Type.String(), ...oeeFields }, strict);
export type OeeGroup = Static<typeof OeeGroup>;
export const OeePoint = Type.Object(
  { t: Type.String({ description: "Start of the bucket" }), ...oeeFields },
  strict,
);
export type OeePoint = Static<typeof OeePoint>;
export const OeeShift = Type.Object(
  { shift: Type.String(), from: Type.String(), to: Type.String(), ...oeeFields },
  strict,
);
export type OeeShift = Static<typeof OeeShift>;

export const OeeQuery = Type.Object(
  { ...Window, scope: Type.Optional(Scope), depth: Type.Optional(Type.Integer({ minimum: 1, maximum: 4 })) },
  strict,
);
export type OeeQuery = Static<typeof OeeQuery>;
export const OeeResponse = Type.Object(
  {
    from: Type.String(),
    to: Type.String(),
    scope: Type.String(),
    depth: Type.Integer(),
    total: OeeFigures,
    groups: Type.Array(OeeGroup),
  },
  strict,
);
export type OeeResponse = Static<typeof OeeResponse>;

export const TrendQuery = Type.Object(
  { ...Window, scope: Type.Optional(Scope), bucketSeconds: Type.Optional(Bucket) },
  strict,
);
export type TrendQuery = Static<typeof TrendQuery>;
export const OeeTrendResponse = Type.Object(
  { from: Type.String(), to: Type.String(), bucketSeconds: Type.Integer(), points: Type.Array(OeePoint) },
  strict,
);
export type OeeTrendResponse = Static<typeof OeeTrendResponse>;

export const ScopeQuery = Type.Object({ ...Window, scope: Type.Optional(Scope) }, strict);
export type ScopeQuery = Static<typeof ScopeQuery>;
export const OeeShiftsResponse = Type.Object({ shifts: Type.Array(OeeShift) }, strict);
export type OeeShiftsResponse = Static<typeof OeeShiftsResponse>;

export const LineQuery = Type.Object({ ...Window, line: Scope }, strict);
export type LineQuery = Static<typeof LineQuery>;
export const StateInterval = Type.Object(
  { state: Type.String(), reason: Nullable(Type.String()), from: Type.String(), to: Type.String() },
  strict,
);
export type StateInterval = Static<typeof StateInterval>;
/** A line's state now, as the KPI engine holds it ("unknown" once its state messages stop). */
export const LineStateNow = Type.Object(
  {
    state: Nullable(Type.String({ description: "null until the line's first state message" })),
    reason: Nullable(Type.String()),
    clockSkewMs: Type.Number({
      description: "Device clock minus server clock (ms), from the last state message",
    }),
  },
  strict,
);
export type LineStateNow = Static<typeof LineStateNow>;
export const TimelineResponse = Type.Object(
  {
    line: Type.String(),
    intervals: Type.Array(StateInterval),
    now: Nullable(LineStateNow),
  },
  strict,
);
export type TimelineResponse = Static<typeof TimelineResponse>;

export const CellQuality = Type.Object(
  {
    line: Type.String(),
    cell: Type.String(),
    scored: Type.Number(),
    nokRate: Nullable(Type.Number()),
    suspectRate: Nullable(Type.Number()),
    anomalyRate: Nullable(Type.Number()),
    meanDiameter: Nullable(Type.Number({ description: "Mean nugget diameter (mm)" })),
    belowLimitRate: Nullable(Type.Number()),
    welded: Type.Number(),
    expulsionRate: Nullable(Type.Number()),
    meanWear: Nullable(Type.Number()),
  },
  strict,
);
export type CellQuality = Static<typeof CellQuality>;
export const CellsResponse = Type.Object({ cells: Type.Array(CellQuality) }, strict);
export type CellsResponse = Static<typeof CellsResponse>;

export const CellTrendQuery = Type.Object(
  { ...Window, line: Scope, cell: Type.String({ maxLength: 128 }), bucketSeconds: Type.Optional(Bucket) },
  strict,
);
export type CellTrendQuery = Static<typeof CellTrendQuery>;
export const CellTrendPoint = Type.Object(
  {
    t: Type.String(),
    scored: Type.Number(),
    anomalyRate: Nullable(Type.Number()),
    nokRate: Nullable(Type.Number()),
    meanDiameter: Nullable(Type.Number()),
    meanWear: Nullable(Type.Number()),
  },
  strict,
);
export type CellTrendPoint = Static<typeof CellTrendPoint>;
export const CellTrendResponse = Type.Object(
  { bucketSeconds: Type.Integer(), points: Type.Array(CellTrendPoint) },
  strict,
);
export type CellTrendResponse = Static<typeof CellTrendResponse>;

/** A count by name, and by source (camera, gate) or cell when asked for. */
export const Tally = Type.Object(
  {
    name: Type.String(),
    source: Nullable(Type.String()),
    cell: Nullable(Type.String()),
    count: Type.Number(),
  },
  strict,
);
export type Tally = Static<typeof Tally>;
export const DefectQuery = Type.Object(
  {
    ...Window,
    scope: Type.Optional(Scope),
    by: Type.Optional(Type.Union([Type.Literal("name"), Type.Literal("source"), Type.Literal("cell")])),
  },
  strict,
);
export type DefectQuery = Static<typeof DefectQuery>;
export const DefectsResponse = Type.Object({ defects: Type.Array(Tally) }, strict);
export type DefectsResponse = Static<typeof DefectsResponse>;
export const GatesResponse = Type.Object({ gates: Type.Array(Tally) }, strict);
export type GatesResponse = Static<typeof GatesResponse>;

/** One thing that happened to a body: a spot's weld quality, a splatter image, a gate decision. */
export const BodyEvent = Type.Object(
  {
    time: Type.String(),
    bodyId: Type.String(),
    line: Type.String(),
    cell: Type.String(),
    kind: Type.Union([Type.Literal("weld-quality"), Type.Literal("splatter"), Type.Literal("gate")]),
    ref: Type.String({ description: "The message it came from (spot, image or decision id)" }),
    data: Type.Record(Type.String(), Type.Unknown(), { description: "The message's own fields" }),
  },
  strict,
);
export type BodyEvent = Static<typeof BodyEvent>;
export const DecisionQuery = Type.Object(
  {
    ...Window,
    scope: Type.Optional(Scope),
    gate: Type.Optional(Type.String({ maxLength: 64 })),
    decision: Type.Optional(
      Type.Union([Type.Literal("continue"), Type.Literal("correct"), Type.Literal("scrap")]),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  strict,
);
export type DecisionQuery = Static<typeof DecisionQuery>;
export const DecisionsResponse = Type.Object({ decisions: Type.Array(BodyEvent) }, strict);
export type DecisionsResponse = Static<typeof DecisionsResponse>;

export const BodyParams = Type.Object(
  { bodyId: Type.String({ pattern: "^[A-Z0-9][A-Z0-9-]{5,31}$" }) },
  strict,
);
export type BodyParams = Static<typeof BodyParams>;
export const BodyResponse = Type.Object({ bodyId: Type.String(), events: Type.Array(BodyEvent) }, strict);
export type BodyResponse = Static<typeof BodyResponse>;

export const QualityLine = Type.Object(
  {
    line: Type.String(),
    state: Nullable(Type.String()),
    reason: Nullable(Type.String()),
    clockSkewMs: Type.Number(),
  },
  strict,
);
export type QualityLine = Static<typeof QualityLine>;
export const QualityLinesResponse = Type.Object({ lines: Type.Array(QualityLine) }, strict);
export type QualityLinesResponse = Static<typeof QualityLinesResponse>;
