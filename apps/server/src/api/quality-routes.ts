import "./route-role.js";
import {
  BodyParams,
  BodyResponse,
  CellsResponse,
  CellTrendQuery,
  CellTrendResponse,
  DecisionQuery,
  DecisionsResponse,
  DefectQuery,
  DefectsResponse,
  GatesResponse,
  LineQuery,
  OeeQuery,
  OeeResponse,
  OeeShiftsResponse,
  OeeTrendResponse,
  QualityLinesResponse,
  ScopeQuery,
  TimelineResponse,
  TrendQuery,
} from "@uns/api-contract";
import { type Store, sumOee } from "@uns/store";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { QualityService } from "../quality/quality-service.js";
import { depthOf } from "../quality/topic-place.js";
import { timeWindow } from "./compliance-routes.js";
import { route } from "./route-schema.js";

export interface QualityRouteServices {
  store: Store;
  quality: QualityService;
}

/** A store argument error is the caller's: 400, not 500. */
async function answer<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const e = err as Error & { code?: string; statusCode?: number };
    if (e.code === "UNS_ERR_STORE_ARGUMENT") {
      e.statusCode = 400;
      e.code = "UNS_ERR_API_VALIDATION";
    }
    throw err;
  }
}

/** A bucket size giving about 200 points over the window, in whole minutes. */
export function autoBucket(from: Date, to: Date): number {
  const s = (to.getTime() - from.getTime()) / 1000 / 200;
  const steps = [60, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400];
  return steps.find((x) => x >= s) ?? 86400;
}

const read = { role: "read" } as const;

/**
 * KPIs from the quality store: OEE per scope (ISO 22400-2 from summed times and counts), trends,
 * state timeline, weld quality per cell, defects (Pareto), check-gate decisions, body trace.
 */
