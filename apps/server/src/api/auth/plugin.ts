import { createHash, timingSafeEqual } from "node:crypto";
import { ErrorReply } from "@uns/api-contract";
import type { Access, ApiAccess } from "@uns/contracts";
import type { Store } from "@uns/store";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Counter } from "prom-client";
import type { LoginLimiter } from "./login-limiter.js";
import type { SessionStore } from "./sessions.js";

/**
 * Who may call what over HTTP. Each route declares `config: { role }`:
 *   public  anyone (liveness, readiness, login, the console's static files)
 *   read    a user whose roles give `api: read` or `api: admin` (topics/access.yaml)
 *   admin   a user whose roles give `api: admin`
 *   processor  a user with the MQTT role `processor` (topics/access.yaml): the inference processors
 *           writing the model registry with their own user; no API access level grants it
 * A route that declares nothing needs admin (default deny), so a new route is never open by
 * mistake. Callers prove who they are with the console's session cookie (plus the CSRF header on
 * every state-changing request), HTTP Basic, or an API token (`Authorization: Bearer uns_...`).
 */
export type RouteRole = "public" | "read" | "admin" | "processor";

/** The role of topics/access.yaml that the inference processors log in with. */
export const PROCESSOR_ROLE = "processor";

declare module "fastify" {
  interface FastifyContextConfig {
    role?: RouteRole;
  }
  interface FastifyRequest {
    caller: Caller | null;
  }
}

export interface Caller {
  username: string;
  roles: readonly string[];
  api: ApiAccess | null;
  via: "session" | "basic" | "token";
  tokenId?: number;
  sessionId?: string;
  csrfToken?: string;
}

export interface AuthContext {
  sessions: SessionStore;
  limiter: LoginLimiter;
  /** `uns_auth_failures_total{protocol, reason}` */
  failures: Counter<"protocol" | "reason">;
  sessionTtlMs: number;
  minPasswordLength: number;
  /** Mark the session cookie Secure (the console is served over HTTPS). */
  secureCookies: boolean;
}

export interface AuthDeps {
  auth: AuthContext;
  access: () => Access;
  store: Store;
}

export const SESSION_COOKIE = "uns_session";
export const CSRF_HEADER = "x-csrf-token";
export const TOKEN_PREFIX = "uns_";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const RANK: Record<ApiAccess, number> = { read: 1, admin: 2 };

export const tokenHash = (token: string) => createHash("sha256").update(token).digest("hex");

export function authError(status: number, code: string, message: string) {
  return Object.assign(new Error(message), { statusCode: status, code });
}

