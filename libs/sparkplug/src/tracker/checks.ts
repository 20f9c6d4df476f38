/** Checks every edge-node message gets before its type's handler: MQTT QoS/retain, seq, timestamps. */

import type { SparkplugIncoming } from "../tracker.js";
import type { SparkplugEdgeMessageType, SparkplugPayloadJson } from "../types.js";
import { label, listed, type Msg } from "./state.js";

const SEQ_TYPES: ReadonlySet<string> = new Set(["NBIRTH", "DBIRTH", "NDATA", "DDATA", "DDEATH"]);
const TIMESTAMP_TYPES: ReadonlySet<string> = new Set([
  "NBIRTH",
  "DBIRTH",
  "NDATA",
  "DDATA",
  "DDEATH",
  "NCMD",
  "DCMD",
]);
const METRIC_TIMESTAMP_TYPES: ReadonlySet<string> = new Set(["NBIRTH", "DBIRTH", "NDATA", "DDATA"]);

export function checkQosRetain(
  type: SparkplugEdgeMessageType,
  msg: SparkplugIncoming,
  flag: Msg["flag"],
): void {
  if (type === "NDEATH") {
    // [tck-id-payloads-ndeath-will-message-qos] [tck-id-payloads-ndeath-will-message-retain]
    if (msg.qos !== 1)
      flag("mqtt-qos", `expected NDEATH at QoS 1, got QoS ${msg.qos}${msg.will ? " (MQTT Will)" : ""}`);
    if (msg.retain) flag("mqtt-retain", "expected NDEATH with retain false, got retain true");
    return;
  }
  // [tck-id-topics-nbirth-mqtt] [tck-id-topics-ndata-mqtt] [tck-id-topics-dbirth-mqtt] [tck-id-topics-ddata-mqtt]
  // [tck-id-topics-ddeath-mqtt] [tck-id-topics-ncmd-mqtt] [tck-id-topics-dcmd-mqtt]
  if (msg.qos !== 0) flag("mqtt-qos", `expected ${type} at QoS 0, got QoS ${msg.qos}`);
  if (msg.retain) flag("mqtt-retain", `expected ${type} with retain false, got retain true`);
}

/** Checks every message type shares; returns the seq when it is usable (0..255). */
export function checkPayloadBasics(
  type: SparkplugEdgeMessageType,
  p: SparkplugPayloadJson,
  flag: Msg["flag"],
): number | undefined {
  let seq: number | undefined;
  if (SEQ_TYPES.has(type)) {
    // [tck-id-payloads-sequence-num-always-included]
    if (p.seq === undefined) flag("seq-missing", `expected a seq in the ${type} payload; none given`);
    else if (typeof p.seq !== "number" || p.seq < 0 || p.seq > 255) {
      flag("seq-range", `expected seq between 0 and 255, got ${p.seq}`);
    } else seq = p.seq;
  } else if (type === "NDEATH" && p.seq !== undefined) {
    // [tck-id-topics-ndeath-seq]
    flag("ndeath-seq", `expected no seq in NDEATH, got seq ${p.seq}`);
  } else if ((type === "NCMD" || type === "DCMD") && p.seq !== undefined) {
    // [tck-id-payloads-ncmd-seq] [tck-id-payloads-dcmd-seq]
    flag("cmd-seq", `expected no seq in ${type}, got seq ${p.seq}`);
  }
  if (TIMESTAMP_TYPES.has(type) && p.timestamp === undefined) {
    flag("timestamp-missing", `expected a payload timestamp in ${type} (ms since epoch, UTC); none given`);
  }
  if (METRIC_TIMESTAMP_TYPES.has(type)) {
    // [tck-id-payloads-name-birth-data-requirement]
    const missing = p.metrics.filter((m) => m.timestamp === undefined).map(label);
    if (missing.length > 0) {
      flag(
        "metric-timestamp-missing",
        `expected a timestamp on every metric in ${type}; ${missing.length} of ${p.metrics.length} have none: ${listed(missing)}`,
        { metric: missing[0]! },
      );
    }
  }
  return seq;
}
