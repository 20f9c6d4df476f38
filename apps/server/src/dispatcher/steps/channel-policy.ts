import type { ChannelSummary, TopicClass } from "@uns/contracts";
import type { GovernanceSnapshot } from "../../governance.js";
import type { Judgement } from "../outcome-record.js";

/** Where a governed topic's messages go: its policy and, when it has one, its contract's channel. */
export type ChannelDecision =
  | { kind: "validate"; policy: "monitor" | "enforce"; channel: ChannelSummary }
  /** No validation: recorded as it is (ungoverned, or unvalidated when a named channel is missing). */
  | { kind: "record"; policy: "monitor" | "enforce"; channelId: string | null; judgement: Judgement };

/**
 * Step 4, policy and channel: the tree leaf names the channel (or the channel is matched by
 * address); the policy comes from the tree unless `policy` is given (the server's own messages
 * are always monitored).
 */
export function channelFor(
  snap: GovernanceSnapshot,
  place: TopicClass,
  topic: string,
  policy: "monitor" | "enforce" = "policy" in place ? place.policy : "monitor",
): ChannelDecision {
  const named = place.kind === "leaf" ? place.channel : null;
  const channel = named ? snap.channels.get(named) : snap.matchChannel(topic)?.channel;
  if (channel) return { kind: "validate", policy, channel };
  if (named && place.kind === "leaf")
    // Governance refuses trees naming unknown channels and holds channels a reload drops, so
    // this is a bug guard: fail closed (never a silent `ungoverned`).
    return {
      kind: "record",
      policy,
      channelId: named,
      judgement: {
        outcome: "unvalidated",
        keyword: "channel",
        reason: `leaf ${place.leaf} names channel "${named}", which no loaded contract defines`,
      },
    };
  return { kind: "record", policy, channelId: null, judgement: { outcome: "ungoverned" } };
}
