/**
 * The live topic browser's memory: every topic delivered since start with its rate now, its last
 * message and a short ring of recent ones, and the outcomes recorded for it. Fed by aedes'
 * `publish` event (what subscribers receive) and by the outcome records; read by the API.
 *
 * Bounded on purpose, since a plant has tens of thousands of topics and some publish images:
 * at most `maxTopics` topics, `messagesPerTopic` messages each, every stored payload cut at
 * `payloadCapBytes`, and `maxBytes` in all. Over the byte budget the history of the topics
 * updated longest ago is dropped first (their last message stays); only then whole topics.
 *
 * Cheap per message, since it runs for every delivery on the broker's event loop: a topic that
 * publishes faster than one message per `keepIntervalMs` keeps one message per interval in its
 * ring, and the ring's last entry is always the latest message, rewritten in the buffer it
 * already has (no allocation per message; a 4 KB copy of every message cost about a tenth of the
 * event loop at 10,000 msg/s). Counts, rates and the last message stay exact.
 */

export interface TopicBrowserOptions {
  maxTopics: number;
  messagesPerTopic: number;
  payloadCapBytes: number;
  maxBytes: number;
  /** Messages of one topic closer together than this are not all kept (see above); default 20 ms, 0 keeps all. */
  keepIntervalMs?: number;
  now?: () => number;
}

export interface StoredMessage {
  at: number;
  clientId: string | null;
  qos: number;
  retain: boolean;
  size: number;
  bytes: Buffer;
}

export type OutcomeName = "valid" | "invalid" | "unvalidated" | "ungoverned";

export interface TopicEntry {
  topic: string;
  seq: number;
  messages: number;
  lastAt: number | null;
  retained: boolean;
  ring: StoredMessage[];
  /** Messages per second of the current and the 4 previous seconds: [second, count] pairs. */
  rateSeconds: number[];
  rateCounts: number[];
  outcomes: Record<OutcomeName, number>;
  lastOutcome: OutcomeName | null;
  bytes: number;
}

export const RATE_SECONDS = 5;
/** What a topic entry costs besides its payloads (object, arrays, map slot), roughly. */
const ENTRY_OVERHEAD = 400;
const MESSAGE_OVERHEAD = 80;

