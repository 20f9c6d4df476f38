import type { Store } from "@uns/store";
import type { FastifyRequest } from "fastify";

export interface AuditEvent {
  action: string;
  target?: string | null;
  outcome?: "ok" | "refused" | "failed";
  details?: Record<string, unknown>;
}

/**
 * Records an admin action with who (the caller, and how they proved it), when and from where.
 * Writing the record must never fail the action it describes, so a store error is logged.
 */
export async function audit(store: Store, req: FastifyRequest, e: AuditEvent, actor?: string): Promise<void> {
  const c = req.caller;
  try {
    await store.appendAudit({
      actor: actor ?? c?.username ?? "-",
      address: req.ip,
      action: e.action,
      target: e.target ?? null,
      outcome: e.outcome ?? "ok",
      details: { ...(c ? { via: c.via, ...(c.tokenId ? { tokenId: c.tokenId } : {}) } : {}), ...e.details },
    });
  } catch (err) {
    req.log.error({ err: (err as Error).message, action: e.action }, "audit entry not stored");
  }
}
