import type { ValidationError } from "@uns/contracts";
import type { MessageOutcome } from "@uns/store";

/** What was decided about a message, by a validation worker or by a step of the pipeline. */
export type Judgement =
  | { outcome: "valid"; message?: string }
  | { outcome: "invalid"; kind: string; message?: string; errors: ValidationError[] }
  /** `keyword` names what could not be checked (default "unvalidated"); `kind` default "unvalidated". */
  | { outcome: "unvalidated"; reason: string; kind?: string; keyword?: string }
  | { outcome: "ungoverned" };

/** Who sent what, when, under which policy: the part of an outcome every step knows. */
export interface OutcomeBase {
  time: number;
  clientId: string;
  username: string | null;
  topic: string;
  payload: Uint8Array;
  policy: "monitor" | "enforce";
}

export interface ContractRef {
  file: string;
  version: string;
  title: string;
}

/**
 * The one place an outcome record is built (store, metrics, live stats and alerts all read it),
 * in the dispatcher and in the validation workers alike.
 */
export function outcomeOf(
  base: OutcomeBase,
  channel: string | null,
  contract: ContractRef | null,
  j: Judgement,
): MessageOutcome {
  const o: MessageOutcome = {
    time: base.time,
    clientId: base.clientId,
    username: base.username,
    topic: base.topic,
    payload: base.payload,
    payloadSize: base.payload.byteLength,
    policy: base.policy,
    channel,
    contract: contract ? { file: contract.file, version: contract.version, title: contract.title } : null,
    outcome: j.outcome,
  };
  switch (j.outcome) {
    case "valid":
      if (j.message !== undefined) o.messageName = j.message;
      break;
    case "invalid":
      o.kind = j.kind;
      if (j.message !== undefined) o.messageName = j.message;
      o.errors = j.errors;
      break;
    case "unvalidated":
      o.kind = j.kind ?? "unvalidated";
      o.errors = [{ instancePath: "", keyword: j.keyword ?? "unvalidated", message: j.reason }];
      break;
  }
  return o;
}
