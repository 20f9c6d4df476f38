import { ErrorReply } from "@uns/api-contract";
import { type Static, type TSchema, Type } from "typebox";

/**
 * Request and response schemas of the quality and alert routes, in TypeBox so that they can move
 * into @uns/api-contract as they are.
 */
const strict = { additionalProperties: false } as const;
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const Window = {
  from: Type.Optional(
    Type.String({ format: "date-time", description: "Start (ISO 8601); default: 24 h before `to`" }),
  ),
  to: Type.Optional(Type.String({ format: "date-time", description: "End (ISO 8601); default: now" })),
};
const Scope = Type.String({
  maxLength: 512,
  description:
    "Path of the enterprise, site, area or line (acme/neckarsulm/body-shop/line-01); empty = everything",
});
const Bucket = Type.Integer({
  minimum: 60,
  maximum: 86400 * 31,
  description: "Bucket size in s (multiple of 60)",
});

export const OeeFigures = Type.Object(
  {
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
  },
  strict,
);

export const OeeQuery = Type.Object(
  { ...Window, scope: Type.Optional(Scope), depth: Type.Optional(Type.Integer({ minimum: 1, maximum: 4 })) },
  strict,
);
export type OeeQuery = Static<typeof OeeQuery>;
export const OeeResponse = Type.Object({
  from: Type.String(),
  to: Type.String(),
  scope: Type.String(),
  depth: Type.Integer(),
  total: OeeFigures,
  groups: Type.Array(Type.Intersect([Type.Object({ path: Type.String() }), OeeFigures])),
});

export const TrendQuery = Type.Object(
  { ...Window, scope: Type.Optional(Scope), bucketSeconds: Type.Optional(Bucket) },
  strict,
);
export type TrendQuery = Static<typeof TrendQuery>;

export const LineQuery = Type.Object({ ...Window, line: Scope }, strict);
export type LineQuery = Static<typeof LineQuery>;

export const ScopeQuery = Type.Object({ ...Window, scope: Type.Optional(Scope) }, strict);
export type ScopeQuery = Static<typeof ScopeQuery>;

export const CellTrendQuery = Type.Object(
  { ...Window, line: Scope, cell: Type.String({ maxLength: 128 }), bucketSeconds: Type.Optional(Bucket) },
  strict,
);
export type CellTrendQuery = Static<typeof CellTrendQuery>;

export const DefectQuery = Type.Object(
  {
    ...Window,
    scope: Type.Optional(Scope),
    by: Type.Optional(Type.Union([Type.Literal("name"), Type.Literal("source"), Type.Literal("cell")])),
  },
  strict,
);
export type DefectQuery = Static<typeof DefectQuery>;

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

export const BodyParams = Type.Object(
  { bodyId: Type.String({ pattern: "^[A-Z0-9][A-Z0-9-]{5,31}$" }) },
  strict,
);
export type BodyParams = Static<typeof BodyParams>;

export const AlertState = Type.Union([
  Type.Literal("active-unacknowledged"),
  Type.Literal("active-acknowledged"),
  Type.Literal("returned-unacknowledged"),
  Type.Literal("cleared"),
]);

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

export const AlertParams = Type.Object({ id: Type.Integer({ minimum: 1 }) }, strict);
export type AlertParams = Static<typeof AlertParams>;

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

/**
 * A reply whose fields are documented by the route's summary and docs/quality.md; its full
 * schema is still to be written (it is checked as an object only).
 */
export const LooseReply = Type.Object({}, { additionalProperties: true });

/** Fastify schema of a route: id, tag, summary, inputs, and the success and error replies. */
export function route(o: {
  operationId: string;
  tags: string[];
  summary: string;
  querystring?: TSchema;
  params?: TSchema;
  body?: TSchema;
  reply?: TSchema;
  errors?: number[];
}) {
  const { reply, errors = [400, 500], ...rest } = o;
  return {
    ...rest,
    response: { 200: reply ?? LooseReply, ...Object.fromEntries(errors.map((e) => [e, ErrorReply])) },
  };
}
