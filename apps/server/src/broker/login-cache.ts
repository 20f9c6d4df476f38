import { createHmac, randomBytes } from "node:crypto";
import type { Access, AuthResult } from "@uns/contracts";

export interface LoginCacheOptions {
  /** A successful check is reused this long (ms). */
  ttlMs: number;
  /** Entries kept at most; the oldest goes first. */
  maxEntries: number;
  /** Clock (ms); tests pass their own. */
  now?: () => number;
}

type Success = Extract<AuthResult, { ok: true }>;

/** Each caller gets its own roles array: one client's identity is not another's. */
function copy(result: AuthResult): AuthResult {
  return result.ok
    ? { ok: true, user: { username: result.user.username, roles: [...result.user.roles] } }
    : result;
}

interface Entries {
  /** The access rules the entries were checked against: another one (a reload) empties the cache. */
  access: Access | null;
  done: Map<string, { user: Success["user"]; expires: number }>;
  /** Checks running now: identical CONNECTs arriving together share one scrypt run. */
  running: Map<string, Promise<AuthResult>>;
}

/**
 * Successful MQTT password checks, so that a device reconnecting (or 10,000 of them after a
 * restart) does not pay scrypt each time: ~50 ms of a libuv thread at N = 16384, the whole cost
 * of a connect storm. Keyed by an HMAC of user name and password under a key made at start and
 * kept in memory only: the password is never stored, nothing here is logged, and nothing on disk
 * can be checked against. The trade: whoever dumps the process's memory (key and entries) can test
 * guesses of the recently used passwords at HMAC speed instead of scrypt's; `ttlMs` bounds how
 * long a password stays so exposed, and 0 turns the cache off. Only successes are kept; a new
 * users.yaml or access.yaml (a new `Access`) empties the cache, so a changed or removed password
 * is refused at the next CONNECT.
 */
export function createLoginCache(options: LoginCacheOptions) {
  const key = randomBytes(32);
  const now = options.now ?? Date.now;
  let entries: Entries = { access: null, done: new Map(), running: new Map() };

  function digest(username: string, password: string): string {
    // Length-prefixed: no user name / password split can collide with another.
    return createHmac("sha256", key)
      .update(`${Buffer.byteLength(username)}:${username}:`)
      .update(password)
      .digest("base64");
  }

  return {
    /**
     * The result of `access.authenticate(username, password)`, from the cache when the same
     * user name and password succeeded within the TTL under the same access rules.
     */
    authenticate(access: Access, username: string, password: string): Promise<AuthResult> {
      if (entries.access !== access) entries = { access, done: new Map(), running: new Map() };
      const mine = entries;
      const k = digest(username, password);
      const hit = mine.done.get(k);
      if (hit && hit.expires > now()) return Promise.resolve(copy({ ok: true, user: hit.user }));
      if (hit) mine.done.delete(k);
      const running = mine.running.get(k);
      if (running) return running.then(copy);
      const check = access.authenticate(username, password).then(
        (result) => {
          mine.running.delete(k);
          if (result.ok) {
            if (mine.done.size >= options.maxEntries) mine.done.delete(mine.done.keys().next().value!);
            mine.done.set(k, {
              user: { username: result.user.username, roles: [...result.user.roles] },
              expires: now() + options.ttlMs,
            });
          }
          return result;
        },
        (err: unknown) => {
          mine.running.delete(k);
          throw err;
        },
      );
      mine.running.set(k, check);
      return check.then(copy);
    },
    /** Forget every success (tests; a reload does it by handing over a new `Access`). */
    clear(): void {
      entries = { access: null, done: new Map(), running: new Map() };
    },
    get size(): number {
      return entries.done.size;
    },
  };
}

export type LoginCache = ReturnType<typeof createLoginCache>;
