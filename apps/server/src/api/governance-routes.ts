import { operations, routeSchema } from "@uns/api-contract";
import type { ApiApp, ApiServices } from "./app.js";
import { notFound } from "./app.js";
import { timeWindow } from "./compliance-routes.js";

export function registerGovernanceRoutes(app: ApiApp, s: ApiServices): void {
  app.get(operations.contracts.url, { schema: routeSchema(operations.contracts) }, async (req) => {
    const snap = s.governance.current;
    const w = timeWindow(req.query);
    const topics = await s.store.topics({ ...w });
    return {
      version: snap.contracts.version,
      loadedAt: snap.loadedAt.toISOString(),
      documents: snap.documents.map(({ text: _text, ...d }) => d),
      // Governance keeps the full channels as JSON text (cheap to take over from the loader
      // thread); they are parsed here, per request, not on every reload.
      channels: JSON.parse(snap.channelsJson),
      diagnostics: snap.diagnostics,
      reloads: s.governance.reloads().map((r) => ({ ...r, at: r.at.toISOString() })),
      // What is in force versus what the files say: held channels and failed reloads.
      status: s.governance.status(),
      coverage: {
        ungovernedTopics: topics
          .filter((t) => t.ungoverned > 0)
          .map((t) => ({ topic: t.topic, messages: t.ungoverned, lastSeen: t.lastMessageAt })),
      },
    };
  });

  app.get(
    operations.contractDocument.url,
    { schema: routeSchema(operations.contractDocument) },
    async (req) => {
      const doc = s.governance.current.documents.find(
        (d) => d.file === req.params.file || d.file.endsWith(`/${req.params.file}`),
      );
      if (!doc) throw notFound(`no contract document ${req.params.file}`);
      return doc;
    },
  );

  app.get(operations.topics.url, { schema: routeSchema(operations.topics) }, async (req) => {
    const snap = s.governance.current;
    const w = timeWindow(req.query);
    return {
      from: w.from.toISOString(),
      to: w.to.toISOString(),
      tree: snap.tree.nodes(),
      leaves: snap.tree.leafPatterns(),
      topics: await s.store.topics({ ...w, topicPrefix: req.query.topicPrefix }),
    };
  });

  app.get(operations.lastMessage.url, { schema: routeSchema(operations.lastMessage) }, async (req) => {
    const m = await s.store.lastMessage(req.query.topic);
    if (!m) throw notFound(`no message seen on ${req.query.topic}`);
    return m;
  });

  app.get(operations.users.url, { schema: routeSchema(operations.users) }, async () => ({
    users: s.governance.current.access.users(),
  }));
}
