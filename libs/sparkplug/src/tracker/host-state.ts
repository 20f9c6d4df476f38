/** Host application STATE messages (`spBv1.0/STATE/<host id>`). */
import { createViolation } from "../rules.js";
import type { SparkplugIncoming } from "../tracker.js";
import type { SparkplugResult, SparkplugStateTopic } from "../types.js";
import type { TrackerState } from "./state.js";

export function onState(
  tr: TrackerState,
  t: SparkplugStateTopic,
  msg: SparkplugIncoming,
  time: number,
  clientId: string | null,
): SparkplugResult {
  const result: SparkplugResult = { topic: t, violations: [] };
  const ctx = { topic: msg.topic, time, type: "STATE" as const, hostId: t.hostId, clientId };
  const text = Buffer.from(msg.payload.buffer, msg.payload.byteOffset, msg.payload.byteLength).toString(
    "utf8",
  );
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const ok =
    typeof parsed === "object" &&
    parsed !== null &&
    typeof (parsed as { online?: unknown }).online === "boolean" &&
    typeof (parsed as { timestamp?: unknown }).timestamp === "number" &&
    Number.isFinite((parsed as { timestamp: number }).timestamp);
  const online = ok ? (parsed as { online: boolean }).online : true;
  const death = (id: string, birthId: string): string => (online ? birthId : id);
  // [tck-id-host-topic-phid-birth-qos] [tck-id-host-topic-phid-death-qos]
  if (msg.qos !== 1) {
    result.violations.push({
      ...createViolation("mqtt-qos", { ...ctx, message: `expected STATE at QoS 1, got QoS ${msg.qos}` }),
      conformance: death("tck-id-host-topic-phid-death-qos", "tck-id-host-topic-phid-birth-qos"),
    });
  }
  // [tck-id-host-topic-phid-birth-retain] [tck-id-host-topic-phid-death-retain]
  if (!msg.retain) {
    result.violations.push({
      ...createViolation("mqtt-retain", {
        ...ctx,
        message: "expected STATE with retain true, got retain false",
      }),
      conformance: death("tck-id-host-topic-phid-death-retain", "tck-id-host-topic-phid-birth-retain"),
    });
  }
  if (!ok) {
    // [tck-id-host-topic-phid-birth-payload] [tck-id-host-topic-phid-death-payload]
    const legacy = /^(ONLINE|OFFLINE)$/.test(text.trim()) ? " (the Sparkplug 2.2 form)" : "";
    result.violations.push(
      createViolation("state-payload", {
        ...ctx,
        message: `expected UTF-8 JSON {"online": true|false, "timestamp": <ms since epoch>}, got ${JSON.stringify(text.slice(0, 80))}${legacy}`,
      }),
    );
    return result;
  }
  const state = { hostId: t.hostId, online, timestamp: (parsed as { timestamp: number }).timestamp };
  result.state = state;
  const prev = tr.hosts.get(t.hostId);
  // An older STATE (by its timestamp) than the one held is stale news.
  if (!prev || state.timestamp >= prev.timestamp) {
    tr.hosts.set(t.hostId, { hostId: t.hostId, online, timestamp: state.timestamp, time, clientId });
  }
  // [tck-id-message-flow-hid-sparkplug-state-message-delivered]: our own host reported offline.
  if (tr.opts.hostId !== undefined && t.hostId === tr.opts.hostId && !online) result.republishState = true;
  return result;
}
