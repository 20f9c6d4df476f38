import type { FastifyInstance } from "fastify";
import type { ApiServices } from "./app.js";
import { notFound } from "./app.js";

const window = {
  from: {
    type: "string",
    format: "date-time",
    description: "Start of the window (ISO 8601); default: 24 h before `to`",
  },
  to: { type: "string", format: "date-time", description: "End of the window (ISO 8601); default: now" },
} as const;
const filters = {
  topicPrefix: {
    type: "string",
    maxLength: 1024,
    description: "Topic subtree, e.g. acme/neckarsulm/ (plain prefix, no wildcards)",
  },
  channel: { type: "string", maxLength: 256, description: "AsyncAPI channel id" },
  clientId: { type: "string", maxLength: 256, description: "MQTT client id of the publisher" },
} as const;

interface WindowQuery {
  from?: string;
  to?: string;
}

/** Parses the window; `to` defaults to now and `from` to 24 h before it. */
export function timeWindow(q: WindowQuery): { from: Date; to: Date } {
  const to = q.to ? new Date(q.to) : new Date();
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - 24 * 3600_000);
  if (from > to) {
    const err = new Error(`from (${from.toISOString()}) must be before to (${to.toISOString()})`) as Error & {
      statusCode: number;
      code: string;
    };
    err.statusCode = 400;
    err.code = "UNS_ERR_API_VALIDATION";
    throw err;
  }
  return { from, to };
}

const querySchema = (props: Record<string, unknown>, required: string[] = []) => ({
  type: "object",
  additionalProperties: false,
  properties: props,
  required,
});

