import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import fastifySwagger from "@fastify/swagger";
import type { UnsError } from "@uns/contracts";
import type { Store } from "@uns/store";
import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import type { ClusterHealth } from "../cluster/cluster-node.js";
import { createError, type serverErrorCodes } from "../errors.js";
import type { Governance } from "../governance.js";
import type { LiveStats } from "../live-stats.js";
import type { Metrics } from "../metrics.js";
import { registerComplianceRoutes } from "./compliance-routes.js";
import { registerGovernanceRoutes } from "./governance-routes.js";

export interface ApiServices {
  store: Store;
  governance: Governance;
  live: LiveStats;
  metrics: Metrics;
  health: () => HealthReport;
  publicConfig: { timeZone: string; mqttWebSocketPath: string; version: string };
  /** Extra routes (Sparkplug) registered by their owners. */
  extraRoutes?: ((app: FastifyInstance) => void)[];
}

export interface HealthReport {
  status: "ok" | "degraded";
  /** Clustered mode only. */
  cluster?: ClusterHealth;
  broker: { up: boolean; clients: number };
  database: ReturnType<Store["health"]>;
  workers: {
    up: boolean;
    alive: number;
    size: number;
    queued: number;
    inFlight: number;
    capacity: number;
    restarts: number;
  };
}

function sendError(
  reply: FastifyReply,
  status: number,
  code: keyof typeof serverErrorCodes | string,
  message: string,
) {
  return reply.status(status).send({ error: { code, message } });
}

function consoleDir(): string | null {
  const dir = fileURLToPath(new URL("../../../console/dist/", import.meta.url));
  return existsSync(`${dir}index.html`) ? dir : null;
}

/**
 * The HTTP side of the server as one Fastify app: JSON API under /api/v1 (every input checked by
 * a route schema; errors as `{error: {code, message}}`), OpenAPI, Prometheus metrics, and the
 * console's static files at /.
 */
export async function buildApi(
  services: ApiServices,
  logger: boolean | object = false,
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: logger as never,
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, allErrors: false } },
  });

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: "UNS server API",
        version: services.publicConfig.version,
        description: "Compliance of the Unified Namespace against its AsyncAPI contracts",
      },
    },
  });

  app.setErrorHandler(
    (err: Error & { validation?: unknown; statusCode?: number; code?: string }, request, reply) => {
      if (err.validation) return sendError(reply, 400, "UNS_ERR_API_VALIDATION", `${err.message}`);
      const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
      if (status >= 500) request.log.error({ err }, "request failed");
      const code =
        typeof err.code === "string" && err.code.startsWith("UNS_ERR_")
          ? err.code
          : status === 503
            ? "UNS_ERR_API_UNAVAILABLE"
            : status >= 500
              ? "UNS_ERR_API_INTERNAL"
              : "UNS_ERR_API_VALIDATION";
      return sendError(
        reply,
        status,
        code,
        status >= 500 && code === "UNS_ERR_API_INTERNAL" ? "internal error; see the server log" : err.message,
      );
    },
  );

  app.get(
    "/api/v1/health",
    { schema: { summary: "Health of broker, database and workers; 503 when a part is down" } },
    async (_req, reply) => {
      const h = services.health();
      return reply.status(h.status === "ok" ? 200 : 503).send(h);
    },
  );

  app.get(
    "/api/v1/config",
    { schema: { summary: "Settings the console needs (time zone, MQTT over WebSocket path)" } },
    async () => services.publicConfig,
  );

  registerComplianceRoutes(app, services);
  registerGovernanceRoutes(app, services);
  for (const add of services.extraRoutes ?? []) add(app);

  app.get("/api/v1/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  app.get("/metrics", { schema: { hide: true } }, async (_req, reply) => {
    reply.header("content-type", services.metrics.registry.contentType);
    return services.metrics.registry.metrics();
  });

  const dir = consoleDir();
  if (dir) {
    await app.register(fastifyStatic, { root: dir, prefix: "/", wildcard: false });
  }
  app.setNotFoundHandler((request, reply) => {
    if (request.method === "GET" && !request.url.startsWith("/api/") && dir) {
      // Client-side routes of the console: let the app route them.
      return reply.type("text/html").sendFile("index.html");
    }
    if (!dir && request.url === "/") {
      return reply
        .type("text/html")
        .send(
          "<h1>UNS server</h1><p>The console is not built: run <code>pnpm build</code>. The API is at <a href='/api/v1/openapi.json'>/api/v1</a>.</p>",
        );
    }
    return sendError(reply, 404, "UNS_ERR_API_NOT_FOUND", `no route ${request.method} ${request.url}`);
  });

  return app;
}

export function notFound(what: string): UnsError {
  return createError("UNS_ERR_API_NOT_FOUND", what, { statusCode: 404 });
}
