import type { Store } from "@uns/store";
import type { Aedes } from "aedes";
import type { LiveStats, LiveViolation } from "../live-stats.js";
import type { Metrics } from "../metrics.js";
import { violationsTopic } from "../uns-topics.js";
import { type BatchTally, VERDICT_CODES } from "./protocol.js";
import type { Outcome } from "./publish-pipeline.js";

/**
 * Where every verdict goes, once: the message counter and validation latency, the live stats,
 * the compliance store, and for a violation the live event and `$uns/violations/<topic>`.
 * Synchronous and never throwing: it runs on the broker's hot path.
 */
export function createOutcomeSink(parts: { metrics: Metrics; live: LiveStats; store: Store }) {
  const { metrics, live, store } = parts;
  let broker: Aedes | null = null;
  // Label lookups cost more than the increment: bind each outcome/policy pair once.
  const counters = new Map<string, { inc(n?: number): void }>();
  const counterFor = (outcome: string, policy: string) => {
    const key = `${outcome}/${policy}`;
    let c = counters.get(key);
    if (!c) {
      c = metrics.messages.labels(outcome, policy);
      counters.set(key, c);
    }
    return c;
  };

  function violation(o: {
    time: number;
    clientId: string;
    username: string | null;
    topic: string;
    channel: string | null;
    kind?: string;
    policy: string;
    errors?: { instancePath: string; keyword: string; message: string }[];
  }): void {
    metrics.violations.inc({ kind: o.kind ?? "schema" });
    const v: LiveViolation = {
      time: new Date(o.time).toISOString(),
      clientId: o.clientId,
      username: o.username,
      topic: o.topic,
      channel: o.channel,
      kind: o.kind,
      policy: o.policy,
      errors: (o.errors ?? []).map((e) => ({
        instancePath: e.instancePath,
        keyword: e.keyword,
        message: e.message,
      })),
    };
    live.violation(v);
    broker?.publish(
      {
        cmd: "publish",
        topic: violationsTopic(o.topic),
        payload: Buffer.from(JSON.stringify(v)),
        qos: 0,
        retain: false,
        dup: false,
      },
      () => {},
    );
  }

  return {
    /** Count, store and (for a violation) announce one outcome. */
    record(o: Outcome, latencyMs: number | null): void {
      if (o.counted !== false) {
        counterFor(o.outcome, o.policy).inc();
        live.count(o.outcome, o.time);
      }
      if (latencyMs !== null) metrics.validationLatency.observe(latencyMs / 1000);
      store.record(o);
      if (o.outcome === "invalid") violation(o);
    },
    /**
     * What a validation worker counted for one batch: the same figures `record` keeps, added in
     * bulk (no work per message here), and each violation announced like a recorded one.
     */
    recordTally(t: BatchTally): void {
      if (t.store) store.recordAggregate(t.store);
      const s = t.seconds;
      for (let i = 0; i + 3 < s.length; i += 4) live.addCounts(s[i]!, s[i + 1]!, s[i + 2]!, s[i + 3]!);
      for (let p = 0; p < 2; p++)
        for (let v = 0; v < 3; v++) {
          const n = t.byPolicy[p * 3 + v]!;
          if (n > 0) counterFor(VERDICT_CODES[v]!, p === 0 ? "monitor" : "enforce").inc(n);
        }
      metrics.validationLatency.add(t.latencyBuckets, t.latencySumS);
      if (t.store) for (const v of t.store.violations) violation(v);
    },
    /** Live violations are published once the broker runs. */
    attach(aedes: Aedes): void {
      broker = aedes;
    },
  };
}

export type OutcomeSink = ReturnType<typeof createOutcomeSink>;