export function registerComplianceRoutes(app: FastifyInstance, s: ApiServices): void {
  app.get<{ Querystring: WindowQuery & { topicPrefix?: string; channel?: string; clientId?: string } }>(
    "/api/v1/compliance/totals",
    {
      config: { role: "read" },
      schema: {
        summary: "Counts of valid, invalid, unvalidated and ungoverned messages in a window",
        querystring: querySchema({ ...window, ...filters }),
      },
    },
    async (req) => {
      const w = timeWindow(req.query);
      const totals = await s.store.totals({
        ...w,
        topicPrefix: req.query.topicPrefix,
        channel: req.query.channel,
        clientId: req.query.clientId,
      });
      return { from: w.from.toISOString(), to: w.to.toISOString(), ...totals, live: s.live.totals() };
    },
  );

  app.get<{
    Querystring: WindowQuery & {
      by: "channel" | "topic" | "publisher" | "level";
      depth?: number;
      topicPrefix?: string;
      channel?: string;
      sort?: "total" | "invalid" | "complianceRate";
      limit?: number;
    };
  }>(
    "/api/v1/compliance/summary",
    {
      config: { role: "read" },
      schema: {
        summary:
          "Compliance by channel, topic, publisher or topic level (site, area, line, cell) over a window",
        querystring: querySchema(
          {
            ...window,
            by: { type: "string", enum: ["channel", "topic", "publisher", "level"] },
            depth: {
              type: "integer",
              minimum: 1,
              maximum: 12,
              description: "For by=level: how many topic levels to group by",
            },
            topicPrefix: filters.topicPrefix,
            channel: filters.channel,
            sort: {
              type: "string",
              enum: ["total", "invalid", "complianceRate"],
              default: "total",
              description:
                "Row order: total (most messages first), invalid (most invalid first), complianceRate (lowest first; rows with nothing validated last)",
            },
            limit: { type: "integer", minimum: 1, maximum: 1000, default: 100 },
          },
          ["by"],
        ),
      },
    },
    async (req) => {
      const w = timeWindow(req.query);
      const rows = await s.store.summaryBy({
        ...w,
        by: req.query.by,
        depth: req.query.depth,
        topicPrefix: req.query.topicPrefix,
        channel: req.query.channel,
        sort: req.query.sort,
        limit: req.query.limit,
      });
      return {
        from: w.from.toISOString(),
        to: w.to.toISOString(),
        by: req.query.by,
        sort: req.query.sort ?? "total",
        rows,
      };
    },
  );

  app.get<{
    Querystring: WindowQuery & {
      bucketSeconds?: number;
      topicPrefix?: string;
      channel?: string;
      clientId?: string;
    };
  }>(
    "/api/v1/compliance/timeseries",
    {
      config: { role: "read" },
      schema: {
        summary: "Counts per time bucket over a window (trend chart)",
        querystring: querySchema({
          ...window,
          bucketSeconds: { type: "integer", minimum: 60, maximum: 86400 * 7 },
          ...filters,
        }),
      },
    },
    async (req) => {
      const w = timeWindow(req.query);
      const span = (w.to.getTime() - w.from.getTime()) / 1000;
      // About 60 points whatever the window, on whole minutes (counts are kept per minute).
      const bucketSeconds = req.query.bucketSeconds ?? Math.max(60, Math.ceil(span / 60 / 60) * 60);
      const points = await s.store.timeseries({
        ...w,
        bucketSeconds,
        topicPrefix: req.query.topicPrefix,
        channel: req.query.channel,
        clientId: req.query.clientId,
      });
      return { from: w.from.toISOString(), to: w.to.toISOString(), bucketSeconds, points };
    },
  );

  app.get<{
    Querystring: WindowQuery & {
      topicPrefix?: string;
      channel?: string;
      clientId?: string;
      kind?: string;
      cursor?: string;
      limit?: number;
    };
  }>(
    "/api/v1/violations",
    {
      config: { role: "read" },
      schema: {
        summary: "Violations, newest first, with filters and cursor pagination",
        querystring: querySchema({
          ...window,
          ...filters,
          kind: { type: "string", maxLength: 64 },
          cursor: { type: "string", maxLength: 512, description: "nextCursor of the previous page" },
          limit: { type: "integer", minimum: 1, maximum: 500, default: 50 },
        }),
      },
    },
    async (req) => {
      const q = req.query;
      return s.store.listViolations({
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
        topicPrefix: q.topicPrefix,
        channel: q.channel,
        clientId: q.clientId,
        kind: q.kind,
        cursor: q.cursor,
        limit: q.limit ?? 50,
      });
    },
  );

  // A static path: find-my-way tries it before the parametric /violations/:id.
  app.get<{ Querystring: WindowQuery }>(
    "/api/v1/violations/kinds",
    {
      config: { role: "read" },
      schema: {
        summary:
          "The kinds of violation in a window (schema, not-json, acl, topic, sparkplug, ...) with counts",
        querystring: querySchema({ ...window }),
      },
    },
    async (req) => {
      const w = timeWindow(req.query);
      return {
        from: w.from.toISOString(),
        to: w.to.toISOString(),
        kinds: await s.store.violationKinds(w),
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    "/api/v1/violations/:id",
    {
      config: { role: "read" },
      schema: {
        summary:
          "One violation in full: errors, payload, the schema that failed, similar violations elsewhere",
        params: {
          type: "object",
          properties: { id: { type: "string", pattern: "^[0-9]{1,18}$" } },
          required: ["id"],
        },
      },
    },
    async (req) => {
      const v = await s.store.getViolation(req.params.id);
      if (!v) throw notFound(`no violation with id ${req.params.id}`);
      const channel = v.channel ? s.governance.current.channels.get(v.channel) : undefined;
      const similar = await s.store.similarViolations(req.params.id, 20);
      return {
        violation: v,
        channel: channel
          ? {
              id: channel.id,
              address: channel.address,
              file: channel.file,
              version: channel.version,
              title: channel.title,
              messages: channel.messages.map((m) => ({ name: m.name, payload: m.payload })),
            }
          : null,
        similar,
      };
    },
  );

  app.get<{
    Querystring: WindowQuery & {
      topicPrefix?: string;
      channel?: string;
      sort?: "invalid" | "invalidShare" | "lastViolation" | "messages";
      limit?: number;
    };
  }>(
    "/api/v1/publishers",
    {
      config: { role: "read" },
      schema: {
        summary:
          "The failing-clients list: per publisher messages, invalid share, first and last violation, channels broken",
        description:
          "Messages and invalid counts are for the window, narrowed to the topic subtree and channel when given; first and last violation and channels broken are all-time.",
        querystring: querySchema({
          ...window,
          topicPrefix: filters.topicPrefix,
          channel: filters.channel,
          sort: {
            type: "string",
            enum: ["invalid", "invalidShare", "lastViolation", "messages"],
            default: "invalid",
          },
          limit: { type: "integer", minimum: 1, maximum: 1000, default: 100 },
        }),
      },
    },
    async (req) => {
      const w = timeWindow(req.query);
      return {
        from: w.from.toISOString(),
        to: w.to.toISOString(),
        rows: await s.store.publishers({
          ...w,
          topicPrefix: req.query.topicPrefix,
          channel: req.query.channel,
          sort: req.query.sort ?? "invalid",
          limit: req.query.limit ?? 100,
        }),
      };
    },
  );

  app.get(
    "/api/v1/stream",
    {
      config: { role: "read" },
      schema: {
        summary:
          "Server-sent events: `violation` for each new violation, `rates` every second (messages/s by outcome)",
      },
    },
    (req, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      });
      res.write(": connected\n\n");
      // At most 50 violation events a second per listener: a flood must not stall the broker's loop.
      let sentThisSecond = 0;
      let dropped = 0;
      const onViolation = (v: unknown) => {
        if (sentThisSecond++ < 50) res.write(`event: violation\ndata: ${JSON.stringify(v)}\n\n`);
        else dropped++;
      };
      const timer = setInterval(() => {
        res.write(
          `event: rates\ndata: ${JSON.stringify({ at: new Date().toISOString(), perSecond: s.live.rates(5), totals: s.live.totals(), violationsNotStreamed: dropped })}\n\n`,
        );
        sentThisSecond = 0;
        dropped = 0;
      }, 1000);
      s.live.events.on("violation", onViolation);
      req.raw.on("close", () => {
        clearInterval(timer);
        s.live.events.off("violation", onViolation);
      });
    },
  );
}
