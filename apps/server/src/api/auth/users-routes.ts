import { randomBytes } from "node:crypto";
import { addUser, removeUser, setUserPassword, setUserRoles } from "@uns/contracts";
import type { FastifyInstance } from "fastify";
import { audit } from "./audit.js";
import { type AuthDeps, authError } from "./plugin.js";

export interface UsersDeps extends AuthDeps {
  topicsDir: string;
  /** Reload topics/ at once, so the next request sees the change (the watcher would, later). */
  reloadTopics: () => Promise<void>;
}

const name = { type: "string", pattern: "^[A-Za-z0-9._@-]{1,128}$" } as const;
const roles = {
  type: "array",
  minItems: 1,
  maxItems: 32,
  items: { type: "string", maxLength: 128 },
} as const;
const nameParam = { type: "object", required: ["name"], properties: { name } } as const;

export function checkPasswordPolicy(password: string, minLength: number): void {
  if (password.length < minLength) {
    throw authError(
      400,
      "UNS_ERR_USER_PASSWORD_WEAK",
      `the password must have at least ${minLength} characters`,
    );
  }
}

/** Users of topics/users.yaml, managed by admins; passwords are never returned except a generated one, once. */
export function registerUsersRoutes(app: FastifyInstance, d: UsersDeps): void {
  const admins = (except?: string) =>
    d
      .access()
      .users()
      .filter(
        (u) =>
          u.username !== except &&
          d.access().apiAccess({ username: u.username, clientId: "", roles: u.roles }) === "admin",
      );
  const userExists = (u: string) =>
    d
      .access()
      .users()
      .some((x) => x.username === u);

  app.get(
    "/api/v1/users",
    {
      schema: {
        summary: "Users, their roles and whether password guessing locked them (never password hashes)",
      },
    },
    async () => ({
      users: d
        .access()
        .users()
        .map((u) => ({ ...u, locked: d.auth.limiter.isLocked(u.username) })),
      roles: d.access().roles(),
      locked: d.auth.limiter.locked(),
      minPasswordLength: d.auth.minPasswordLength,
    }),
  );

  app.post<{ Body: { username: string; roles: string[]; password?: string } }>(
    "/api/v1/users",
    {
      schema: {
        summary:
          "Add a user (refused when the name exists); without a password one is generated and returned once",
        body: {
          type: "object",
          additionalProperties: false,
          required: ["username", "roles"],
          properties: { username: name, roles, password: { type: "string", maxLength: 1024 } },
        },
      },
    },
    async (req, reply) => {
      const { username, password } = req.body;
      const generated = password === undefined ? randomBytes(15).toString("base64url") : null;
      checkPasswordPolicy(password ?? generated!, d.auth.minPasswordLength);
      await addUser(d.topicsDir, username, password ?? generated!, req.body.roles, { replace: false });
      await d.reloadTopics();
      await audit(d.store, req, { action: "user.add", target: username, details: { roles: req.body.roles } });
      return reply
        .status(201)
        .send({ username, roles: req.body.roles, ...(generated ? { password: generated } : {}) });
    },
  );

  app.put<{ Params: { name: string }; Body: { roles: string[] } }>(
    "/api/v1/users/:name/roles",
    {
      schema: {
        summary: "Replace a user's roles (logs the user out everywhere)",
        params: nameParam,
        body: { type: "object", additionalProperties: false, required: ["roles"], properties: { roles } },
      },
    },
    async (req) => {
      const user = req.params.name;
      const stillAdmin =
        d.access().apiAccess({ username: user, clientId: "", roles: req.body.roles }) === "admin";
      if (!stillAdmin && userExists(user) && admins(user).length === 0) {
        throw authError(
          409,
          "UNS_ERR_USER_LAST_ADMIN",
          `${user} is the last admin; make another admin first`,
        );
      }
      await setUserRoles(d.topicsDir, user, req.body.roles);
      await d.reloadTopics();
      d.auth.sessions.revokeUser(user);
      await audit(d.store, req, { action: "user.roles", target: user, details: { roles: req.body.roles } });
      return { username: user, roles: req.body.roles };
    },
  );

  app.put<{ Params: { name: string }; Body: { password?: string } }>(
    "/api/v1/users/:name/password",
    {
      schema: {
        summary:
          "Reset a user's password (generated and returned once when none is given); logs the user out everywhere",
        params: nameParam,
        body: {
          type: "object",
          additionalProperties: false,
          properties: { password: { type: "string", maxLength: 1024 } },
        },
      },
    },
    async (req) => {
      const user = req.params.name;
      const given = req.body?.password;
      const password = given ?? randomBytes(15).toString("base64url");
      checkPasswordPolicy(password, d.auth.minPasswordLength);
      await setUserPassword(d.topicsDir, user, password);
      await d.reloadTopics();
      d.auth.sessions.revokeUser(user);
      d.auth.limiter.unlock(user);
      await audit(d.store, req, { action: "user.password", target: user });
      return { username: user, ...(given === undefined ? { password } : {}) };
    },
  );

  app.delete<{ Params: { name: string } }>(
    "/api/v1/users/:name/lock",
    { schema: { summary: "Lift the wait imposed on a user after failed logins", params: nameParam } },
    async (req) => {
      const unlocked = d.auth.limiter.unlock(req.params.name);
      await audit(d.store, req, { action: "user.unlock", target: req.params.name });
      return { username: req.params.name, unlocked };
    },
  );

  app.delete<{ Params: { name: string } }>(
    "/api/v1/users/:name",
    { schema: { summary: "Remove a user; their sessions and API tokens stop working", params: nameParam } },
    async (req) => {
      const user = req.params.name;
      if (userExists(user) && admins(user).length === 0) {
        throw authError(
          409,
          "UNS_ERR_USER_LAST_ADMIN",
          `${user} is the last admin; make another admin first`,
        );
      }
      await removeUser(d.topicsDir, user);
      await d.reloadTopics();
      d.auth.sessions.revokeUser(user);
      const tokens = await d.store.revokeUserTokens(user);
      await audit(d.store, req, { action: "user.remove", target: user, details: { tokensRevoked: tokens } });
      return { username: user, removed: true, tokensRevoked: tokens };
    },
  );
}
