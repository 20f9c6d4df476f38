import type { FastifyInstance } from "fastify";
import type { HealthReport } from "./app.js";

/**
 * Liveness and readiness for orchestrators and load balancers: answered without a login, so they
 * say only yes or no per part (the detailed report is /api/v1/health, behind a login).
 */
export function registerHealthRoutes(
  app: FastifyInstance,
  health: () => HealthReport,
  contractsLoaded: () => boolean,
): void {
  app.get(
    "/healthz",
    { config: { role: "public" }, schema: { summary: "Liveness: the process answers", hide: false } },
    async () => ({ status: "alive" }),
  );
  app.get(
    "/readyz",
    {
      config: { role: "public" },
      schema: {
        summary: "Readiness: database reachable, contracts loaded, workers and broker up; 503 otherwise",
      },
    },
    async (_req, reply) => {
      const h = health();
      const checks = {
        database: h.database.up,
        contracts: contractsLoaded(),
        workers: h.workers.up,
        broker: h.broker.up,
      };
      const ready = Object.values(checks).every(Boolean);
      return reply.status(ready ? 200 : 503).send({ status: ready ? "ready" : "not-ready", checks });
    },
  );
}
