/**
 * Sliding windows the alert rules read: per-second sums over the last hour, and the last N events
 * (spots) with their time. Both are bounded, whatever the message rate.
 */
export class SecondRing<K extends string> {
  private readonly seconds: { at: number; v: Record<K, number> }[] = [];
  constructor(
    private readonly keys: readonly K[],
    private readonly keepSeconds = 3600,
  ) {}

  add(now: number, values: Partial<Record<K, number>>): void {
    const at = Math.floor(now / 1000);
    let last = this.seconds[this.seconds.length - 1];
    if (!last || last.at < at) {
      last = { at, v: Object.fromEntries(this.keys.map((k) => [k, 0])) as Record<K, number> };
      this.seconds.push(last);
      while (this.seconds.length > 0 && this.seconds[0]!.at <= at - this.keepSeconds) this.seconds.shift();
    } else if (last.at > at) {
      // A value for a second already passed (a late accrual): add to the newest second.
    }
    for (const k of this.keys) {
      const x = values[k];
      if (x) last.v[k] += x;
    }
  }

  /** Sums over (now - windowMs, now]. */
  sum(now: number, windowMs: number): Record<K, number> {
    const from = Math.floor((now - windowMs) / 1000);
    const out = Object.fromEntries(this.keys.map((k) => [k, 0])) as Record<K, number>;
    for (let i = this.seconds.length - 1; i >= 0; i--) {
      const s = this.seconds[i]!;
      if (s.at <= from) break;
      for (const k of this.keys) out[k] += s.v[k];
    }
    return out;
  }
}

/** The last `capacity` events, each with flags; counts over the last N or over a time window. */
export class EventRing {
  private readonly times: Float64Array;
  private readonly flags: Uint8Array;
  private next = 0;
  private size = 0;
  constructor(private readonly capacity = 5000) {
    this.times = new Float64Array(capacity);
    this.flags = new Uint8Array(capacity);
  }

  push(time: number, flags: number): void {
    this.times[this.next] = time;
    this.flags[this.next] = flags;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** How many of the last `count` events (or those newer than `since`) have `flag` set. */
  count(flag: number, opts: { last?: number; since?: number }): { n: number; hits: number } {
    const limit = Math.min(this.size, opts.last ?? this.size);
    let n = 0;
    let hits = 0;
    for (let i = 0; i < limit; i++) {
      const j = (this.next - 1 - i + this.capacity) % this.capacity;
      if (opts.since !== undefined && this.times[j]! < opts.since) break;
      n++;
      if (this.flags[j]! & flag) hits++;
    }
    return { n, hits };
  }
}
