import { randomUUID } from "node:crypto";
import type { MessageOutcome, ValidationError } from "./types.js";

export interface CountRow {
  /** ms since epoch, a whole minute */
  minute: number;
  topic: string;
  /** '' for no channel */
  channel: string;
  clientId: string;
  valid: number;
  invalid: number;
  unvalidated: number;
  ungoverned: number;
}

export interface ViolationRow {
  time: number;
  clientId: string;
  username: string | null;
  topic: string;
  channel: string | null;
  contractFile: string | null;
  contractVersion: string | null;
  messageName: string | null;
  kind: string;
  policy: string;
  errors: ValidationError[];
  payload: Uint8Array;
  payloadSize: number;
  payloadTruncated: boolean;
}

export interface LastMessageRow {
  topic: string;
  time: number;
  clientId: string;
  payload: Uint8Array;
  payloadSize: number;
  outcome: string;
  channel: string | null;
}

export interface PublisherDelta {
  clientId: string;
  username: string | null;
  messages: number;
  invalid: number;
  firstViolation: number | null;
  lastViolation: number | null;
  lastSeen: number;
  channels: string[];
}

/** What one transaction writes: everything recorded during one flush interval (or less). */
export interface Batch {
  /** uuid; written with the batch so that a retried batch is applied once */
  id: string;
  /** Set when the batch is several cut batches merged for one write: their ids (not `id`). */
  mergedIds?: string[];
  createdAt: number;
  /** Date.now() when the batch's first outcome was recorded (for writeLagMs) */
  oldestAt: number;
  /** outcomes counted in this batch */
  outcomes: number;
  counts: CountRow[];
  violations: ViolationRow[];
  lastMessages: LastMessageRow[];
  publishers: PublisherDelta[];
}

/** Most errors kept per violation; ajv with allErrors can report thousands for one payload. */
const maxErrors = 100;

interface PublisherAcc {
  username: string | null;
  messages: number;
  invalid: number;
  firstViolation: number | null;
  lastViolation: number | null;
  lastSeen: number;
  channels: Set<string> | null;
}

interface LastAcc {
  time: number;
  clientId: string;
  /** the caller's bytes, capped and copied in cut() */
  payload: Uint8Array;
  payloadSize: number;
  outcome: string;
  channel: string | null;
}

/**
 * Aggregates outcomes in memory between flushes. `add` is O(1) apart from copying a violation's
 * capped payload; the last message per topic is capped and copied in `cut`, once per topic and
 * flush rather than once per message. Keys are cleaned in `add`, so rows stay unique per key.
 */
export class Accumulator {
  private counts = new Map<string, CountRow>();
  private violations: ViolationRow[] = [];
  private last = new Map<string, LastAcc>();
  private publishers = new Map<string, PublisherAcc>();
  outcomes = 0;
  oldestAt = 0;

  constructor(private readonly payloadCapBytes: number) {}

  /** The largest number of rows of one kind waiting (for the batchMaxRows trigger). */
  get rows(): number {
    return Math.max(this.violations.length, this.counts.size, this.last.size, this.publishers.size);
  }

