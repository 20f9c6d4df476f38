import { EventEmitter } from "node:events";

export type OutcomeName = "valid" | "invalid" | "unvalidated" | "ungoverned";
const OUTCOMES: OutcomeName[] = ["valid", "invalid", "unvalidated", "ungoverned"];

export interface LiveViolation {
  time: string;
  clientId: string;
  username: string | null;
  topic: string;
  channel: string | null;
  kind: string | undefined;
  policy: string;
  errors: { instancePath: string; keyword: string; message: string }[];
}

/**
 * In-memory counts since start and per-second rates over the last minute, for the live parts of
 * the console (server-sent events) and for tests that check every message is counted once.
 */
export function createLiveStats() {
  const totals: Record<OutcomeName, number> = { valid: 0, invalid: 0, unvalidated: 0, ungoverned: 0 };
  const seconds: { at: number; counts: Record<OutcomeName, number> }[] = [];
  const events = new EventEmitter();
  events.setMaxListeners(1000);

  /** The bucket of second `at`, kept in order (counts from a worker may arrive a little late). */
  function bucketAt(at: number) {
    let i = seconds.length - 1;
    while (i >= 0 && seconds[i]!.at > at) i--;
    if (i >= 0 && seconds[i]!.at === at) return seconds[i]!;
    const b = { at, counts: { valid: 0, invalid: 0, unvalidated: 0, ungoverned: 0 } };
    seconds.splice(i + 1, 0, b);
    while (seconds.length > 61) seconds.shift();
    return b;
  }

  function bucket(now: number) {
    const at = Math.floor(now / 1000);
    const last = seconds[seconds.length - 1];
    return last && last.at === at ? last : bucketAt(at);
  }

  return {
    events,
    count(outcome: OutcomeName, now = Date.now()): void {
      totals[outcome]++;
      bucket(now).counts[outcome]++;
    },
    /**
     * Counts a validation worker aggregated for one second (`at`, seconds since the epoch). They
     * arrive with each batch's verdicts: at most the batch window (and validation) late.
     */
    addCounts(at: number, valid: number, invalid: number, unvalidated: number): void {
      totals.valid += valid;
      totals.invalid += invalid;
      totals.unvalidated += unvalidated;
      const b = bucketAt(at);
      b.counts.valid += valid;
      b.counts.invalid += invalid;
      b.counts.unvalidated += unvalidated;
    },
    violation(v: LiveViolation): void {
      events.emit("violation", v);
    },
    totals(): Record<OutcomeName, number> & { total: number } {
      return { ...totals, total: OUTCOMES.reduce((s, o) => s + totals[o], 0) };
    },
    /** Messages per second by outcome over the last `windowSeconds` complete seconds. */
    rates(windowSeconds = 10, now = Date.now()): Record<OutcomeName, number> {
      const current = Math.floor(now / 1000);
      const out: Record<OutcomeName, number> = { valid: 0, invalid: 0, unvalidated: 0, ungoverned: 0 };
      for (const s of seconds) {
        if (s.at < current && s.at >= current - windowSeconds)
          for (const o of OUTCOMES) out[o] += s.counts[o];
      }
      for (const o of OUTCOMES) out[o] = out[o] / windowSeconds;
      return out;
    },
  };
}

export type LiveStats = ReturnType<typeof createLiveStats>;
