import type { BrowserTopic, RetainedItem } from "@uns/api-contract";
import { workbenchOperations as ops, workbenchRouteSchema as schema } from "@uns/api-contract";
import type { Store } from "@uns/store";
import type { Aedes } from "aedes";
import type { Verdict } from "../dispatcher/protocol.js";
import type { Identity, PublishPacket } from "../dispatcher/publish-pipeline.js";
import { createError } from "../errors.js";
import type { Governance } from "../governance.js";
import { governedBy, judgePayload } from "../topic-browser/judge.js";
import { payloadPreview, payloadView } from "../topic-browser/payload-view.js";
import type { TopicBrowser, TopicEntry } from "../topic-browser/topic-browser.js";
import type { ApiApp } from "./app.js";
import { notFound } from "./app.js";
import { audit } from "./auth/audit.js";
import { gzipLargeJson } from "./compress.js";

export interface WorkbenchServices {
  browser: TopicBrowser;
  governance: Governance;
  broker: Aedes;
  store: Store;
  /** The validation workers, a dry run that is not counted (validation-pool.ts `check`). */
  submit: (channel: string, topic: string, payload: Uint8Array) => Promise<Verdict> | undefined;
  /** Records a message the server publishes itself (publish-pipeline.ts `observeInternal`). */
  observeInternal: (identity: Identity, packet: PublishPacket) => void;
}

interface RetainedPacket {
  topic: string;
  payload: Buffer;
  qos: number;
}

/** aedes' persistence (not in its types): the stream a SUBSCRIBE reads its retained messages from. */
function retainedStream(broker: Aedes, patterns: string[]): AsyncIterable<RetainedPacket> {
  const p = (
    broker as unknown as {
      persistence: { createRetainedStreamCombi(p: string[]): AsyncIterable<RetainedPacket> };
    }
  ).persistence;
  return p.createRetainedStreamCombi(patterns);
}

/** Retained messages whose topic starts with `prefix`, at most `limit` (+1 to tell there are more). */
async function retainedPackets(broker: Aedes, prefix: string, limit: number): Promise<RetainedPacket[]> {
  // `#` matches every topic but the `$` ones [MQTT-4.7.2-1]: the broker's own are not listed.
  const stream = retainedStream(broker, ["#"]);
  const out: RetainedPacket[] = [];
  for await (const p of stream) {
    if (!p.topic.startsWith(prefix)) continue;
    out.push(p);
    if (out.length > limit) break;
  }
  return out;
}

function publish(broker: Aedes, packet: PublishPacket): Promise<void> {
  return new Promise((resolve, reject) =>
    broker.publish({ cmd: "publish", dup: false, ...packet } as never, (err?: Error) =>
      err ? reject(err) : resolve(),
    ),
  );
}

/**
 * The MQTT workbench over HTTP: the live topic browser, retained messages, and validating or
 * publishing a payload. Viewers (api: read) see and validate; clearing retained messages needs
 * admin; publishing needs admin or a role topics/access.yaml lets publish to that topic.
 */
