import { and, desc, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import type { Db } from "./db.js";
import { apiTokens, auditLog } from "./schema.js";

/** An API token as listed to admins: never the token nor its hash. */
export interface ApiTokenRecord {
  id: number;
  name: string;
  /** The user whose roles the token carries. */
  username: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface NewApiToken {
  name: string;
  username: string;
  /** SHA-256 (hex) of the token; the caller makes the token and shows it once. */
  hash: string;
  createdBy: string;
  expiresAt?: Date | null;
}

export interface AuditEntry {
  id: number;
  time: string;
  /** Who: a username, `token:<id>` is folded into details, or `-` for an unknown caller. */
  actor: string;
  /** From where: the client's IP address. */
  address: string | null;
  /** What, as `area.verb`: `user.add`, `token.revoke`, `login.failed`, ... */
  action: string;
  target: string | null;
  outcome: "ok" | "refused" | "failed";
  details: Record<string, unknown>;
}

export type NewAuditEntry = Omit<AuditEntry, "id" | "time"> & { time?: Date };

export interface AuditQuery {
  /** Entries older than this id (keyset paging, newest first). */
  before?: number;
  /** default 100, max 1000 */
  limit?: number;
  actor?: string;
  action?: string;
}

type TokenRow = typeof apiTokens.$inferSelect;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function tokenRecord(r: TokenRow): ApiTokenRecord {
  return {
    id: r.id,
    name: r.name,
    username: r.username,
    createdBy: r.createdBy,
    createdAt: r.createdAt.toISOString(),
    expiresAt: iso(r.expiresAt),
    lastUsedAt: iso(r.lastUsedAt),
    revokedAt: iso(r.revokedAt),
  };
}

export async function createApiToken(db: Db, t: NewApiToken): Promise<ApiTokenRecord> {
  const [row] = await db.orm
    .insert(apiTokens)
    .values({
      name: t.name,
      username: t.username,
      hash: t.hash,
      createdBy: t.createdBy,
      expiresAt: t.expiresAt ?? null,
    })
    .returning();
  return tokenRecord(row!);
}

/** The live token with this hash (not revoked, not expired), marking it used; null otherwise. */
export async function useApiToken(db: Db, hash: string): Promise<ApiTokenRecord | null> {
  const now = new Date();
  const rows = await db.orm
    .update(apiTokens)
    .set({ lastUsedAt: now })
    .where(
      and(
        eq(apiTokens.hash, hash),
        isNull(apiTokens.revokedAt),
        or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, now)),
      ),
    )
    .returning();
  return rows[0] ? tokenRecord(rows[0]) : null;
}

export async function listApiTokens(db: Db): Promise<ApiTokenRecord[]> {
  const rows = await db.orm.select().from(apiTokens).orderBy(desc(apiTokens.id));
  return rows.map(tokenRecord);
}

/** Revoke one token; false when there is no such live token. */
export async function revokeApiToken(db: Db, id: number): Promise<boolean> {
  const rows = await db.orm
    .update(apiTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  return rows.length > 0;
}

/** Revoke every token of a user (the user was removed). Returns how many. */
export async function revokeUserTokens(db: Db, username: string): Promise<number> {
  const rows = await db.orm
    .update(apiTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiTokens.username, username), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  return rows.length;
}

export async function appendAudit(db: Db, e: NewAuditEntry): Promise<void> {
  await db.orm.insert(auditLog).values({
    time: e.time ?? new Date(),
    actor: e.actor,
    address: e.address,
    action: e.action,
    target: e.target,
    outcome: e.outcome,
    details: e.details,
  });
}

export async function listAudit(db: Db, q: AuditQuery = {}): Promise<AuditEntry[]> {
  const limit = Math.min(Math.max(1, q.limit ?? 100), 1000);
  const where = and(
    q.before !== undefined ? lt(auditLog.id, q.before) : undefined,
    q.actor ? eq(auditLog.actor, q.actor) : undefined,
    q.action ? sql`${auditLog.action} like ${`${q.action.replace(/[\\%_]/g, "\\$&")}%`}` : undefined,
  );
  const rows = await db.orm.select().from(auditLog).where(where).orderBy(desc(auditLog.id)).limit(limit);
  return rows.map((r) => ({
    id: r.id,
    time: r.time.toISOString(),
    actor: r.actor,
    address: r.address,
    action: r.action,
    target: r.target,
    outcome: r.outcome as AuditEntry["outcome"],
    details: r.details,
  }));
}

/** The store's methods for API tokens and the audit log (part of `Store`). */
export interface SecurityStore {
  createApiToken(t: NewApiToken): Promise<ApiTokenRecord>;
  useApiToken(hash: string): Promise<ApiTokenRecord | null>;
  listApiTokens(): Promise<ApiTokenRecord[]>;
  revokeApiToken(id: number): Promise<boolean>;
  revokeUserTokens(username: string): Promise<number>;
  appendAudit(e: NewAuditEntry): Promise<void>;
  listAudit(q?: AuditQuery): Promise<AuditEntry[]>;
}
