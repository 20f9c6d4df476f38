import type { WorkbenchVerdict } from "@uns/api-contract";
import { isSparkplugTopic } from "@uns/sparkplug";
import type { Verdict } from "../dispatcher/protocol.js";
import type { GovernanceSnapshot } from "../governance.js";

export interface Governed {
  channel: string | null;
  contract: string | null;
  policy: "monitor" | "enforce" | null;
  place: string;
}

/** What the tree and the contracts say about a topic, as the dispatcher decides it. */
export function governedBy(snap: GovernanceSnapshot, topic: string): Governed & { reason?: string } {
  const place = snap.tree.classify(topic);
  if (place.kind === "refused")
    return { channel: null, contract: null, policy: null, place: "refused", reason: place.reason };
  if (place.kind === "reserved")
    return { channel: null, contract: null, policy: null, place: `reserved (${place.namespace})` };
  const channel =
    place.kind === "leaf" && place.channel
      ? snap.channels.get(place.channel)
      : snap.matchChannel(topic)?.channel;
  return {
    channel: channel?.id ?? null,
    contract: channel ? `${channel.file} ${channel.version}` : null,
    policy: place.policy,
    place: place.kind,
  };
}

/** Why a topic cannot be published to from the workbench, or null. */
export function topicProblem(topic: string): string | null {
  if (topic.length === 0) return "the topic is empty";
  if (/[+#]/.test(topic)) return `"${topic}" holds a wildcard (+ or #); a publish needs one exact topic`;
  if (topic.startsWith("$")) return `"${topic}" is in the broker's own $ namespace; choose a plant topic`;
  if (isSparkplugTopic(topic))
    return `"${topic}" is a Sparkplug B topic: its payloads are protobuf, send them from an edge node`;
  if (topic.includes("\u0000")) return "the topic holds a NUL character [MQTT-1.5.3-2]";
  return null;
}

/**
 * The verdict on a payload for a topic without publishing it: the topic rules first, then the
 * contract through the validation workers (the same code that judges a device's message).
 */
export async function judgePayload(
  snap: GovernanceSnapshot,
  submit: (channel: string, topic: string, payload: Uint8Array) => Promise<Verdict> | undefined,
  topic: string,
  payload: Uint8Array,
  channelHint: string | undefined,
): Promise<WorkbenchVerdict> {
  const problem = topicProblem(topic);
  const g = governedBy(snap, topic);
  const { reason: placeReason, ...gov } = g;
  if (problem) return { outcome: "refused", reason: problem, errors: [], ...gov };
  if (g.place === "refused")
    return {
      outcome: "refused",
      kind: "topic",
      reason: placeReason ?? "refused by topics/tree.yaml",
      errors: [],
      ...gov,
    };
  if (channelHint && g.channel !== channelHint)
    return {
      outcome: "refused",
      kind: "topic",
      reason: `"${topic}" is governed by ${g.channel ? `channel ${g.channel}` : "no channel"}, not ${channelHint}: check the address parameters`,
      errors: [],
      ...gov,
    };
  if (!g.channel) return { outcome: "ungoverned", errors: [], ...gov };
  const pending = submit(g.channel, topic, payload);
  if (!pending)
    return { outcome: "unvalidated", reason: "the validation queue is full; try again", errors: [], ...gov };
  const v = await pending;
  if (v.outcome === "valid") return { outcome: "valid", message: v.message, errors: [], ...gov };
  if (v.outcome === "invalid")
    return {
      outcome: "invalid",
      kind: v.kind,
      ...(v.message ? { message: v.message } : {}),
      errors: v.errors.map((e) => ({
        instancePath: e.instancePath,
        keyword: e.keyword,
        message: e.message ?? "",
        ...(e.schemaPath ? { schemaPath: e.schemaPath } : {}),
        ...(e.params ? { params: e.params as object } : {}),
      })),
      ...gov,
    };
  return { outcome: "unvalidated", reason: v.reason, errors: [], ...gov };
}
