import type { ChannelSpec, ChannelSummary, Diagnostic, TopicTree, TransferredLoad } from "@uns/contracts";

/** A channel a leaf uses that the newest contracts lost: its last good version stays in force. */
export interface HeldChannel {
  channel: ChannelSpec;
  /** Filters of the leaves that name it. */
  leaves: string[];
  diagnostic: Diagnostic;
}

function leavesByChannel(tree: TopicTree): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const leaf of tree.leafPatterns()) {
    if (leaf.channel === null) continue;
    const list = out.get(leaf.channel) ?? [];
    list.push(`${leaf.filter} (${leaf.policy})`);
    out.set(leaf.channel, list);
  }
  return out;
}

/** Leaves naming a channel outside `channels`: an error, never a silent `ungoverned`. */
export function unknownLeafChannels(tree: TopicTree, channels: ReadonlySet<string>): Diagnostic[] {
  const known = [...channels].sort();
  return [...leavesByChannel(tree)]
    .filter(([id]) => !channels.has(id))
    .map(([id, leaves]) => ({
      file: tree.file,
      severity: "error" as const,
      message: `leaf ${leaves.join(", ")} names channel "${id}", which no contract defines; defined: ${known.join(", ") || "(none)"}`,
      path: "$.leaves",
      code: "UNS_ERR_CHECK_UNKNOWN_CHANNEL",
    }));
}

/**
 * The channels `tree` uses that `next` no longer has but `previous` (what is in force) does:
 * the file was emptied, garbled into something that is not a document, deleted, or the channel
 * renamed. Each is kept at its last good version and explained.
 */
export function holdChannels(
  tree: TopicTree,
  next: TransferredLoad,
  previous: {
    channels: ReadonlyMap<string, ChannelSummary>;
    fullChannel(id: string): ChannelSpec | undefined;
  },
): HeldChannel[] {
  const have = new Set(next.set.channels.map((c) => c.id));
  const held: HeldChannel[] = [];
  for (const [id, leaves] of leavesByChannel(tree)) {
    if (have.has(id)) continue;
    // Only on a hold (rare) is the previous set's JSON parsed, for the held channel in full.
    const channel = previous.channels.has(id) ? previous.fullChannel(id) : undefined;
    if (!channel) continue;
    const doc = next.documents.find((d) => d.file === channel.file);
    const skipped = next.diagnostics.find(
      (d) => d.file === channel.file && d.code === "UNS_ERR_CONTRACT_NOT_A_DOCUMENT",
    );
    const why = doc
      ? `${channel.file} no longer defines channel "${id}" (renamed or removed)`
      : skipped
        ? `${channel.file} is no longer an AsyncAPI document (empty or garbled: ${skipped.message})`
        : `${channel.file}, which defined channel "${id}", is gone`;
    held.push({
      channel,
      leaves,
      diagnostic: {
        file: channel.file,
        severity: "error",
        message: `${why}; leaf ${leaves.join(", ")} uses it, so its last good version (${channel.version || "unversioned"}) stays in force`,
        path: `$.channels.${id}`,
        code: "UNS_ERR_CONTRACT_CHANNEL_HELD",
      },
    });
  }
  return held;
}
