import type { FastifyInstance } from "fastify";
import type { ApiServices } from "./app.js";
import { notFound } from "./app.js";
import { timeWindow } from "./compliance-routes.js";

export function registerGovernanceRoutes(app: FastifyInstance, s: ApiServices): void {
  app.get<{ Querystring: { from?: string; to?: string } }>(
    "/api/v1/contracts",
    {
      config: { role: "read" },
      schema: {
        summary:
          "AsyncAPI documents loaded, their channels and messages, load errors, recent reloads, and coverage (topics seen that no contract governs)",
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            from: { type: "string", format: "date-time" },
            to: { type: "string", format: "date-time" },
          },
        },
      },
    },
    async (req) => {
      const snap = s.governance.current;
      const w = timeWindow(req.query);
      const topics = await s.store.topics({ ...w });
      return {
        version: snap.contracts.version,
        loadedAt: snap.loadedAt.toISOString(),
        documents: snap.documents.map(({ text: _text, ...d }) => d),
        channels: snap.contracts.channels,
        diagnostics: snap.diagnostics,
        reloads: s.governance.reloads(),
        coverage: {
          ungovernedTopics: topics
            .filter((t) => t.ungoverned > 0)
            .map((t) => ({ topic: t.topic, messages: t.ungoverned, lastSeen: t.lastMessageAt })),
        },
      };
    },
  );

  app.get<{ Params: { file: string } }>(
    "/api/v1/contracts/:file",
    {
      config: { role: "read" },
      schema: {
        summary: "One AsyncAPI document as loaded (source text)",
        params: {
          type: "object",
          properties: { file: { type: "string", maxLength: 256 } },
          required: ["file"],
        },
      },
    },
    async (req) => {
      const doc = s.governance.current.documents.find(
        (d) => d.file === req.params.file || d.file.endsWith(`/${req.params.file}`),
      );
      if (!doc) throw notFound(`no contract document ${req.params.file}`);
      return doc;
    },
  );

  app.get<{ Querystring: { from?: string; to?: string; topicPrefix?: string } }>(
    "/api/v1/topics",
    {
      config: { role: "read" },
      schema: {
        summary:
          "The governed topic tree (levels, leaves, channels, policies) and every topic seen with its counts",
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            from: { type: "string", format: "date-time" },
            to: { type: "string", format: "date-time" },
            topicPrefix: { type: "string", maxLength: 1024 },
          },
        },
      },
    },
    async (req) => {
      const snap = s.governance.current;
      const w = timeWindow(req.query);
      return {
        from: w.from.toISOString(),
        to: w.to.toISOString(),
        tree: snap.tree.nodes(),
        leaves: snap.tree.leafPatterns(),
        topics: await s.store.topics({ ...w, topicPrefix: req.query.topicPrefix }),
      };
    },
  );

  app.get<{ Querystring: { topic: string } }>(
    "/api/v1/topics/last-message",
    {
      config: { role: "read" },
      schema: {
        summary: "The last message seen on a topic",
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { topic: { type: "string", minLength: 1, maxLength: 1024 } },
          required: ["topic"],
        },
      },
    },
    async (req) => {
      const m = await s.store.lastMessage(req.query.topic);
      if (!m) throw notFound(`no message seen on ${req.query.topic}`);
      return m;
    },
  );
}
