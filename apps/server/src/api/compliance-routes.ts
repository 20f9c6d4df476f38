import { MAX_BUCKETS, operations, routeSchema } from "@uns/api-contract";
import { createError } from "../errors.js";
import type { ApiApp, ApiServices } from "./app.js";
import { notFound } from "./app.js";
import { publisherStreakFilter, summaryStreakFilter, withStreaks } from "./streaks.js";

interface WindowQuery {
  from?: string;
  to?: string;
}

function badRequest(message: string) {
  return createError("UNS_ERR_API_VALIDATION", message, { statusCode: 400 });
}

/** Parses the window; `to` defaults to now and `from` to 24 h before it. */
export function timeWindow(q: WindowQuery): { from: Date; to: Date } {
  const to = q.to ? new Date(q.to) : new Date();
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - 24 * 3600_000);
  if (from > to) throw badRequest(`from (${from.toISOString()}) must be before to (${to.toISOString()})`);
  return { from, to };
}

const iso = (w: { from: Date; to: Date }) => ({ from: w.from.toISOString(), to: w.to.toISOString() });

/** About 60 points whatever the window, on whole minutes (counts are kept per minute). */
const defaultBucket = (spanSeconds: number) => Math.max(60, Math.ceil(spanSeconds / 60 / 60) * 60);

/**
 * The window fitted to the data (issue 13, item 6: a fresh install with 10 minutes of data shows
 * those minutes in fine buckets, not squeezed into the last of 60 buckets of 24 h). Finds the first
 * message with a coarse pass (at most ~1,000 buckets); when it lies in the later half of the
 * window, the window starts at the start of that coarse bucket. Otherwise, or without data, it is
 * unchanged.
 */
async function fitWindow(
  s: ApiServices,
  w: { from: Date; to: Date },
  filter: { topicPrefix?: string; channel?: string; clientId?: string },
): Promise<{ from: Date; to: Date }> {
  const spanMs = w.to.getTime() - w.from.getTime();
  const coarse = Math.max(60, Math.ceil(spanMs / 1000 / 1000 / 60) * 60);
  if (spanMs / 1000 / coarse > MAX_BUCKETS) return w;
  const points = await s.store.timeseries({ ...w, bucketSeconds: coarse, ...filter });
  const first = points.find((p) => p.valid + p.invalid + p.unvalidated + p.ungoverned > 0);
  if (!first) return w;
  const firstMs = Math.max(w.from.getTime(), Date.parse(first.t));
  if (firstMs - w.from.getTime() <= spanMs / 2) return w;
  // The coarse bucket's start is at or before the first message: the chart shows where it began.
  return { from: new Date(firstMs), to: w.to };
}

export function registerComplianceRoutes(app: ApiApp, s: ApiServices): void {
  app.get(
    operations.totals.url,
    { config: { role: "read" }, schema: routeSchema(operations.totals) },
    async (req) => {
      const w = timeWindow(req.query);
      const totals = await s.store.totals({
        ...w,
        topicPrefix: req.query.topicPrefix,
        channel: req.query.channel,
        clientId: req.query.clientId,
      });
      return { ...iso(w), ...totals, live: s.live.totals() };
    },
  );

  app.get(
    operations.summary.url,
    { config: { role: "read" }, schema: routeSchema(operations.summary) },
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
      const { by, topicPrefix, channel } = req.query;
      const withSince = await withStreaks(s.store, w, rows, summaryStreakFilter(by, topicPrefix, channel));
      return { ...iso(w), by, sort: req.query.sort ?? "total", rows: withSince };
    },
  );

  app.get(
    operations.timeseries.url,
    { config: { role: "read" }, schema: routeSchema(operations.timeseries) },
    async (req) => {
      const filter = {
        topicPrefix: req.query.topicPrefix,
        channel: req.query.channel,
        clientId: req.query.clientId,
      };
      const asked = timeWindow(req.query);
      const w = req.query.fit ? await fitWindow(s, asked, filter) : asked;
      const fitted = w.from.getTime() !== asked.from.getTime();
      const span = (w.to.getTime() - w.from.getTime()) / 1000;
      const bucketSeconds = req.query.bucketSeconds ?? defaultBucket(span);
      const buckets = Math.ceil(span / bucketSeconds);
      if (buckets > MAX_BUCKETS)
        throw badRequest(
          `bucketSeconds: ${bucketSeconds} s over a window of ${Math.round(span)} s gives ${buckets} buckets; at most ${MAX_BUCKETS} (use a larger bucketSeconds or a shorter window)`,
        );
      const points = await s.store.timeseries({ ...w, bucketSeconds, ...filter });
      return { ...iso(w), bucketSeconds, fitted, points };
    },
  );

  app.get(
    operations.violations.url,
    { config: { role: "read" }, schema: routeSchema(operations.violations) },
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
  app.get(
    operations.violationKinds.url,
    { config: { role: "read" }, schema: routeSchema(operations.violationKinds) },
    async (req) => {
      const w = timeWindow(req.query);
      return { ...iso(w), kinds: await s.store.violationKinds(w) };
    },
  );

  app.get(
    operations.violation.url,
    { config: { role: "read" }, schema: routeSchema(operations.violation) },
    async (req) => {
      const v = await s.store.getViolation(req.params.id);
      if (!v) throw notFound(`no violation with id ${req.params.id}`);
      const channel = v.channel ? s.governance.current.fullChannel(v.channel) : undefined;
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

  app.get(
    operations.publishers.url,
    { config: { role: "read" }, schema: routeSchema(operations.publishers) },
    async (req) => {
      const w = timeWindow(req.query);
      const { topicPrefix, channel } = req.query;
      const rows = await s.store.publishers({
        ...w,
        topicPrefix: req.query.topicPrefix,
        channel: req.query.channel,
        sort: req.query.sort ?? "invalid",
        limit: req.query.limit ?? 100,
      });
      const since = await withStreaks(s.store, w, rows, publisherStreakFilter(topicPrefix, channel));
      return { ...iso(w), rows: since };
    },
  );

  app.get(
    "/api/v1/stream",
    {
      config: { role: "read" },
      schema: {
        operationId: "streamEvents",
        tags: ["stream"],
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
