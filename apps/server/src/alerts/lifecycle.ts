import type { AlertRecord, AlertState } from "@uns/store";
import { createError } from "../errors.js";

/**
 * The alert lifecycle of ISA-18.2 (clause 11.5, alarm states), as a pure function:
 *
 *   raise       (none)                 -> active-unacknowledged
 *   return      active-unacknowledged  -> returned-unacknowledged
 *               active-acknowledged    -> cleared (normal)
 *   reactivate  returned-unacknowledged-> active-unacknowledged
 *   ack         active-unacknowledged  -> active-acknowledged
 *               returned-unacknowledged-> cleared
 *   clear       returned-unacknowledged-> cleared   (a person closes a returned alert)
 *   assign, comment, shelve, unshelve: the state does not change.
 *
 * An alert whose condition is still active cannot be cleared by a person: acknowledging is the
 * answer, and it clears itself when the condition returns to normal.
 */
export type PersonAction = "ack" | "assign" | "comment" | "shelve" | "unshelve" | "clear";
export type SystemAction = "return" | "reactivate" | "unshelve";
export const PERSON_ACTIONS: readonly PersonAction[] = [
  "ack",
  "assign",
  "comment",
  "shelve",
  "unshelve",
  "clear",
];

export interface ActionInput {
  action: PersonAction | SystemAction;
  actor: string;
  time: string;
  assignee?: string | null;
  shelvedUntil?: string;
  value?: number | null;
}

const OPEN: readonly AlertState[] = [
  "active-unacknowledged",
  "active-acknowledged",
  "returned-unacknowledged",
];

function refuse(a: AlertRecord, action: string): never {
  throw createError(
    "UNS_ERR_ALERT_TRANSITION",
    `alert ${a.id} is ${a.state}: ${action} is not possible in that state` +
      (action === "clear" && a.state.startsWith("active")
        ? " (its condition is still active; acknowledge it, it clears when the condition returns to normal)"
        : ""),
    { statusCode: 409 },
  );
}

/** The alert after `input`; throws UNS_ERR_ALERT_TRANSITION when the state does not allow it. */
export function transition(a: AlertRecord, input: ActionInput): AlertRecord {
  const next: AlertRecord = { ...a, version: a.version + 1, updatedAt: input.time };
  const open = OPEN.includes(a.state);
  switch (input.action) {
    case "ack":
      if (a.state === "active-unacknowledged")
        return { ...next, state: "active-acknowledged", ackedAt: input.time, ackedBy: input.actor };
      if (a.state === "returned-unacknowledged")
        return {
          ...next,
          state: "cleared",
          ackedAt: input.time,
          ackedBy: input.actor,
          clearedAt: input.time,
          clearedBy: input.actor,
        };
      return refuse(a, "ack");
    case "clear":
      if (a.state === "returned-unacknowledged")
        return { ...next, state: "cleared", clearedAt: input.time, clearedBy: input.actor };
      return refuse(a, "clear");
    case "return":
      if (a.state === "active-unacknowledged")
        return { ...next, state: "returned-unacknowledged", returnedAt: input.time };
      if (a.state === "active-acknowledged")
        return {
          ...next,
          state: "cleared",
          returnedAt: input.time,
          clearedAt: input.time,
          clearedBy: input.actor,
        };
      return refuse(a, "return");
    case "reactivate":
      if (a.state === "returned-unacknowledged")
        return { ...next, state: "active-unacknowledged", returnedAt: null, value: input.value ?? a.value };
      return refuse(a, "reactivate");
    case "assign":
      if (!open) return refuse(a, "assign");
      return { ...next, assignee: input.assignee ?? null };
    case "comment":
      return next;
    case "shelve":
      if (!open) return refuse(a, "shelve");
      return { ...next, shelvedUntil: input.shelvedUntil ?? null };
    case "unshelve":
      if (a.shelvedUntil === null) return refuse(a, "unshelve");
      return { ...next, shelvedUntil: null };
  }
}