export function registerQualityRoutes(app: FastifyInstance, s: QualityRouteServices): void {
  app.get<{ Querystring: OeeQuery }>(
    "/api/v1/quality/oee",
    {
      config: read,
      schema: route({
        operationId: "getOee",
        reply: OeeResponse,
        summary: "OEE of a scope and of its children (sites, areas or lines) over a window",
        tags: ["quality"],
        querystring: OeeQuery,
      }),
    },
    async (req): Promise<OeeResponse> =>
      answer(async () => {
        const w = timeWindow(req.query);
        const scope = req.query.scope ?? "";
        const depth = req.query.depth ?? Math.min(4, depthOf(scope) + 1);
        const [groups, total] = await Promise.all([
          s.store.oeeBreakdown({ ...w, scope, depth }),
          s.store.oeeBreakdown({ ...w, scope, depth: Math.max(1, depthOf(scope)) }),
        ]);
        const t = scope === "" ? sumOee(total) : (total.find((g) => g.path === scope) ?? sumOee([]));
        return { from: w.from.toISOString(), to: w.to.toISOString(), scope, depth, total: t, groups };
      }),
  );

  app.get<{ Querystring: TrendQuery }>(
    "/api/v1/quality/oee/trend",
    {
      config: read,
      schema: route({
        operationId: "getOeeTrend",
        reply: OeeTrendResponse,
        summary: "OEE trend of a scope, downsampled in the database",
        tags: ["quality"],
        querystring: TrendQuery,
      }),
    },
    async (req): Promise<OeeTrendResponse> =>
      answer(async () => {
        const w = timeWindow(req.query);
        const bucketSeconds = req.query.bucketSeconds ?? autoBucket(w.from, w.to);
        const points = await s.store.oeeSeries({ ...w, scope: req.query.scope ?? "", bucketSeconds });
        return { from: w.from.toISOString(), to: w.to.toISOString(), bucketSeconds, points };
      }),
  );

  app.get<{ Querystring: ScopeQuery }>(
    "/api/v1/quality/oee/shifts",
    {
      config: read,
      schema: route({
        operationId: "getOeeByShift",
        reply: OeeShiftsResponse,
        summary: "OEE per shift of a scope",
        tags: ["quality"],
        querystring: ScopeQuery,
      }),
    },
    async (req): Promise<OeeShiftsResponse> =>
      answer(async () => {
        const w = timeWindow(req.query);
        return { shifts: await s.store.oeeByShift({ ...w, scope: req.query.scope ?? "" }) };
      }),
  );

  app.get<{ Querystring: LineQuery }>(
    "/api/v1/quality/timeline",
    {
      config: read,
      schema: route({
        operationId: "getLineTimeline",
        reply: TimelineResponse,
        summary: "State timeline of a line (unknown where state messages are missing)",
        tags: ["quality"],
        querystring: LineQuery,
      }),
    },
    async (req): Promise<TimelineResponse> =>
      answer(async () => {
        const w = timeWindow(req.query);
        return {
          line: req.query.line,
          intervals: await s.store.lineTimeline({ ...w, line: req.query.line }),
          now: s.quality.kpi.lineState(req.query.line),
        };
      }),
  );

  app.get<{ Querystring: ScopeQuery }>(
    "/api/v1/quality/cells",
    {
      config: read,
      schema: route({
        operationId: "getCellQuality",
        reply: CellsResponse,
        summary: "Weld quality per cell: spots scored, nok, anomaly, nugget diameter, expulsion, tip wear",
        tags: ["quality"],
        querystring: ScopeQuery,
      }),
    },
    async (req): Promise<CellsResponse> =>
      answer(async () => {
        const w = timeWindow(req.query);
        return { cells: await s.store.cellQuality({ ...w, scope: req.query.scope ?? "" }) };
      }),
  );

  app.get<{ Querystring: CellTrendQuery }>(
    "/api/v1/quality/cells/trend",
    {
      config: read,
      schema: route({
        operationId: "getCellTrend",
        reply: CellTrendResponse,
        summary: "Weld quality trend of one cell (tip-wear drift, anomaly rate)",
        tags: ["quality"],
        querystring: CellTrendQuery,
      }),
    },
    async (req): Promise<CellTrendResponse> =>
      answer(async () => {
        const w = timeWindow(req.query);
        const bucketSeconds = req.query.bucketSeconds ?? autoBucket(w.from, w.to);
        return {
          bucketSeconds,
          points: await s.store.cellTrend({
            ...w,
            line: req.query.line,
            cell: req.query.cell,
            bucketSeconds,
          }),
        };
      }),
  );

  app.get<{ Querystring: DefectQuery }>(
    "/api/v1/quality/defects",
    {
      config: read,
      schema: route({
        operationId: "getDefects",
        reply: DefectsResponse,
        summary: "Defects by type (Pareto), optionally by camera/cell",
        tags: ["quality"],
        querystring: DefectQuery,
      }),
    },
    async (req): Promise<DefectsResponse> =>
      answer(async () => {
        const w = timeWindow(req.query);
        return {
          defects: await s.store.tallies({
            ...w,
            scope: req.query.scope ?? "",
            kind: "defect",
            by: req.query.by ?? "name",
          }),
        };
      }),
  );

  app.get<{ Querystring: ScopeQuery }>(
    "/api/v1/quality/gates",
    {
      config: read,
      schema: route({
        operationId: "getGates",
        reply: GatesResponse,
        summary: "Check-gate decisions per gate (continue, correct, scrap)",
        tags: ["quality"],
        querystring: ScopeQuery,
      }),
    },
    async (req): Promise<GatesResponse> =>
      answer(async () => {
        const w = timeWindow(req.query);
        return {
          gates: await s.store.tallies({ ...w, scope: req.query.scope ?? "", kind: "gate", by: "source" }),
        };
      }),
  );

  app.get<{ Querystring: DecisionQuery }>(
    "/api/v1/quality/gates/decisions",
    {
      config: read,
      schema: route({
        operationId: "getGateDecisions",
        reply: DecisionsResponse,
        summary: "The bodies behind the gate decisions, newest first",
        tags: ["quality"],
        querystring: DecisionQuery,
      }),
    },
    async (req): Promise<DecisionsResponse> =>
      answer(async () => {
        const w = timeWindow(req.query);
        const q = req.query;
        return {
          decisions: await s.store.gateDecisions({
            ...w,
            scope: q.scope ?? "",
            limit: q.limit ?? 100,
            ...(q.gate ? { gate: q.gate } : {}),
            ...(q.decision ? { decision: q.decision } : {}),
          }),
        };
      }),
  );

  app.get<{ Params: BodyParams }>(
    "/api/v1/quality/bodies/:bodyId",
    {
      config: read,
      schema: route({
        operationId: "getBody",
        reply: BodyResponse,
        errors: [400, 404, 500],
        summary: "Everything known about a body: spot results, splatter images, gate decisions",
        tags: ["quality"],
        params: BodyParams,
      }),
    },
    async (req, reply): Promise<BodyResponse | FastifyReply> =>
      answer(async () => {
        const events = await s.store.bodyTrace(req.params.bodyId);
        if (events.length === 0)
          return reply.status(404).send({
            error: {
              code: "UNS_ERR_API_NOT_FOUND",
              message: `nothing is known about body ${req.params.bodyId}`,
            },
          });
        return { bodyId: req.params.bodyId, events };
      }),
  );

  app.get(
    "/api/v1/quality/lines",
    {
      config: read,
      schema: route({
        operationId: "getQualityLines",
        reply: QualityLinesResponse,
        summary: "Lines the server has seen and their current state",
        tags: ["quality"],
      }),
    },
    async (): Promise<QualityLinesResponse> => ({
      // lines() names only lines with a state, so flatMap drops nothing.
      lines: s.quality.kpi.lines().flatMap((line) => {
        const now = s.quality.kpi.lineState(line);
        return now ? [{ line, ...now }] : [];
      }),
    }),
  );
}