  add(o: MessageOutcome, now: number): void {
    const time = validTime(o.time, now);
    const minute = time - (time % 60_000);
    const topic = clean(o.topic);
    const clientId = clean(o.clientId);
    const channel = typeof o.channel === "string" ? clean(o.channel) : "";
    const username = cleanOrNull(str(o.username));
    // A violation found after its message was counted (a Sparkplug seq gap seen by a timer) is
    // stored, but must not count the message a second time.
    const counted = o.counted !== false;
    const key = `${minute}\u0000${topic}\u0000${channel}\u0000${clientId}`;
    let row = this.counts.get(key);
    if (!row) {
      row = { minute, topic, channel, clientId, valid: 0, invalid: 0, unvalidated: 0, ungoverned: 0 };
      if (counted) this.counts.set(key, row);
    }
    const invalid = o.outcome === "invalid";
    switch (counted ? o.outcome : "none") {
      case "none":
        break;
      case "valid":
        row.valid++;
        break;
      case "invalid":
        row.invalid++;
        break;
      case "unvalidated":
        row.unvalidated++;
        break;
      default:
        row.ungoverned++;
    }

    let p = this.publishers.get(clientId);
    if (!p) {
      p = {
        username,
        messages: 0,
        invalid: 0,
        firstViolation: null,
        lastViolation: null,
        lastSeen: time,
        channels: null,
      };
      this.publishers.set(clientId, p);
    }
    if (counted) p.messages++;
    if (time >= p.lastSeen) {
      p.lastSeen = time;
      p.username = username;
    }

    const size = o.payload.byteLength;
    const payloadSize = sizeOf(o.payloadSize, size);
    if (invalid) {
      if (counted) p.invalid++;
      if (p.firstViolation === null || time < p.firstViolation) p.firstViolation = time;
      if (p.lastViolation === null || time > p.lastViolation) p.lastViolation = time;
      if (channel) {
        p.channels ??= new Set();
        p.channels.add(channel);
      }
      // Copy: the caller's buffer may be a slice of a larger socket buffer that must not be retained.
      const kept = size > this.payloadCapBytes ? o.payload.subarray(0, this.payloadCapBytes) : o.payload;
      this.violations.push({
        time,
        clientId,
        username,
        topic,
        channel: channel || null,
        contractFile: cleanOrNull(str(o.contract?.file)),
        contractVersion: cleanOrNull(str(o.contract?.version)),
        messageName: cleanOrNull(str(o.messageName)),
        kind: cleanOrNull(str(o.kind)) ?? "unknown",
        policy: cleanOrNull(str(o.policy)) ?? "monitor",
        errors: o.errors ?? [],
        payload: Uint8Array.prototype.slice.call(kept),
        payloadSize,
        payloadTruncated: kept.byteLength < payloadSize,
      });
    }

    // Only the newest message per topic is kept.
    const prev = this.last.get(topic);
    if (counted && (!prev || time >= prev.time)) {
      this.last.set(topic, {
        time,
        clientId,
        payload: o.payload,
        payloadSize,
        outcome: o.outcome,
        channel: channel || null,
      });
    }

    if (this.outcomes === 0) this.oldestAt = now;
    this.outcomes++;
  }

  /**
   * Add a batch aggregated elsewhere (a validation worker counts the messages it validates and
   * hands over only its aggregates): rows are summed by key, publishers merged, the newest last
   * message per topic kept. Its violations and payloads are already capped, cleaned and copied.
   */
  merge(b: Batch, now: number): void {
    if (b.outcomes <= 0 && b.violations.length === 0) return;
    for (const c of b.counts) {
      const key = `${c.minute}\u0000${c.topic}\u0000${c.channel}\u0000${c.clientId}`;
      const row = this.counts.get(key);
      if (!row) {
        this.counts.set(key, { ...c });
        continue;
      }
      row.valid += c.valid;
      row.invalid += c.invalid;
      row.unvalidated += c.unvalidated;
      row.ungoverned += c.ungoverned;
    }
    for (const d of b.publishers) {
      const p = this.publishers.get(d.clientId);
      if (!p) {
        this.publishers.set(d.clientId, {
          username: d.username,
          messages: d.messages,
          invalid: d.invalid,
          firstViolation: d.firstViolation,
          lastViolation: d.lastViolation,
          lastSeen: d.lastSeen,
          channels: d.channels.length > 0 ? new Set(d.channels) : null,
        });
        continue;
      }
      p.messages += d.messages;
      p.invalid += d.invalid;
      if (d.firstViolation !== null && (p.firstViolation === null || d.firstViolation < p.firstViolation))
        p.firstViolation = d.firstViolation;
      if (d.lastViolation !== null && (p.lastViolation === null || d.lastViolation > p.lastViolation))
        p.lastViolation = d.lastViolation;
      if (d.lastSeen >= p.lastSeen) {
        p.lastSeen = d.lastSeen;
        p.username = d.username;
      }
      if (d.channels.length > 0) {
        p.channels ??= new Set();
        for (const ch of d.channels) p.channels.add(ch);
      }
    }
    for (const v of b.violations) this.violations.push(v);
    for (const l of b.lastMessages) {
      const prev = this.last.get(l.topic);
      if (prev && l.time < prev.time) continue;
      this.last.set(l.topic, {
        time: l.time,
        clientId: l.clientId,
        payload: l.payload,
        payloadSize: l.payloadSize,
        outcome: l.outcome,
        channel: l.channel,
      });
    }
    if (this.outcomes === 0) this.oldestAt = Math.min(now, b.oldestAt || now);
    this.outcomes += b.outcomes;
  }

