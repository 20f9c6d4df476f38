import { createLru } from "@uns/contracts";

/**
 * Slows down password guessing, for HTTP logins and MQTT CONNECTs alike: after a few failures a
 * user name, or an address, must wait before the next attempt, and the wait doubles with every
 * further failure (up to a ceiling). During the wait an attempt is refused without checking the
 * password, so guessing costs the attacker time, not the server CPU. A success clears the user's
 * count (not the address's: one known account must not reset the counter for guessing others).
 */
export interface LoginLimiterOptions {
  /** Failures per user name after which each further attempt must wait. */
  userFreeAttempts: number;
  /** Failures per address before delays start (higher: a NAT hides many honest users). */
  addressFreeAttempts: number;
  /** First delay, doubled with each further failure (ms). */
  baseDelayMs: number;
  /** Longest delay (ms). */
  maxDelayMs: number;
  /** A key without failures for this long is forgotten (ms). */
  forgetAfterMs: number;
  /** Keys remembered at most (oldest forgotten first), so a flood of names cannot exhaust memory. */
  maxEntries?: number;
}

export interface LockedKey {
  kind: "user" | "address";
  key: string;
  failures: number;
  lockedUntil: string;
}

interface Entry {
  failures: number;
  lockedUntil: number;
  lastFailure: number;
}

export interface LoginLimiter {
  /** 0 when an attempt may go ahead, otherwise the ms to wait. */
  retryAfterMs(username: string | null, address: string | null, now?: number): number;
  failed(username: string | null, address: string | null, now?: number): void;
  succeeded(username: string): void;
  /** Users and addresses that must wait now. */
  locked(now?: number): LockedKey[];
  isLocked(username: string, now?: number): boolean;
  unlock(username: string): boolean;
}

export function createLoginLimiter(o: LoginLimiterOptions): LoginLimiter {
  // Ordered by last failure (set on each failure; reads peek), so the cap forgets the key that
  // failed least recently.
  const entries = createLru<string, Entry>(o.maxEntries ?? 100_000);
  const keys = (u: string | null, a: string | null) => [
    ...(u ? [`user:${u}`] : []),
    ...(a ? [`address:${a}`] : []),
  ];
  const live = (k: string, now: number): Entry | undefined => {
    const e = entries.peek(k);
    if (e && now - e.lastFailure > o.forgetAfterMs && e.lockedUntil <= now) {
      entries.delete(k);
      return undefined;
    }
    return e;
  };
  return {
    retryAfterMs(u, a, now = Date.now()) {
      let wait = 0;
      for (const k of keys(u, a)) {
        const e = live(k, now);
        if (e && e.lockedUntil > now) wait = Math.max(wait, e.lockedUntil - now);
      }
      return wait;
    },
    failed(u, a, now = Date.now()) {
      for (const k of keys(u, a)) {
        const e = live(k, now) ?? { failures: 0, lockedUntil: 0, lastFailure: now };
        e.failures++;
        e.lastFailure = now;
        const free = k.startsWith("user:") ? o.userFreeAttempts : o.addressFreeAttempts;
        // The failure that uses up the free attempts makes the next attempt wait base, then 2x, 4x...
        const over = e.failures - free;
        if (over >= 0) e.lockedUntil = now + Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** Math.min(over, 30));
        entries.set(k, e);
      }
    },
    succeeded(u) {
      entries.delete(`user:${u}`);
    },
    locked(now = Date.now()) {
      const out: LockedKey[] = [];
      for (const [k, e] of entries.entries()) {
        if (e.lockedUntil <= now) continue;
        const i = k.indexOf(":");
        out.push({
          kind: k.slice(0, i) as LockedKey["kind"],
          key: k.slice(i + 1),
          failures: e.failures,
          lockedUntil: new Date(e.lockedUntil).toISOString(),
        });
      }
      return out;
    },
    isLocked(u, now = Date.now()) {
      const e = live(`user:${u}`, now);
      return !!e && e.lockedUntil > now;
    },
    unlock(u) {
      return entries.delete(`user:${u}`);
    },
  };
}
