import type { FastifyInstance } from "fastify";
import { audit } from "./audit.js";
import { type AuthDeps, authError, checkPassword, SESSION_COOKIE, sessionCookie } from "./plugin.js";

const credentials = {
  type: "object",
  additionalProperties: false,
  required: ["username", "password"],
  properties: {
    username: { type: "string", minLength: 1, maxLength: 128 },
    password: { type: "string", minLength: 1, maxLength: 1024 },
  },
} as const;

/** Login, logout and "who am I" for the console. */
export function registerAuthRoutes(app: FastifyInstance, deps: AuthDeps): void {
  app.post<{ Body: { username: string; password: string } }>(
    "/api/v1/auth/login",
    {
      config: { role: "public" },
      schema: {
        summary:
          "Log in with a user of topics/users.yaml; sets the session cookie and returns the CSRF token to send in x-csrf-token",
        body: credentials,
      },
    },
    async (req, reply) => {
      const { username, password } = req.body;
      let user: { username: string; roles: string[] };
      try {
        user = await checkPassword(deps, username, password, req.ip, "http");
      } catch (err) {
        const e = err as { code?: string; retryAfterSeconds?: number };
        req.log.info({ username, address: req.ip, code: e.code }, "login refused");
        if (e.retryAfterSeconds) reply.header("retry-after", String(e.retryAfterSeconds));
        if (e.code === "UNS_ERR_AUTH_LOCKED")
          await audit(
            deps.store,
            req,
            { action: "login", target: username, outcome: "refused", details: { locked: true } },
            username,
          );
        throw err;
      }
      const api = deps.access().apiAccess({ username: user.username, clientId: "", roles: user.roles });
      if (!api) {
        throw authError(
          403,
          "UNS_ERR_AUTH_FORBIDDEN",
          `user ${user.username} has no API access (roles: ${user.roles.join(", ")})`,
        );
      }
      const { id, session } = deps.auth.sessions.create(user.username, user.roles);
      reply.header("set-cookie", sessionCookie(deps.auth, id, Math.floor(deps.auth.sessionTtlMs / 1000)));
      await audit(deps.store, req, { action: "login", target: user.username }, user.username);
      return {
        username: user.username,
        roles: user.roles,
        api,
        csrfToken: session.csrfToken,
        expiresAt: new Date(session.expiresAt).toISOString(),
      };
    },
  );

  app.post(
    "/api/v1/auth/logout",
    { config: { role: "read" }, schema: { summary: "End the console session (the cookie stops working)" } },
    async (req, reply) => {
      if (req.caller?.sessionId) deps.auth.sessions.revoke(req.caller.sessionId);
      reply.header("set-cookie", `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
      return { loggedOut: true };
    },
  );

  app.get(
    "/api/v1/auth/me",
    {
      // Public so the console can ask before a login without a 401; it reveals only the caller.
      config: { role: "public" },
      schema: {
        summary:
          "Who is logged in (username null when nobody), their roles, API access and (for a session) the CSRF token",
      },
    },
    async (req) => {
      const c = req.caller;
      if (!c) return { username: null, roles: [], api: null, via: null, csrfToken: null };
      return { username: c.username, roles: c.roles, api: c.api, via: c.via, csrfToken: c.csrfToken ?? null };
    },
  );
}
