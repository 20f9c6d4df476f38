import "./route-role.js";
import { Readable } from "node:stream";
import { clientOperations, type ExportQuery, type ExportTable } from "@uns/api-contract";
import type { Store } from "@uns/store";
import type { FastifyInstance } from "fastify";
import type { ClientRegistry } from "../clients/client-registry.js";
import { type ClientRouteServices, clientsWithCompliance } from "./client-routes.js";
import { timeWindow } from "./compliance-routes.js";
import { type Cell, csvLine } from "./csv.js";
import { publisherStreakFilter, summaryStreakFilter, withStreaks } from "./streaks.js";

export interface ExportServices {
  store: Store;
  clients: ClientRegistry;
}

type Row = Record<string, unknown>;
interface Table {
  columns: string[];
  /** Rows in pages, so a large export never sits in memory whole. */
  pages(q: ExportQuery): AsyncGenerator<Row[]>;
}

const PAGE = 500;
// The store answers at most 10 000 aggregated rows per query (publishers, summary).
const AGGREGATE_MAX = 10_000;

function tables(s: ExportServices & ClientRouteServices): Record<ExportTable, Table> {
  return {
    violations: {
      columns: [
        "id",
        "time",
        "clientId",
        "username",
        "topic",
        "channel",
        "contractFile",
        "contractVersion",
        "messageName",
        "kind",
        "policy",
        "errors",
        "payloadSize",
        "payloadTruncated",
      ],
      async *pages(q) {
        let cursor: string | undefined;
        let left = q.limit ?? 100_000;
        do {
          const page = await s.store.listViolations({
            from: q.from ? new Date(q.from) : undefined,
            to: q.to ? new Date(q.to) : undefined,
            topicPrefix: q.topicPrefix,
            channel: q.channel,
            clientId: q.clientId,
            kind: q.kind,
            cursor,
            limit: Math.min(PAGE, left),
          });
          left -= page.items.length;
          yield page.items as unknown as Row[];
          cursor = page.nextCursor ?? undefined;
        } while (cursor && left > 0);
      },
    },
    publishers: {
      columns: [
        "clientId",
        "username",
        "messages",
        "invalid",
        "invalidShare",
        "firstViolation",
        "lastViolation",
        "channels",
        "nonCompliantSince",
      ],
      async *pages(q) {
        const w = timeWindow(q);
        const rows = await s.store.publishers({
          ...w,
          topicPrefix: q.topicPrefix,
          channel: q.channel,
          sort: "invalid",
          limit: Math.min(q.limit ?? AGGREGATE_MAX, AGGREGATE_MAX),
        });
        // As on the Publishers page: looked up for the rows with most invalid messages.
        yield (await withStreaks(
          s.store,
          w,
          rows,
          publisherStreakFilter(q.topicPrefix, q.channel),
        )) as unknown as Row[];
      },
    },
    clients: {
      columns: [
        "clientId",
        "username",
        "roles",
        "address",
        "protocol",
        "keepaliveSeconds",
        "connectedAt",
        "subscriptions",
        "messagesIn",
        "messagesOut",
        "messagesDropped",
        "inPerSecond",
        "outPerSecond",
        "compliance",
      ],
      async *pages(q) {
        yield (await clientsWithCompliance(s, q.q)).clients as unknown as Row[];
      },
    },
    compliance: {
      columns: [
        "key",
        "total",
        "valid",
        "invalid",
        "unvalidated",
        "ungoverned",
        "complianceRate",
        "nonCompliantSince",
      ],
      async *pages(q) {
        const w = timeWindow(q);
        const by = q.by ?? "channel";
        const rows = await s.store.summaryBy({
          ...w,
          by,
          depth: q.depth,
          topicPrefix: q.topicPrefix,
          channel: q.channel,
          limit: Math.min(q.limit ?? AGGREGATE_MAX, AGGREGATE_MAX),
        });
        yield (await withStreaks(
          s.store,
          w,
          rows,
          summaryStreakFilter(by, q.topicPrefix, q.channel),
        )) as unknown as Row[];
      },
    },
  };
}

/** A cell of CSV from any value: lists joined by "; ", objects as compact JSON. */
function cellOf(column: string, v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (column === "errors" && Array.isArray(v))
    return v
      .map(
        (e: { instancePath?: string; message?: string }) => `${e.instancePath || "(payload)"} ${e.message}`,
      )
      .join("; ");
  if (column === "subscriptions" && Array.isArray(v))
    return v.map((x: { topic: string; qos: number }) => `${x.topic} (QoS ${x.qos})`).join("; ");
  if (Array.isArray(v)) return v.join("; ");
  if (typeof v === "object") return JSON.stringify(v);
  return v as Cell;
}

async function* csv(t: Table, q: ExportQuery): AsyncGenerator<string> {
  yield csvLine(t.columns);
  for await (const rows of t.pages(q)) {
    let chunk = "";
    for (const r of rows) chunk += csvLine(t.columns.map((c) => cellOf(c, r[c])));
    if (chunk) yield chunk;
  }
}

async function* json(t: Table, q: ExportQuery): AsyncGenerator<string> {
  yield "[";
  let first = true;
  for await (const rows of t.pages(q)) {
    let chunk = "";
    for (const r of rows) {
      chunk += (first ? "\n" : ",\n") + JSON.stringify(r);
      first = false;
    }
    if (chunk) yield chunk;
  }
  yield "\n]\n";
}

/**
 * GET /api/v1/exports/:table?format=csv|json&<the table's filters>: the rows as a download,
 * written page by page (violations 500 at a time, up to `limit`), so a million violations do not
 * sit in memory. A failure half-way ends the stream early: the header has gone already, so the
 * error is logged and the file is visibly cut short.
 */
export function registerExportRoutes(app: FastifyInstance, s: ExportServices): void {
  const all = tables(s);
  app.get<{ Params: { table: ExportTable }; Querystring: ExportQuery }>(
    "/api/v1/exports/:table",
    { config: { role: "read" }, schema: clientOperations.exportTable },
    async (req, reply) => {
      const q = req.query;
      const t = all[req.params.table];
      // Check the window before the first byte goes, so a bad one is a 400, not a cut-off file.
      if (req.params.table === "publishers" || req.params.table === "compliance") timeWindow(q);
      const format = q.format ?? "csv";
      const stamp = new Date().toISOString().replace(/[:.]/g, "-");
      const gen = format === "csv" ? csv(t, q) : json(t, q);
      const stream = Readable.from(gen);
      stream.on("error", (err) => req.log.error({ err: err.message }, "export stopped"));
      return reply
        .header("content-disposition", `attachment; filename="uns-${req.params.table}-${stamp}.${format}"`)
        .type(format === "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8")
        .send(stream);
    },
  );
}
