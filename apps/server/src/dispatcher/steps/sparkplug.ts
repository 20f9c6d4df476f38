import type { MessageOutcome } from "@uns/store";
import { type OutcomeBase, outcomeOf } from "../outcome-record.js";
import type { Identity, PublishingClient, PublishPacket } from "../publish-pipeline.js";

export type SparkplugJudge = (
  client: PublishingClient,
  packet: PublishPacket,
  identity: Identity,
  time: number,
) => MessageOutcome | null;

/**
 * Step 3, Sparkplug: `spBv1.0/...` messages are judged by the Sparkplug rules (libs/sparkplug
 * through the bridge), not by AsyncAPI; without a verdict from there they are ungoverned.
 */
export function sparkplugOutcome(
  judge: SparkplugJudge | undefined,
  client: PublishingClient,
  packet: PublishPacket,
  identity: Identity,
  base: OutcomeBase,
): MessageOutcome {
  return (
    judge?.(client, packet, identity, base.time) ??
    outcomeOf({ ...base, policy: "monitor" }, null, null, { outcome: "ungoverned" })
  );
}
