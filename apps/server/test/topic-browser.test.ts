/**
 * The live topic browser's memory bounds and its rate now (topic-browser/topic-browser.ts), with
 * a controlled clock. The routes over it are in workbench.test.ts.
 */
import { describe, expect, it } from "vitest";
import { createTopicBrowser } from "../src/topic-browser/topic-browser.js";

const packet = (topic: string, bytes = 10, retain = false) => ({
  topic,
  payload: Buffer.alloc(bytes, 0x61),
  qos: 0,
  retain,
});

function build(over: Partial<Parameters<typeof createTopicBrowser>[0]> = {}) {
  let t = 1_000_000;
  const b = createTopicBrowser({
    maxTopics: 1000,
    messagesPerTopic: 5,
    payloadCapBytes: 100,
    maxBytes: 10 * 1024 * 1024,
    // Every message kept, whatever the clock says (the sampling has its own test below).
    keepIntervalMs: 0,
    now: () => t,
    ...over,
  });
  return { b, advance: (ms: number) => (t += ms), now: () => t };
}

describe("topic browser memory", () => {
  it("keeps messagesPerTopic per topic and cuts payloads at payloadCapBytes", () => {
    const { b } = build();
    for (let i = 0; i < 12; i++) b.observe(packet("a/b", 500), "c1");
    const e = b.get("a/b")!;
    expect(e.ring).toHaveLength(5);
    expect(e.messages).toBe(12);
    expect(e.ring[0]!.bytes.byteLength).toBe(100);
    expect(e.ring[0]!.size).toBe(500);
  });

  it("stays within maxBytes: the quietest topics' history goes first, their last message stays", () => {
    const { b } = build({ maxBytes: 1024 * 1024, payloadCapBytes: 10_000, messagesPerTopic: 50 });
    for (let i = 0; i < 100; i++) for (let k = 0; k < 5; k++) b.observe(packet(`t/${i}`, 5000), null);
    const s = b.stats();
    expect(s.bytes).toBeLessThanOrEqual(1024 * 1024);
    // The newest topics keep their history, the oldest only their last message; none is dropped.
    expect(b.get("t/99")!.ring.length).toBe(5);
    expect(s.topics).toBe(100);
    expect(b.get("t/0")!.ring.length).toBe(1);
  });

  it("forgets the topic updated longest ago past maxTopics, and a reader must then take the full list", () => {
    const { b } = build({ maxTopics: 3 });
    for (const t of ["a", "b", "c"]) b.observe(packet(t), null);
    const before = b.changed(undefined, undefined, 100).seq;
    b.observe(packet("a"), null); // a is now the most recent
    b.observe(packet("d"), null);
    expect(b.get("b")).toBeUndefined();
    expect(["a", "c", "d"].every((t) => b.get(t))).toBe(true);
    const r = b.changed(before, undefined, 100);
    expect(r.full).toBe(true);
    expect(r.evicted).toBe(1);
  });

  it("leaves out $ topics and tracks the retained flag, cleared by an empty retained publish", () => {
    const { b } = build();
    b.observe(packet("$SYS/x"), null);
    expect(b.stats().topics).toBe(0);
    b.observe(packet("x/y", 3, true), "c");
    expect(b.get("x/y")!.retained).toBe(true);
    b.observe({ topic: "x/y", payload: Buffer.alloc(0), qos: 0, retain: true }, null);
    expect(b.get("x/y")!.retained).toBe(false);
    expect(b.get("x/y")!.messages).toBe(1); // the clearing publish is not a value
  });
});

describe("a topic faster than keepIntervalMs", () => {
  const numbered = (topic: string, i: number) => ({
    topic,
    payload: Buffer.from(`{"i":${i}}`.padEnd(4112, " ")),
    qos: 0,
    retain: false,
  });

  it("keeps one message per interval and always the latest, counting every one", () => {
    const { b, advance } = build({ keepIntervalMs: 20, messagesPerTopic: 50, payloadCapBytes: 16_384 });
    // 1,000 messages 1 ms apart: one second at 1,000 msg/s.
    for (let i = 0; i < 1000; i++) {
      b.observe(numbered("fast/t", i), `c${i}`);
      advance(1);
    }
    const e = b.get("fast/t")!;
    expect(e.messages).toBe(1000);
    const last = e.ring[e.ring.length - 1]!;
    expect(JSON.parse(last.bytes.toString()).i).toBe(999);
    expect(last.clientId).toBe("c999");
    expect(last.size).toBe(4112);
    // ~50 samples 20 ms apart cover the second, not the last 50 ms.
    expect(e.ring.length).toBe(50);
    const seqs = e.ring.map((m) => JSON.parse(m.bytes.toString()).i as number);
    expect(seqs[0]).toBeLessThan(100);
    for (let k = 1; k < e.ring.length - 1; k++)
      expect(e.ring[k]!.at - e.ring[k - 1]!.at).toBeGreaterThanOrEqual(20);
    // The byte budget still adds up: 50 payloads and their overhead.
    expect(b.stats().bytes).toBeLessThan(50 * (4112 + 200) + 1000);
    expect(b.stats().bytes).toBeGreaterThan(50 * 4112);
  });

  it("keeps every message of a slow topic", () => {
    const { b, advance } = build({ keepIntervalMs: 20, messagesPerTopic: 50 });
    for (let i = 0; i < 10; i++) {
      b.observe(numbered("slow/t", i), null);
      advance(100);
    }
    expect(b.get("slow/t")!.ring).toHaveLength(10);
  });
});

describe("rate now", () => {
  it("counts the last 5 seconds, not an average since start", () => {
    const { b, advance } = build();
    for (let i = 0; i < 100; i++) b.observe(packet("slow/then-fast"), null); // a burst long ago
    advance(60_000);
    const e = b.get("slow/then-fast")!;
    expect(b.rateOf(e)).toBe(0);
    for (let s = 0; s < 5; s++) {
      for (let i = 0; i < 10; i++) b.observe(packet("slow/then-fast"), null);
      advance(1000);
    }
    expect(b.rateOf(e)).toBeGreaterThan(8);
    expect(b.rateOf(e)).toBeLessThan(12.6);
    advance(6000);
    expect(b.rateOf(e)).toBe(0);
  });

  it("sends only what changed since a seq", () => {
    const { b } = build();
    b.observe(packet("a"), null);
    b.observe(packet("b"), null);
    const s = b.changed(undefined, undefined, 100).seq;
    expect(b.changed(s, undefined, 100).topics).toEqual([]);
    b.observeOutcome("b", "invalid");
    expect(b.changed(s, undefined, 100).topics.map((e) => e.topic)).toEqual(["b"]);
    expect(b.get("b")!.outcomes.invalid).toBe(1);
  });
});
