import "./route-role.js";
import {
  AlertActionBody,
  AlertActionResponse,
  AlertDetailResponse,
  AlertListQuery,
  AlertListResponse,
  AlertParams,
  AlertRulesResponse,
} from "@uns/api-contract";
import type { Store } from "@uns/store";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { QualityService } from "../quality/quality-service.js";
import { route } from "./route-schema.js";

export interface AlertRouteServices {
  store: Store;
  quality: QualityService;
}

/**
 * Who acts: the logged-in user. A name sent in the body (`actor`) is only used by a caller the
 * login plugin did not identify, which the role check does not let through; it cannot be used
 * to act in someone else's name.
 */
function actorOf(req: FastifyRequest, given: string | undefined): string {
  const caller = (req as unknown as { caller?: { username?: string } | null }).caller;
  return caller ? (caller.username ?? "anonymous") : (given ?? "anonymous");
}

/**
 * Alerts: list, detail with history, and people's actions. Acting needs only the read role:
 * operators on the floor acknowledge, take, comment and shelve alerts without being
 * administrators; every action is stored with who did it, so the history answers for it.
 */
export function registerAlertRoutes(app: FastifyInstance, s: AlertRouteServices): void {
  app.get<{ Querystring: AlertListQuery }>(
    "/api/v1/alerts",
    {
      config: { role: "read" },
      schema: route({
        operationId: "listAlerts",
        reply: AlertListResponse,
        errors: [400, 500],
        summary: "Alerts, newest first (rules and device alarms)",
        tags: ["alerts"],
        querystring: AlertListQuery,
      }),
    },
    async (req): Promise<AlertListResponse> => {
      const q = req.query;
      let alerts = await s.store.listAlerts({
        limit: q.limit ?? 200,
        ...(q.state ? { state: q.state } : {}),
        ...(q.severity ? { severity: q.severity } : {}),
        ...(q.scope ? { scope: q.scope } : {}),
        ...(q.ruleId ? { ruleId: q.ruleId } : {}),
        ...(q.assignee ? { assignee: q.assignee } : {}),
      });
      if (q.shelved === false)
        alerts = alerts.filter((a) => !a.shelvedUntil || Date.parse(a.shelvedUntil) <= Date.now());
      return { alerts };
    },
  );

  app.get(
    "/api/v1/alerts/rules",
    {
      config: { role: "read" },
      schema: route({
        operationId: "getAlertRules",
        reply: AlertRulesResponse,
        errors: [500],
        summary: "The alert rules in use and the problems of the rules file",
        tags: ["alerts"],
      }),
    },
    async (): Promise<AlertRulesResponse> => {
      const r = s.quality.alerts.rules();
      return { loadedAt: r.loadedAt, rules: r.rules, problems: r.problems, stats: s.quality.alerts.stats() };
    },
  );

  app.get<{ Params: AlertParams }>(
    "/api/v1/alerts/:id",
    {
      config: { role: "read" },
      schema: route({
        operationId: "getAlert",
        reply: AlertDetailResponse,
        errors: [400, 404, 500],
        summary: "One alert with its full history",
        tags: ["alerts"],
        params: AlertParams,
      }),
    },
    async (req, reply): Promise<AlertDetailResponse | FastifyReply> => {
      const a = await s.store.getAlert(req.params.id);
      if (!a)
        return reply
          .status(404)
          .send({ error: { code: "UNS_ERR_API_NOT_FOUND", message: `no alert ${req.params.id}` } });
      return a;
    },
  );

  app.post<{ Params: AlertParams; Body: AlertActionBody }>(
    "/api/v1/alerts/:id/actions",
    {
      config: { role: "read" },
      schema: route({
        operationId: "actOnAlert",
        reply: AlertActionResponse,
        errors: [400, 404, 409, 500],
        summary:
          "Acknowledge, assign, comment, shelve, unshelve or clear an alert (409 when it changed meanwhile)",
        tags: ["alerts"],
        params: AlertParams,
        body: AlertActionBody,
      }),
    },
    async (req): Promise<AlertActionResponse> => {
      const b = req.body;
      const alert = await s.quality.alerts.act(req.params.id, {
        action: b.action,
        version: b.version,
        actor: actorOf(req, b.actor),
        ...(b.comment !== undefined ? { comment: b.comment } : {}),
        ...(b.assignee !== undefined ? { assignee: b.assignee } : {}),
        ...(b.durationMinutes !== undefined ? { durationMs: b.durationMinutes * 60_000 } : {}),
      });
      return { alert };
    },
  );
}
