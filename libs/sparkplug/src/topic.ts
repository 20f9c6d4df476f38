import { createViolation, type SparkplugRule } from "./rules.js";
import {
  SPARKPLUG_NAMESPACE,
  type SparkplugEdgeMessageType,
  type SparkplugEdgeTopic,
  type SparkplugMessageType,
  type SparkplugTopic,
  type SparkplugViolation,
} from "./types.js";

const EDGE_TYPES: ReadonlySet<string> = new Set<SparkplugEdgeMessageType>([
  "NBIRTH",
  "NDEATH",
  "DBIRTH",
  "DDEATH",
  "NDATA",
  "DDATA",
  "NCMD",
  "DCMD",
]);
const DEVICE_TYPES: ReadonlySet<string> = new Set(["DBIRTH", "DDEATH", "DDATA", "DCMD"]);

export type TopicParseResult =
  | { ok: true; topic: SparkplugTopic }
  | { ok: false; violation: SparkplugViolation };

/** True for topics in the Sparkplug B namespace (`spBv1.0/...`): recognised by topic, never by payload. */
export function isSparkplugTopic(topic: string): boolean {
  return topic.startsWith(`${SPARKPLUG_NAMESPACE}/`);
}

/**
 * Parse `spBv1.0/<group>/<type>/<edge node>[/<device>]` or `spBv1.0/STATE/<host id>`.
 *
 * @example
 * parseSparkplugTopic("spBv1.0/Plant1/DDATA/Welder01/Gun1")
 * // { ok: true, topic: { namespace: "spBv1.0", group: "Plant1", type: "DDATA", edgeNode: "Welder01", device: "Gun1" } }
 */
export function parseSparkplugTopic(topic: string, time: number = Date.now()): TopicParseResult {
  const fail = (rule: SparkplugRule, message: string, type?: SparkplugMessageType): TopicParseResult => ({
    ok: false,
    violation: createViolation(rule, { topic, time, message, ...(type ? { type } : {}) }),
  });
  const levels = topic.split("/");
  const [namespace, group, type, edgeNode, device] = levels;
  if (namespace !== SPARKPLUG_NAMESPACE) {
    return fail("topic-namespace", `expected the namespace "${SPARKPLUG_NAMESPACE}", got "${namespace}"`);
  }
  // [tck-id-host-topic-phid-birth-topic] STATE is spBv1.0/STATE/<host id>, exactly three levels.
  if (group === "STATE") {
    if (levels.length !== 3 || !validId(type)) {
      return fail(
        "state-topic",
        `expected spBv1.0/STATE/<sparkplug_host_id> (three levels, host id without + / #), got "${topic}"`,
        "STATE",
      );
    }
    return { ok: true, topic: { namespace: SPARKPLUG_NAMESPACE, type: "STATE", hostId: type! } };
  }
  // [tck-id-topic-structure]
  if (levels.length < 4 || levels.length > 5) {
    return fail(
      "topic-structure",
      `expected namespace/group_id/message_type/edge_node_id[/device_id] (4 or 5 levels), got ${levels.length} levels`,
    );
  }
  if (type === undefined || !EDGE_TYPES.has(type)) {
    return fail(
      "topic-message-type",
      `expected message_type NBIRTH, NDEATH, DBIRTH, DDEATH, NDATA, DDATA, NCMD, DCMD or STATE, got "${type}"`,
    );
  }
  const t = type as SparkplugEdgeMessageType;
  // [tck-id-topic-structure-namespace-valid-group-id] / -edge-node-id / -device-id
  if (!validId(group))
    return fail("topic-group-id", `expected a non-empty group_id without + / #, got "${group}"`, t);
  if (!validId(edgeNode)) {
    return fail(
      "topic-edge-node-id",
      `expected a non-empty edge_node_id without + / #, got "${edgeNode}"`,
      t,
    );
  }
  if (DEVICE_TYPES.has(t)) {
    // [tck-id-topic-structure-namespace-device-id-associated-message-types]
    if (device === undefined) {
      return fail(
        "topic-device-id-required",
        `expected a ${t} topic to end with /<device_id>; none given`,
        t,
      );
    }
    if (!validId(device)) {
      return fail("topic-device-id", `expected a non-empty device_id without + / #, got "${device}"`, t);
    }
  } else if (device !== undefined) {
    // [tck-id-topic-structure-namespace-device-id-non-associated-message-types]
    return fail(
      "topic-device-id-forbidden",
      `expected a ${t} topic to end at the edge_node_id; got a device_id "${device}"`,
      t,
    );
  }
  const parsed: SparkplugEdgeTopic = {
    namespace: SPARKPLUG_NAMESPACE,
    type: t,
    group: group!,
    edgeNode: edgeNode!,
  };
  if (device !== undefined) parsed.device = device;
  return { ok: true, topic: parsed };
}

function validId(id: string | undefined): boolean {
  return id !== undefined && id.length > 0 && !id.includes("+") && !id.includes("#");
}

/** `spBv1.0/<group>/<type>/<edge node>[/<device>]`, for building topics instead of gluing strings. */
export function sparkplugTopic(
  group: string,
  type: SparkplugEdgeMessageType,
  edgeNode: string,
  device?: string,
): string {
  return device === undefined
    ? `${SPARKPLUG_NAMESPACE}/${group}/${type}/${edgeNode}`
    : `${SPARKPLUG_NAMESPACE}/${group}/${type}/${edgeNode}/${device}`;
}

/**
 * Where a Sparkplug-aware MQTT server retains births:
 * `$sparkplug/certificates/spBv1.0/<group>/NBIRTH/<node>` and `.../DBIRTH/<node>/<device>`
 * [tck-id-conformance-mqtt-aware-nbirth-mqtt-topic] [tck-id-conformance-mqtt-aware-dbirth-mqtt-topic].
 */
export function certificateTopic(group: string, edgeNode: string, device?: string): string {
  return `$sparkplug/certificates/${sparkplugTopic(group, device === undefined ? "NBIRTH" : "DBIRTH", edgeNode, device)}`;
}