  /** Take everything recorded so far as one batch (null when nothing was recorded). */
  cut(now: number): Batch | null {
    if (this.outcomes === 0) return null;
    const cap = this.payloadCapBytes;
    const batch: Batch = {
      id: randomUUID(),
      createdAt: now,
      oldestAt: this.oldestAt,
      outcomes: this.outcomes,
      counts: [...this.counts.values()],
      violations: this.violations.map((v) => ({ ...v, errors: cleanErrors(v.errors) })),
      lastMessages: [...this.last.entries()].map(([topic, l]) => ({
        ...l,
        topic,
        payload: Uint8Array.prototype.slice.call(
          l.payload.byteLength > cap ? l.payload.subarray(0, cap) : l.payload,
        ),
      })),
      publishers: [...this.publishers.entries()].map(([clientId, p]) => ({
        clientId,
        username: p.username,
        messages: p.messages,
        invalid: p.invalid,
        firstViolation: p.firstViolation,
        lastViolation: p.lastViolation,
        lastSeen: p.lastSeen,
        channels: p.channels ? [...p.channels].sort() : [],
      })),
    };
    this.counts = new Map();
    this.violations = [];
    this.last = new Map();
    this.publishers = new Map();
    this.outcomes = 0;
    this.oldestAt = 0;
    return batch;
  }
}

/**
 * Several cut batches as one (counts summed by key, publishers merged, the newest last message
 * per topic, violations kept): one transaction instead of one per batch. `mergedIds` carries
 * their ids, so that each is recorded as applied and a replay of any of them is skipped.
 */
export function mergeBatches(batches: Batch[], payloadCapBytes: number): Batch {
  if (batches.length === 1) return batches[0]!;
  const acc = new Accumulator(payloadCapBytes);
  const now = Date.now();
  for (const b of batches) acc.merge(b, now);
  const merged = acc.cut(now);
  if (!merged) throw new Error("mergeBatches: the batches hold no outcomes");
  return {
    ...merged,
    outcomes: batches.reduce((n, b) => n + b.outcomes, 0),
    mergedIds: batches.map((b) => b.id),
  };
}

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

/** A time PostgreSQL and Date can hold, else now (a bad clock must not make a batch unwritable). */
function validTime(t: number, now: number): number {
  return Number.isFinite(t) && t > 0 && t < 253_402_300_800_000 ? Math.trunc(t) : now;
}

/** payload_size is an int4; MQTT payloads are at most 256 MB anyway. */
function sizeOf(declared: number | undefined, stored: number): number {
  const n = typeof declared === "number" && Number.isFinite(declared) ? Math.trunc(declared) : stored;
  return Math.min(Math.max(n, stored), 2_147_483_647);
}

// PostgreSQL text and jsonb cannot hold U+0000 ([MQTT-1.5.4-2] forbids it in topics and client
// ids, but error params can echo payload keys); one such string must not make a batch unwritable.
function clean(s: string): string {
  return s.includes("\u0000") ? s.replaceAll("\u0000", "") : s;
}

function cleanOrNull(s: string | null): string | null {
  return s === null ? null : clean(s);
}

function cleanErrors(errors: ValidationError[]): ValidationError[] {
  if (!Array.isArray(errors)) return [];
  return errors.slice(0, maxErrors).map((e) => {
    const out: ValidationError = {
      instancePath: clean(String(e.instancePath ?? "")),
      keyword: clean(String(e.keyword ?? "")),
      message: clean(String(e.message ?? "")),
    };
    if (e.schemaPath !== undefined) out.schemaPath = clean(String(e.schemaPath));
    if (e.params !== undefined) out.params = cleanJson(e.params) as object;
    return out;
  });
}

function cleanJson(v: unknown, depth = 0): unknown {
  if (typeof v === "string") return clean(v);
  if (v === null || typeof v !== "object") return typeof v === "bigint" ? String(v) : v;
  if (depth > 8) return null;
  if (Array.isArray(v)) return v.map((x) => cleanJson(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[clean(k)] = cleanJson(x, depth + 1);
  return out;
}