export function registerWorkbenchRoutes(app: ApiApp, s: WorkbenchServices): void {
  // The full list repeats for 50,000 topics what rarely changes: what governs a topic (until the
  // next reload) and the one-line preview of a message (until the next message). Both are kept.
  let govSnap: unknown = null;
  let govCache = new Map<string, Omit<ReturnType<typeof governedBy>, "reason">>();
  const governed = (topic: string) => {
    if (govSnap !== s.governance.current) {
      govSnap = s.governance.current;
      govCache = new Map();
    }
    let g = govCache.get(topic);
    if (!g) {
      const { reason: _r, ...rest } = governedBy(s.governance.current, topic);
      g = rest;
      if (govCache.size < 200_000) govCache.set(topic, g);
    }
    return g;
  };
  const previews = new WeakMap<object, string>();
  const preview = (topic: string, m: { bytes: Buffer; size: number }) => {
    let p = previews.get(m);
    if (p === undefined) {
      p = payloadPreview(topic, m.bytes, m.size);
      previews.set(m, p);
    }
    return p;
  };
  const row = (e: TopicEntry, now: number): BrowserTopic => {
    const last = e.ring[e.ring.length - 1];
    const gov = governed(e.topic);
    return {
      topic: e.topic,
      seq: e.seq,
      messages: e.messages,
      ratePerSecond: s.browser.rateOf(e, now),
      lastAt: e.lastAt === null ? null : new Date(e.lastAt).toISOString(),
      retained: e.retained,
      size: last?.size ?? 0,
      preview: last ? preview(e.topic, last) : "",
      outcomes: { ...e.outcomes },
      lastOutcome: e.lastOutcome,
      ...gov,
    };
  };

  app.get(
    ops.browserTopics.url,
    { config: { role: "read" }, schema: schema(ops.browserTopics) },
    async (req) => {
      const r = s.browser.changed(req.query.since, req.query.prefix, req.query.limit ?? 100_000);
      return {
        seq: r.seq,
        at: new Date(r.at).toISOString(),
        full: r.full,
        total: r.total,
        evicted: r.evicted,
        topics: r.topics.map((e) => row(e, r.at)),
      };
    },
  );

  // The tree's first load with 50,000 topics: only what a row shows, in columns, gzipped. The
  // full rows above are 5-6 times larger before compression and cost the server a row object each.
  app.get(
    ops.browserTree.url,
    { config: { role: "read" }, schema: schema(ops.browserTree), onSend: gzipLargeJson },
    async (req) => {
      const r = s.browser.changed(
        req.query.since,
        req.query.prefix,
        req.query.limit ?? Number.POSITIVE_INFINITY,
      );
      const n = r.topics.length;
      const topics = new Array<string>(n);
      const lastAt = new Array<number>(n);
      const rate = new Array<number>(n);
      const retained = new Array<number>(n);
      const previewOf = new Array<string>(n);
      const invalid = new Array<number>(n);
      for (let i = 0; i < n; i++) {
        const e = r.topics[i] as TopicEntry;
        const last = e.ring[e.ring.length - 1];
        topics[i] = e.topic;
        lastAt[i] = e.lastAt ?? 0;
        rate[i] = s.browser.rateOf(e, r.at);
        retained[i] = e.retained ? 1 : 0;
        previewOf[i] = last ? preview(e.topic, last) : "";
        invalid[i] = e.outcomes.invalid;
      }
      return {
        seq: r.seq,
        at: r.at,
        full: r.full,
        total: r.total,
        evicted: r.evicted,
        topics,
        lastAt,
        rate,
        retained,
        preview: previewOf,
        invalid,
      };
    },
  );

  app.get(
    ops.browserTopic.url,
    { config: { role: "read" }, schema: schema(ops.browserTopic) },
    async (req) => {
      const e = s.browser.get(req.query.topic);
      if (!e) throw notFound(`no message seen on ${req.query.topic} since the server started`);
      return {
        topic: row(e, Date.now()),
        messages: e.ring.map((m) => ({
          at: new Date(m.at).toISOString(),
          clientId: m.clientId,
          qos: m.qos,
          retain: m.retain,
          payload: payloadView(e.topic, m.bytes, m.size),
        })),
      };
    },
  );

  app.get(ops.retained.url, { config: { role: "read" }, schema: schema(ops.retained) }, async (req) => {
    const limit = req.query.limit ?? 1000;
    const q = req.query.q?.toLowerCase();
    let packets = await retainedPackets(s.broker, req.query.prefix ?? "", q ? 100_000 : limit);
    if (q) packets = packets.filter((p) => p.topic.toLowerCase().includes(q));
    const snap = s.governance.current;
    const items: RetainedItem[] = packets.slice(0, limit).map((p) => {
      const { reason: _r, ...gov } = governedBy(snap, p.topic);
      return {
        topic: p.topic,
        qos: p.qos,
        size: p.payload.byteLength,
        preview: payloadPreview(p.topic, p.payload, p.payload.byteLength),
        ...gov,
      };
    });
    items.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
    return { items, truncated: packets.length > limit };
  });

  app.get(
    ops.retainedMessage.url,
    { config: { role: "read" }, schema: schema(ops.retainedMessage) },
    async (req) => {
      const topic = req.query.topic;
      // The exact topic as a filter: a `+` or `#` in it would match others, so those are skipped below.
      const stream = retainedStream(s.broker, [topic]);
      for await (const p of stream) {
        if (p.topic === topic)
          return { topic, qos: p.qos, payload: payloadView(topic, p.payload, p.payload.byteLength) };
      }
      throw notFound(`no retained message on ${topic}`);
    },
  );

  app.post(
    ops.retainedClear.url,
    { config: { role: "admin" }, schema: schema(ops.retainedClear) },
    async (req) => {
      const { topic, subtree = false } = req.body;
      if (topic === "" || /[+#]/.test(topic))
        throw createError(
          "UNS_ERR_API_VALIDATION",
          `topic "${topic}" is empty or holds a wildcard; give one topic, or the root of a subtree with subtree: true`,
        );
      const below = topic.endsWith("/") ? topic : `${topic}/`;
      const targets = (await retainedPackets(s.broker, topic, 1_000_000))
        .map((p) => p.topic)
        .filter((t) => t === topic || (subtree && t.startsWith(below)));
      // An empty retained publish removes the retained message [MQTT-3.3.1-10, -11]; through the
      // broker (not the persistence directly) so a cluster's other nodes forget it too.
      for (const t of targets)
        await publish(s.broker, { topic: t, payload: Buffer.alloc(0), qos: 0, retain: true });
      await audit(s.store, req, {
        action: "retained.clear",
        target: topic,
        details: { subtree, cleared: targets.length, topics: targets.slice(0, 50) },
      });
      return { cleared: targets };
    },
  );

  const judge = (topic: string, payload: string, channel: string | undefined) =>
    judgePayload(s.governance.current, s.submit, topic, Buffer.from(payload, "utf8"), channel);

  app.post(ops.validate.url, { config: { role: "read" }, schema: schema(ops.validate) }, async (req) =>
    judge(req.body.topic, req.body.payload, req.body.channel),
  );

  app.post(ops.publish.url, { config: { role: "read" }, schema: schema(ops.publish) }, async (req) => {
    const caller = req.caller;
    const { topic, payload, channel, qos = 0, retain = false } = req.body;
    const identity: Identity = {
      username: caller?.username ?? null,
      clientId: `$uns/console/${caller?.username ?? "-"}`,
      roles: [...(caller?.roles ?? [])],
    };
    const allowed = caller?.api === "admin" || s.governance.current.access.canPublish(identity, topic);
    if (!allowed) {
      await audit(s.store, req, { action: "mqtt.publish", target: topic, outcome: "refused" });
      throw createError(
        "UNS_ERR_WORKBENCH_PUBLISH_FORBIDDEN",
        `${caller?.username ?? "this caller"} may not publish to ${topic}: admins may, and roles whose publish rules in topics/access.yaml match it`,
      );
    }
    const verdict = await judge(topic, payload, channel);
    const refuse = (why: string) => {
      throw createError("UNS_ERR_WORKBENCH_REFUSED", `not published to ${topic}: ${why}`);
    };
    if (verdict.outcome === "refused") refuse(verdict.reason ?? "the topic is refused");
    if (verdict.outcome === "invalid" && verdict.policy === "enforce")
      refuse(
        `the channel ${verdict.channel} is enforced and the payload is invalid (${verdict.errors
          .slice(0, 3)
          .map((e) => `${e.instancePath || "/"} ${e.message}`)
          .join("; ")})`,
      );
    const packet: PublishPacket = { topic, payload: Buffer.from(payload, "utf8"), qos: qos as 0 | 1, retain };
    // Recorded like any message (its outcome in the compliance store), then delivered.
    s.observeInternal(identity, packet);
    await publish(s.broker, packet);
    await audit(s.store, req, {
      action: "mqtt.publish",
      target: topic,
      details: { qos, retain, bytes: packet.payload.length, outcome: verdict.outcome },
    });
    return { published: true, topic, verdict };
  });
}