export function createTopicBrowser(options: TopicBrowserOptions) {
  const now = options.now ?? Date.now;
  const keepIntervalMs = options.keepIntervalMs ?? 20;
  // Insertion order = least recently updated first (an update re-inserts the topic).
  const topics = new Map<string, TopicEntry>();
  // Topics holding more than their last message, least recently updated first: what goes first.
  const withHistory = new Set<TopicEntry>();
  let seq = 0;
  let bytes = 0;
  let evicted = 0;
  /** The `seq` of the latest eviction: a client that polled before it must take the full list. */
  let evictedAtSeq = 0;

  function entryFor(topic: string): TopicEntry {
    let e = topics.get(topic);
    if (e) {
      topics.delete(topic);
      topics.set(topic, e);
      return e;
    }
    e = {
      topic,
      seq: 0,
      messages: 0,
      lastAt: null,
      retained: false,
      ring: [],
      rateSeconds: new Array(RATE_SECONDS).fill(-1),
      rateCounts: new Array(RATE_SECONDS).fill(0),
      outcomes: { valid: 0, invalid: 0, unvalidated: 0, ungoverned: 0 },
      lastOutcome: null,
      bytes: ENTRY_OVERHEAD + topic.length * 2,
    };
    bytes += e.bytes;
    topics.set(topic, e);
    while (topics.size > options.maxTopics) dropTopic(topics.values().next().value as TopicEntry);
    return e;
  }

  function dropTopic(e: TopicEntry): void {
    topics.delete(e.topic);
    withHistory.delete(e);
    bytes -= e.bytes;
    evicted++;
    evictedAtSeq = ++seq;
  }

  function trimHistory(e: TopicEntry, keep: number): void {
    while (e.ring.length > keep) {
      const m = e.ring.shift() as StoredMessage;
      const b = m.bytes.byteLength + MESSAGE_OVERHEAD;
      e.bytes -= b;
      bytes -= b;
    }
    if (e.ring.length <= 1) withHistory.delete(e);
  }

  function enforceBudget(): void {
    while (bytes > options.maxBytes && withHistory.size > 0)
      trimHistory(withHistory.values().next().value as TopicEntry, 1);
    while (bytes > options.maxBytes && topics.size > 1) dropTopic(topics.values().next().value as TopicEntry);
  }

  function countRate(e: TopicEntry, t: number): void {
    const sec = Math.floor(t / 1000);
    const i = sec % RATE_SECONDS;
    if (e.rateSeconds[i] !== sec) {
      e.rateSeconds[i] = sec;
      e.rateCounts[i] = 0;
    }
    e.rateCounts[i] = (e.rateCounts[i] as number) + 1;
  }

  /** Messages per second over the last RATE_SECONDS seconds (the current one counted in part). */
  function rateOf(e: TopicEntry, t = now()): number {
    const sec = Math.floor(t / 1000);
    let n = 0;
    for (let i = 0; i < RATE_SECONDS; i++) {
      const s = e.rateSeconds[i] as number;
      if (s > sec - RATE_SECONDS && s <= sec) n += e.rateCounts[i] as number;
    }
    const seconds = RATE_SECONDS - 1 + (t % 1000) / 1000;
    return Math.round((n / seconds) * 100) / 100;
  }

  function addOutcomes(topic: string, outcome: OutcomeName, n: number): void {
    if (topic.startsWith("$")) return;
    const e = topics.get(topic) ?? entryFor(topic);
    e.outcomes[outcome] += n;
    e.lastOutcome = outcome;
    e.seq = ++seq;
  }

  return {
    /** A message as delivered (aedes `publish`); `$` topics are the broker's own and not shown. */
    observe(
      packet: { topic: string; payload: Buffer | string; qos: number; retain: boolean },
      clientId: string | null,
    ): void {
      const topic = packet.topic;
      if (topic.startsWith("$")) return;
      const payload = typeof packet.payload === "string" ? Buffer.from(packet.payload) : packet.payload;
      const e = entryFor(topic);
      const t = now();
      if (packet.retain) e.retained = payload.byteLength > 0;
      // An empty retained publish only clears the retained message [MQTT-3.3.1-10]: not a value.
      if (packet.retain && payload.byteLength === 0) {
        e.seq = ++seq;
        return;
      }
      const n = Math.min(payload.byteLength, options.payloadCapBytes);
      const ring = e.ring;
      const last = ring[ring.length - 1];
      const prev = ring[ring.length - 2];
      if (last && prev && last.at - prev.at < keepIntervalMs && last.bytes.buffer.byteLength >= n) {
        // The latest is not a kept sample yet: this message replaces it, in its own buffer (a
        // new entry object, so a preview cached for the old one is not reused).
        const kept = Buffer.from(last.bytes.buffer, 0, n);
        payload.copy(kept, 0, 0, n);
        ring[ring.length - 1] = {
          at: t,
          clientId,
          qos: packet.qos,
          retain: packet.retain,
          size: payload.byteLength,
          bytes: kept,
        };
        const d = n - last.bytes.byteLength;
        e.bytes += d;
        bytes += d;
      } else {
        // A copy in a buffer of its own: aedes' buffer may be a slice of a larger socket read
        // that would stay alive, and a pooled one could not be rewritten (above).
        const kept = Buffer.allocUnsafeSlow(n);
        payload.copy(kept, 0, 0, n);
        ring.push({
          at: t,
          clientId,
          qos: packet.qos,
          retain: packet.retain,
          size: payload.byteLength,
          bytes: kept,
        });
        const b = n + MESSAGE_OVERHEAD;
        e.bytes += b;
        bytes += b;
        if (ring.length > options.messagesPerTopic) trimHistory(e, options.messagesPerTopic);
        if (ring.length > 1) {
          withHistory.delete(e);
          withHistory.add(e);
        }
      }
      e.messages++;
      e.lastAt = t;
      e.seq = ++seq;
      countRate(e, t);
      enforceBudget();
    },
    /** An outcome recorded for a topic (also for refused or quarantined ones, never delivered here). */
    observeOutcome(topic: string, outcome: OutcomeName): void {
      addOutcomes(topic, outcome, 1);
    },
    /**
     * `n` outcomes for a topic at once (a validation worker's tally; n = 0 only sets the last
     * outcome, from the tally's newest message of the topic).
     */
    observeOutcomes: addOutcomes,
    /**
     * Topics changed after `since`; all when `since` is absent or older than an eviction. A topic
     * that went quiet is not sent again: its rate falls to 0 where `lastAt` is older than the
     * rate window, which the reader works out from `at` (so 50,000 quiet topics cost nothing).
     */
    changed(since: number | undefined, prefix: string | undefined, limit: number) {
      const t = now();
      const full = since === undefined || since < evictedAtSeq || since > seq;
      const out: TopicEntry[] = [];
      for (const e of topics.values()) {
        if (prefix && !e.topic.startsWith(prefix)) continue;
        if (!full && e.seq <= (since as number)) continue;
        out.push(e);
        if (out.length >= limit) break;
      }
      return { seq, full, total: topics.size, evicted, topics: out, at: t };
    },
    get(topic: string): TopicEntry | undefined {
      return topics.get(topic);
    },
    rateOf,
    stats() {
      return { topics: topics.size, bytes, evicted, seq };
    },
  };
}

export type TopicBrowser = ReturnType<typeof createTopicBrowser>;
