import { createHash, randomBytes } from "node:crypto";
import { createLru } from "@uns/contracts";

/**
 * Console sessions, kept in memory: a restart logs everyone out, which is the safe default for a
 * plant server (nothing to steal from the database). The cookie holds a random id; the map is
 * keyed by its SHA-256 so a heap dump does not hand out live cookies.
 */
export interface Session {
  username: string;
  roles: readonly string[];
  /** Sent back by the console in `x-csrf-token` on every state-changing request. */
  csrfToken: string;
  createdAt: number;
  expiresAt: number;
}

export interface SessionStore {
  create(username: string, roles: readonly string[], now?: number): { id: string; session: Session };
  get(id: string, now?: number): Session | undefined;
  revoke(id: string): boolean;
  /** Log a user out everywhere (password reset, roles changed, user removed). */
  revokeUser(username: string): number;
  size(): number;
}

const digest = (id: string) => createHash("sha256").update(id).digest("base64url");

export function createSessionStore(o: { ttlMs: number; maxSessions?: number }): SessionStore {
  // Still full after dropping the expired ones: the least recently used session goes, rather
  // than refusing every new login.
  const sessions = createLru<string, Session>(o.maxSessions ?? 10_000);
  const sweep = (now: number) => {
    for (const [k, s] of [...sessions.entries()]) if (s.expiresAt <= now) sessions.delete(k);
  };
  return {
    create(username, roles, now = Date.now()) {
      if (sessions.size >= sessions.maxEntries) sweep(now);
      const id = randomBytes(32).toString("base64url");
      const session: Session = {
        username,
        roles: [...roles],
        csrfToken: randomBytes(24).toString("base64url"),
        createdAt: now,
        expiresAt: now + o.ttlMs,
      };
      sessions.set(digest(id), session);
      return { id, session };
    },
    get(id, now = Date.now()) {
      const k = digest(id);
      const s = sessions.get(k);
      if (!s) return undefined;
      if (s.expiresAt <= now) {
        sessions.delete(k);
        return undefined;
      }
      return s;
    },
    revoke(id) {
      return sessions.delete(digest(id));
    },
    revokeUser(username) {
      let n = 0;
      for (const [k, s] of [...sessions.entries()])
        if (s.username === username) {
          sessions.delete(k);
          n++;
        }
      return n;
    },
    size: () => sessions.size,
  };
}
