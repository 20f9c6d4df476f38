import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import fastifySwagger from "@fastify/swagger";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { type HealthReport, operations, routeSchema } from "@uns/api-contract";
import type { Store } from "@uns/store";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from "fastify";
import { createError } from "../errors.js";
import type { Governance } from "../governance.js";
import type { LiveStats } from "../live-stats.js";
import type { Metrics } from "../metrics.js";
import { registerAuthRoutes } from "./auth/auth-routes.js";
import { type AuthContext, openApiSecurity, registerAuth } from "./auth/plugin.js";
import { registerTokenRoutes } from "./auth/tokens-routes.js";
import { registerUsersRoutes } from "./auth/users-routes.js";
import { checkResponses } from "./check-responses.js";
import { registerComplianceRoutes } from "./compliance-routes.js";
import { installErrorHandling, sendError } from "./error-handler.js";
import { registerGovernanceRoutes } from "./governance-routes.js";
import { registerHealthRoutes } from "./health-routes.js";

export type { HealthReport };

/** The Fastify instance routes are registered on: schemas from @uns/api-contract type the handlers. */
export type ApiApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface ApiServices {
  store: Store;
  governance: Governance;
  live: LiveStats;
  metrics: Metrics;
  health: () => HealthReport;
  publicConfig: { timeZone: string; mqttWebSocketPath: string; version: string };
  /** Sessions, guessing limits and password policy (see api/auth/plugin.ts). */
  auth: AuthContext;
  /** Where users.yaml lives (users are managed through the API). */
  topicsDir: string;
  /** Fastify options for HTTPS (`https: { key, cert, ... }`), when TLS is on. */
  https?: object;
  /** Extra routes (Sparkplug) registered by their owners. */
  extraRoutes?: ((app: ApiApp) => void)[];
}

export interface ApiOptions {
  logger?: boolean | object;
  /** Check every reply against its response schema (tests): a mismatch is a 500 naming it. */
  checkResponses?: boolean;
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
export async function buildApi(services: ApiServices, options: ApiOptions = {}): Promise<ApiApp> {
  const app = Fastify({
    logger: (options.logger ?? false) as never,
    // Open event streams and keep-alive sockets would hold close() (and SIGTERM) for minutes.
    forceCloseConnections: true,
    ...(services.https ? { https: services.https } : {}),
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  if (options.checkResponses) checkResponses(app);

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: "UNS server API",
        version: services.publicConfig.version,
        description: "Compliance of the Unified Namespace against its AsyncAPI contracts",
      },
      ...openApiSecurity,
      tags: [
        { name: "system", description: "Health and settings" },
        { name: "compliance", description: "Counts, summaries and trends of outcomes" },
        { name: "violations", description: "Violations in full" },
        { name: "governance", description: "Contracts, the topic tree and users" },
        { name: "sparkplug", description: "Sparkplug B state" },
        { name: "cluster", description: "Clustered mode: the nodes sharing one Redis" },
        { name: "stream", description: "Live events" },
      ],
    },
  });

  installErrorHandling(app);

  const access = () => services.governance.current.access;
  const authDeps = { auth: services.auth, access, store: services.store };
  registerAuth(app, authDeps);
  registerHealthRoutes(
    app as never,
    services.health,
    () => services.governance.current.contracts !== undefined,
  );
  registerAuthRoutes(app, authDeps);
  registerUsersRoutes(app, {
    ...authDeps,
    topicsDir: services.topicsDir,
    reloadTopics: () => services.governance.reload("topics"),
  });
  registerTokenRoutes(app, authDeps);

  app.get(
    operations.health.url,
    { config: { role: "read" }, schema: routeSchema(operations.health) },
    async (_req, reply) => {
      const h = services.health();
      // 503 when a part is down; governance problems (a held channel, a failed reload) make the
      // status "degraded" but the broker still serves, so orchestrators must not restart it.
      // A cluster node that cannot reach Redis refuses clients, so load balancers must skip it.
      const down = !h.broker.up || !h.database.up || !h.workers.up || h.cluster?.redis.up === false;
      return reply.status(down ? 503 : 200).send(h);
    },
  );

  app.get(
    operations.config.url,
    { config: { role: "read" }, schema: routeSchema(operations.config) },
    async () => services.publicConfig,
  );

  registerComplianceRoutes(app, services);
  registerGovernanceRoutes(app, services);
  for (const add of services.extraRoutes ?? []) add(app);

  app.get("/api/v1/openapi.json", { config: { role: "read" }, schema: { hide: true } }, async () =>
    app.swagger(),
  );

  app.get("/metrics", { config: { role: "read" }, schema: { hide: true } }, async (_req, reply) => {
    reply.header("content-type", services.metrics.registry.contentType);
    return services.metrics.registry.metrics();
  });

  const dir = consoleDir();
  if (dir) {
    // The console's files hold no plant data and must load for the login page: public.
    await app.register(async (child) => {
      child.addHook("onRoute", (route) => {
        route.config = { ...route.config, role: "public" };
      });
      await child.register(fastifyStatic, { root: dir, prefix: "/", wildcard: false });
    });
  }
  app.setNotFoundHandler((request, reply) => {
    if (request.method === "GET" && !request.url.startsWith("/api/") && dir) {
      // Client-side routes of the console: let the app route them. (sendFile is not decorated
      // here: the static files are registered in their own, public, context.)
      return reply.type("text/html").send(readFileSync(`${dir}index.html`));
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

export function notFound(what: string) {
  return createError("UNS_ERR_API_NOT_FOUND", what);
}