function cookie(req: FastifyRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

export function sessionCookie(ctx: AuthContext, id: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${ctx.secureCookies ? "; Secure" : ""}`;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Checks a user name and password with the guessing limits applied; throws 401 / 429 errors.
 * Shared by HTTP Basic and the login route.
 */
export async function checkPassword(
  deps: AuthDeps,
  username: string,
  password: string,
  address: string,
  protocol: "http" | "mqtt",
): Promise<{ username: string; roles: string[] }> {
  const { limiter, failures } = deps.auth;
  const wait = limiter.retryAfterMs(username, address);
  if (wait > 0) {
    failures.inc({ protocol, reason: "locked" });
    throw Object.assign(
      authError(429, "UNS_ERR_AUTH_LOCKED", `too many failed logins; retry in ${Math.ceil(wait / 1000)} s`),
      { retryAfterSeconds: Math.ceil(wait / 1000) },
    );
  }
  const result = await deps.access().authenticate(username, password);
  if (!result.ok) {
    limiter.failed(username, address);
    failures.inc({ protocol, reason: result.reason });
    throw authError(401, "UNS_ERR_AUTH_FAILED", "bad user name or password");
  }
  limiter.succeeded(username);
  return result.user;
}

function callerFor(
  deps: AuthDeps,
  user: { username: string; roles: readonly string[] },
  via: Caller["via"],
): Caller {
  const api = deps.access().apiAccess({ username: user.username, clientId: "", roles: user.roles });
  return { username: user.username, roles: user.roles, api, via };
}

async function identify(deps: AuthDeps, req: FastifyRequest): Promise<Caller | null> {
  const header = req.headers.authorization;
  if (header) {
    const space = header.indexOf(" ");
    const scheme = (space > 0 ? header.slice(0, space) : header).toLowerCase();
    const value = space > 0 ? header.slice(space + 1).trim() : "";
    if (scheme === "basic") {
      const decoded = Buffer.from(value, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon < 1) throw authError(401, "UNS_ERR_AUTH_FAILED", "malformed Basic credentials");
      const user = await checkPassword(
        deps,
        decoded.slice(0, colon),
        decoded.slice(colon + 1),
        req.ip,
        "http",
      );
      return callerFor(deps, user, "basic");
    }
    if (scheme === "bearer" && value.startsWith(TOKEN_PREFIX)) {
      const record = await deps.store.useApiToken(tokenHash(value));
      // The token carries its user's roles as they are now; a removed user's token is dead.
      const user =
        record &&
        deps
          .access()
          .users()
          .find((u) => u.username === record.username);
      if (!record || !user) {
        deps.auth.failures.inc({ protocol: "http", reason: "bad-token" });
        throw authError(401, "UNS_ERR_AUTH_FAILED", "unknown, revoked or expired API token");
      }
      return { ...callerFor(deps, user, "token"), tokenId: record.id };
    }
    throw authError(
      401,
      "UNS_ERR_AUTH_FAILED",
      "unsupported Authorization header; use Basic <base64 user:password> or Bearer uns_<token>",
    );
  }
  const id = cookie(req, SESSION_COOKIE);
  const session = id ? deps.auth.sessions.get(id) : undefined;
  if (!id || !session) return null;
  // Roles come from users.yaml as it is now: a user removed or demoted loses access at once.
  const user = deps
    .access()
    .users()
    .find((u) => u.username === session.username);
  if (!user) return null;
  return { ...callerFor(deps, user, "session"), sessionId: id, csrfToken: session.csrfToken };
}

/**
 * Adds the role check to every route registered after it (call before the routes) and declares
 * the security schemes in the OpenAPI document.
 */
export function registerAuth(app: FastifyInstance, deps: AuthDeps): void {
  app.decorateRequest("caller", null);
  app.addHook("onRoute", (route) => {
    const role = route.config?.role ?? "admin";
    route.config = { ...route.config, role };
    if (route.schema && role === "public") (route.schema as { security?: unknown[] }).security = [];
    if (route.schema) describeRoute(route);
  });
  app.addHook("onRequest", async (req, reply: FastifyReply) => {
    // Unknown paths go to the not-found handler, which answers a JSON 404 (or the console's page).
    if (req.is404) return;
    const role = req.routeOptions.config.role ?? "admin";
    let caller: Caller | null = null;
    try {
      caller = await identify(deps, req);
    } catch (err) {
      if (role === "public") return; // a public route answers whatever the credentials
      const e = err as { retryAfterSeconds?: number };
      if (e.retryAfterSeconds) reply.header("retry-after", String(e.retryAfterSeconds));
      throw err;
    }
    req.caller = caller;
    if (role === "public") return;
    if (!caller) {
      reply.header("www-authenticate", 'Bearer realm="uns"');
      throw authError(401, "UNS_ERR_AUTH_REQUIRED", "log in first (session cookie, Basic or API token)");
    }
    if (caller.via === "session" && !SAFE_METHODS.has(req.method)) {
      const sent = req.headers[CSRF_HEADER];
      if (typeof sent !== "string" || !caller.csrfToken || !sameSecret(sent, caller.csrfToken)) {
        throw authError(403, "UNS_ERR_AUTH_CSRF", `missing or wrong ${CSRF_HEADER} header`);
      }
    }
    if (role === "processor") {
      if (caller.roles.includes(PROCESSOR_ROLE)) return;
      throw authError(
        403,
        "UNS_ERR_AUTH_FORBIDDEN",
        `${req.method} ${req.routeOptions.url} is for the inference processors (role "${PROCESSOR_ROLE}"); user ${caller.username} does not have it`,
      );
    }
    if (!caller.api || RANK[caller.api] < RANK[role]) {
      throw authError(
        403,
        "UNS_ERR_AUTH_FORBIDDEN",
        `${req.method} ${req.routeOptions.url} needs API access "${role}"; user ${caller.username} has ${caller.api ? `"${caller.api}"` : "none"}`,
      );
    }
  });
}

const anyObject = { type: "object", additionalProperties: true } as const;

/**
 * The auth, users, tokens, audit and health routes are described here (not in @uns/api-contract,
 * yet): an operation id from the method and path, a tag, and the shared error reply.
 */
function describeRoute(route: { method: string | string[]; url: string; schema?: object }): void {
  const schema = route.schema as {
    hide?: boolean;
    operationId?: string;
    tags?: string[];
    response?: Record<number, unknown>;
  };
  if (schema.hide || schema.operationId) return;
  const method = (Array.isArray(route.method) ? route.method[0]! : route.method).toLowerCase();
  if (method === "head") return;
  const words = route.url
    .replace(/^\/api\/v1\//, "")
    .split(/[/:-]/)
    .filter(Boolean);
  schema.operationId =
    route.url === "/api/v1/users" && method === "get"
      ? "listUsers"
      : method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");
  schema.tags ??= [route.url.startsWith("/api/") ? "security" : "system"];
  schema.response ??= {
    200: anyObject,
    201: anyObject,
    ...Object.fromEntries([400, 401, 403, 404, 409, 429, 500, 503].map((c) => [c, ErrorReply])),
  };
}

/** The OpenAPI security schemes, for @fastify/swagger. */
export const openApiSecurity = {
  components: {
    securitySchemes: {
      session: { type: "apiKey" as const, in: "cookie", name: SESSION_COOKIE },
      basic: { type: "http" as const, scheme: "basic" },
      token: {
        type: "http" as const,
        scheme: "bearer",
        description: "An API token (uns_...) made by an admin",
      },
    },
  },
  security: [{ session: [] }, { basic: [] }, { token: [] }] as Record<string, string[]>[],
};
