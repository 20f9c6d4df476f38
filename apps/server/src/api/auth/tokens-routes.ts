import { randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { audit } from "./audit.js";
import { type AuthDeps, authError, TOKEN_PREFIX, tokenHash } from "./plugin.js";

/** API tokens for scripts (admins make and revoke them) and the audit log. */
export function registerTokenRoutes(app: FastifyInstance, d: AuthDeps): void {
  app.get(
    "/api/v1/tokens",
    { schema: { summary: "API tokens (never the tokens themselves)" } },
    async () => ({
      tokens: await d.store.listApiTokens(),
    }),
  );

  app.post<{ Body: { name: string; username?: string; expiresInDays?: number } }>(
    "/api/v1/tokens",
    {
      schema: {
        summary:
          "Make an API token that acts as a user (default: the caller) with that user's roles; the token is returned once",
        body: {
          type: "object",
          additionalProperties: false,
          required: ["name"],
          properties: {
            name: { type: "string", minLength: 1, maxLength: 128 },
            username: { type: "string", minLength: 1, maxLength: 128 },
            expiresInDays: { type: "integer", minimum: 1, maximum: 3650 },
          },
        },
      },
    },
    async (req, reply) => {
      const username = req.body.username ?? req.caller!.username;
      if (
        !d
          .access()
          .users()
          .some((u) => u.username === username)
      ) {
        throw authError(404, "UNS_ERR_API_NOT_FOUND", `no user ${username}`);
      }
      const token = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
      const record = await d.store.createApiToken({
        name: req.body.name,
        username,
        hash: tokenHash(token),
        createdBy: req.caller!.username,
        expiresAt: req.body.expiresInDays ? new Date(Date.now() + req.body.expiresInDays * 86_400_000) : null,
      });
      await audit(d.store, req, {
        action: "token.create",
        target: `${record.id}`,
        details: { name: record.name, username },
      });
      return reply.status(201).send({ ...record, token });
    },
  );

  app.delete<{ Params: { id: number } }>(
    "/api/v1/tokens/:id",
    {
      schema: {
        summary: "Revoke an API token (it stops working at once)",
        params: { type: "object", required: ["id"], properties: { id: { type: "integer", minimum: 1 } } },
      },
    },
    async (req) => {
      const revoked = await d.store.revokeApiToken(req.params.id);
      if (!revoked) throw authError(404, "UNS_ERR_API_NOT_FOUND", `no live token ${req.params.id}`);
      await audit(d.store, req, { action: "token.revoke", target: `${req.params.id}` });
      return { id: req.params.id, revoked };
    },
  );

  app.get<{ Querystring: { before?: number; limit?: number; actor?: string; action?: string } }>(
    "/api/v1/audit",
    {
      schema: {
        summary: "Admin actions and refused logins, newest first: who, when, from where, what",
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            before: { type: "integer", minimum: 1, description: "Entries older than this id (next page)" },
            limit: { type: "integer", minimum: 1, maximum: 1000 },
            actor: { type: "string", maxLength: 128 },
            action: { type: "string", maxLength: 64, description: "Action or its prefix, e.g. user." },
          },
        },
      },
    },
    async (req) => ({ entries: await d.store.listAudit(req.query) }),
  );
}
