import { type Static, Type } from "typebox";
import { Nullable, Scope } from "./common.js";

/**
 * Schemas of the alert operations (/api/v1/alerts/...): alerts raised by rules (topics/alerts.yaml)
 * and by device alarms, their ISA-18.2 style states, and people's actions on them.
 */
const strict = { additionalProperties: false } as const;

export const AlertState = Type.Union([
  Type.Literal("active-unacknowledged"),
  Type.Literal("active-acknowledged"),
  Type.Literal("returned-unacknowledged"),
  Type.Literal("cleared"),
]);
export type AlertState = Static<typeof AlertState>;

export const Alert = Type.Object(
  {
    id: Type.Integer(),
    ruleId: Type.String(),
    source: Type.String({ description: "The line, cell or device path the alert is about" }),
    origin: Type.Union([Type.Literal("rule"), Type.Literal("device")]),
    line: Nullable(Type.String()),
    severity: Type.String(),
    title: Type.String(),
    message: Type.String(),
    state: AlertState,
    value: Nullable(Type.Number()),
    threshold: Nullable(Type.Number()),
    raisedAt: Type.String(),
    ackedAt: Nullable(Type.String()),
    ackedBy: Nullable(Type.String()),
    returnedAt: Nullable(Type.String()),
    clearedAt: Nullable(Type.String()),
    clearedBy: Nullable(Type.String()),
    assignee: Nullable(Type.String()),
    shelvedUntil: Nullable(Type.String()),
    suppressed: Type.Boolean({ description: "Raised during planned downtime (not notified)" }),
    version: Type.Integer({ description: "Sent back with an action: 409 when it changed meanwhile" }),
    updatedAt: Type.String(),
  },
  strict,
);
export type Alert = Static<typeof Alert>;

/** One entry of an alert's history: who did what, from which state to which. */
export const AlertAction = Type.Object(
  {
    id: Type.Integer(),
    alertId: Type.Integer(),
    time: Type.String(),
    actor: Type.String(),
    action: Type.String(),
    fromState: Nullable(Type.String()),
    toState: Type.String(),
    comment: Nullable(Type.String()),
    details: Type.Unknown(),
  },
  strict,
);
export type AlertAction = Static<typeof AlertAction>;

export const AlertListQuery = Type.Object(
  {
    state: Type.Optional(Type.Union([AlertState, Type.Literal("open")])),
    severity: Type.Optional(Type.String({ maxLength: 16 })),
    scope: Type.Optional(Scope),
    ruleId: Type.Optional(Type.String({ maxLength: 128 })),
    assignee: Type.Optional(Type.String({ maxLength: 128 })),
    shelved: Type.Optional(Type.Boolean({ description: "false hides shelved alerts" })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  strict,
);
export type AlertListQuery = Static<typeof AlertListQuery>;
export const AlertListResponse = Type.Object({ alerts: Type.Array(Alert) }, strict);
export type AlertListResponse = Static<typeof AlertListResponse>;

export const AlertParams = Type.Object({ id: Type.Integer({ minimum: 1 }) }, strict);
export type AlertParams = Static<typeof AlertParams>;
export const AlertDetailResponse = Type.Object({ alert: Alert, actions: Type.Array(AlertAction) }, strict);
export type AlertDetailResponse = Static<typeof AlertDetailResponse>;

export const AlertActionBody = Type.Object(
  {
    action: Type.Union([
      Type.Literal("ack"),
      Type.Literal("assign"),
      Type.Literal("comment"),
      Type.Literal("shelve"),
      Type.Literal("unshelve"),
      Type.Literal("clear"),
    ]),
    version: Type.Integer({
      minimum: 1,
      description: "The alert version the action was decided on (409 if it changed)",
    }),
    comment: Type.Optional(Type.String({ maxLength: 2000 })),
    assignee: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 128 }))),
    durationMinutes: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 7 * 24 * 60, description: "shelve: for how long" }),
    ),
    actor: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        description: "Who acts, when the server has no login (with login: the user)",
      }),
    ),
  },
  strict,
);
export type AlertActionBody = Static<typeof AlertActionBody>;
export const AlertActionResponse = Type.Object({ alert: Alert }, strict);
export type AlertActionResponse = Static<typeof AlertActionResponse>;

/** A rule of topics/alerts.yaml as loaded (durations in ms). */
export const AlertRule = Type.Object(
  {
    id: Type.String(),
    title: Type.String(),
    metric: Type.String(),
    below: Type.Optional(Type.Number()),
    above: Type.Optional(Type.Number()),
    clearAt: Type.Number({ description: "Back to normal only past this value (hysteresis)" }),
    windowMs: Type.Number(),
    spots: Type.Optional(Type.Integer({ description: "Cell metrics: the last N spots" })),
    minCount: Type.Number(),
    forMs: Type.Number(),
    channel: Type.Optional(Type.String()),
    match: Type.Optional(Type.String()),
    severity: Type.Union([
      Type.Literal("info"),
      Type.Literal("warning"),
      Type.Literal("error"),
      Type.Literal("critical"),
    ]),
    duringPlannedStop: Type.Boolean(),
  },
  strict,
);
export type AlertRule = Static<typeof AlertRule>;
export const AlertRulesResponse = Type.Object(
  {
    loadedAt: Nullable(Type.String()),
    rules: Type.Array(AlertRule),
    problems: Type.Array(Type.String({ description: "file:line: field: what is wrong" })),
    stats: Type.Object(
      {
        evaluations: Type.Integer(),
        suppressed: Type.Integer(),
        raised: Type.Integer(),
        open: Type.Integer(),
        rules: Type.Integer(),
      },
      strict,
    ),
  },
  strict,
);
export type AlertRulesResponse = Static<typeof AlertRulesResponse>;
