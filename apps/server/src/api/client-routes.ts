import "./route-role.js";
import {
  type ClientHistoryQuery,
  type ClientParams,
  type ClientsQuery,
  clientOperations,
} from "@uns/api-contract";
import type { Store } from "@uns/store";
import type { FastifyInstance } from "fastify";
import type { ClientRegistry, ConnectedClient } from "../clients/client-registry.js";
import { nonCompliantSince } from "../clients/streak.js";
import { notFound } from "./app.js";
import { audit } from "./auth/audit.js";

export interface ClientRouteServices {
  store: Store;
  clients: ClientRegistry;
}

/** Compliance over the last hour; streaks are looked up for at most this many failing clients. */
const COMPLIANCE_WINDOW_MS = 3600_000;
const MAX_STREAK_LOOKUPS = 50;

/**
 * The connected clients with their compliance over the last hour (from the store's per-publisher
 * counts) and, for those failing, since when (per-minute counts, see clients/streak.ts).
 */
export async function clientsWithCompliance(s: ClientRouteServices, q?: string) {
  const to = new Date();
  const from = new Date(to.getTime() - COMPLIANCE_WINDOW_MS);
  const list = s.clients.list(q);
  const rows = list.length ? await s.store.publishers({ from, to, limit: 10_000, sort: "messages" }) : [];
  const byClient = new Map(rows.map((r) => [r.clientId, r]));
  let lookups = 0;
  const clients = await Promise.all(
    list.map(async (c: ConnectedClient) => {
      const r = byClient.get(c.clientId);
      if (!r) return { ...c, compliance: null };
      let since: string | null = null;
      if (r.invalid > 0 && lookups++ < MAX_STREAK_LOOKUPS) {
        const points = await s.store.timeseries({ from, to, bucketSeconds: 60, clientId: c.clientId });
        since = nonCompliantSince(points);
      }
      return {
        ...c,
        compliance: {
          messages: r.messages,
          invalid: r.invalid,
          complianceRate: r.messages ? 1 - r.invalid / r.messages : null,
          nonCompliantSince: since,
        },
      };
    }),
  );
  return { clients, complianceWindow: { from: from.toISOString(), to: to.toISOString() } };
}

/** Clients page: who is connected, what happened to connections, and an admin's disconnect. */
export function registerClientRoutes(app: FastifyInstance, s: ClientRouteServices): void {
  app.get<{ Querystring: ClientsQuery }>(
    "/api/v1/clients",
    { config: { role: "read" }, schema: clientOperations.listClients },
    async (req) => clientsWithCompliance(s, req.query.q),
  );

  app.get<{ Querystring: ClientHistoryQuery }>(
    "/api/v1/clients/history",
    { config: { role: "read" }, schema: clientOperations.clientHistory },
    async (req) =>
      s.clients.history({
        q: req.query.q,
        event: req.query.event,
        before: req.query.before,
        limit: req.query.limit ?? 200,
      }),
  );

  app.post<{ Params: ClientParams }>(
    "/api/v1/clients/:clientId/disconnect",
    { config: { role: "admin" }, schema: clientOperations.disconnectClient },
    async (req) => {
      const { clientId } = req.params;
      const by = req.caller?.username ?? "-";
      if (!s.clients.disconnect(clientId, by)) {
        await audit(s.store, req, { action: "client.disconnect", target: clientId, outcome: "failed" });
        throw notFound(`no connected client with id "${clientId}"`);
      }
      await audit(s.store, req, { action: "client.disconnect", target: clientId });
      return { disconnected: true as const, clientId };
    },
  );
}
