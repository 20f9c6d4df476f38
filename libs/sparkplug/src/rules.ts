import type { SparkplugMessageType, SparkplugSeverity, SparkplugViolation } from "./types.js";

/**
 * Every rule this library checks, with the Sparkplug 3.0 conformance id(s) it enforces.
 *
 * `ids` picks the conformance id by message type (`"*"` for any); `uncertain` marks ids recalled
 * from the specification's wording without a dedicated statement (see the README table, which a
 * test keeps in step with this registry).
 */
export interface SparkplugRuleInfo {
  summary: string;
  ids: Partial<Record<SparkplugMessageType | "*", string>>;
  related?: string[];
  severity: SparkplugSeverity;
  /** The host asks the edge node for a rebirth when this rule breaks. */
  rebirth?: boolean;
  uncertain?: boolean;
}

export const SPARKPLUG_RULES = {
  "topic-structure": {
    summary:
      "Topic is namespace/group_id/message_type/edge_node_id[/device_id] (STATE: spBv1.0/STATE/host_id)",
    ids: { "*": "tck-id-topic-structure" },
    severity: "error",
  },
  "topic-namespace": {
    summary: "Namespace element is spBv1.0",
    ids: { "*": "tck-id-topic-structure-namespace-a" },
    severity: "error",
  },
  "topic-message-type": {
    summary: "message_type is one of NBIRTH NDEATH DBIRTH DDEATH NDATA DDATA NCMD DCMD STATE",
    ids: { "*": "tck-id-topic-structure" },
    severity: "error",
  },
  "topic-group-id": {
    summary: "group_id is a non-empty UTF-8 string without + / #",
    ids: { "*": "tck-id-topic-structure-namespace-valid-group-id" },
    severity: "error",
  },
  "topic-edge-node-id": {
    summary: "edge_node_id is a non-empty UTF-8 string without + / #",
    ids: { "*": "tck-id-topic-structure-namespace-valid-edge-node-id" },
    severity: "error",
  },
  "topic-device-id": {
    summary: "device_id is a non-empty UTF-8 string without + / #",
    ids: { "*": "tck-id-topic-structure-namespace-valid-device-id" },
    severity: "error",
  },
  "topic-device-id-required": {
    summary: "DBIRTH, DDEATH, DDATA and DCMD topics carry a device_id",
    ids: { "*": "tck-id-topic-structure-namespace-device-id-associated-message-types" },
    severity: "error",
  },
  "topic-device-id-forbidden": {
    summary: "NBIRTH, NDEATH, NDATA, NCMD and STATE topics carry no device_id",
    ids: { "*": "tck-id-topic-structure-namespace-device-id-non-associated-message-types" },
    severity: "error",
  },
  "state-topic": {
    summary: "A host's STATE topic is spBv1.0/STATE/sparkplug_host_id",
    ids: { "*": "tck-id-host-topic-phid-birth-topic" },
    related: ["tck-id-host-topic-phid-death-topic"],
    severity: "error",
  },
  "state-payload": {
    summary: "STATE payload is UTF-8 JSON {online: boolean, timestamp: ms since epoch}",
    ids: { "*": "tck-id-host-topic-phid-birth-payload" },
    related: ["tck-id-host-topic-phid-death-payload"],
    severity: "error",
  },
  "payload-decode": {
    summary: "Payload is a Sparkplug B protobuf (optionally a SPBV1.0_COMPRESSED wrapper)",
    ids: {
      NBIRTH: "tck-id-message-flow-edge-node-birth-publish-nbirth-payload",
      DBIRTH: "tck-id-message-flow-device-birth-publish-dbirth-payload",
    },
    severity: "error",
  },
  "mqtt-qos": {
    summary: "QoS 0 for NBIRTH/NDATA/DBIRTH/DDATA/DDEATH/NCMD/DCMD; QoS 1 for NDEATH and STATE",
    ids: {
      NBIRTH: "tck-id-topics-nbirth-mqtt",
      NDATA: "tck-id-topics-ndata-mqtt",
      DBIRTH: "tck-id-topics-dbirth-mqtt",
      DDATA: "tck-id-topics-ddata-mqtt",
      DDEATH: "tck-id-topics-ddeath-mqtt",
      NCMD: "tck-id-topics-ncmd-mqtt",
      DCMD: "tck-id-topics-dcmd-mqtt",
      NDEATH: "tck-id-payloads-ndeath-will-message-qos",
      STATE: "tck-id-host-topic-phid-birth-qos",
    },
    related: ["tck-id-host-topic-phid-death-qos"],
    severity: "error",
  },
  "mqtt-retain": {
    summary: "retain false for all edge node and device messages; retain true for STATE",
    ids: {
      NBIRTH: "tck-id-topics-nbirth-mqtt",
      NDATA: "tck-id-topics-ndata-mqtt",
      DBIRTH: "tck-id-topics-dbirth-mqtt",
      DDATA: "tck-id-topics-ddata-mqtt",
      DDEATH: "tck-id-topics-ddeath-mqtt",
      NCMD: "tck-id-topics-ncmd-mqtt",
      DCMD: "tck-id-topics-dcmd-mqtt",
      NDEATH: "tck-id-payloads-ndeath-will-message-retain",
      STATE: "tck-id-host-topic-phid-birth-retain",
    },
    related: ["tck-id-host-topic-phid-death-retain"],
    severity: "error",
  },
  "seq-missing": {
    summary: "NBIRTH, DBIRTH, NDATA, DDATA and DDEATH carry a seq",
    ids: {
      NBIRTH: "tck-id-topics-nbirth-seq-num",
      DBIRTH: "tck-id-topics-dbirth-seq",
      NDATA: "tck-id-topics-ndata-seq-num",
      DDATA: "tck-id-topics-ddata-seq-num",
      DDEATH: "tck-id-topics-ddeath-seq-num",
    },
    related: ["tck-id-payloads-sequence-num-always-included"],
    severity: "error",
  },
  "seq-range": {
    summary: "seq is between 0 and 255",
    ids: {
      NBIRTH: "tck-id-topics-nbirth-seq-num",
      DBIRTH: "tck-id-topics-dbirth-seq",
      NDATA: "tck-id-topics-ndata-seq-num",
      DDATA: "tck-id-topics-ddata-seq-num",
      DDEATH: "tck-id-topics-ddeath-seq-num",
    },
    related: ["tck-id-payloads-sequence-num-incrementing"],
    severity: "error",
  },
  "seq-nbirth-zero": {
    summary: "NBIRTH seq is 0",
    ids: { "*": "tck-id-topics-nbirth-seq-num" },
    related: ["tck-id-payloads-sequence-num-zero-nbirth"],
    severity: "error",
  },
  "seq-gap": {
    summary:
      "seq rises by one per message of the edge node (255 -> 0); a gap not filled within the reorder window asks for a rebirth",
    ids: { "*": "tck-id-payloads-sequence-num-incrementing" },
    related: [
      "tck-id-operational-behavior-host-reordering-start",
      "tck-id-operational-behavior-host-reordering-rebirth",
    ],
    severity: "error",
    rebirth: true,
  },
  "seq-order": {
    summary: "seq repeats or goes back outside the reorder window",
    ids: { "*": "tck-id-payloads-sequence-num-incrementing" },
    severity: "error",
  },
  "cmd-seq": {
    summary: "NCMD and DCMD carry no seq",
    ids: { NCMD: "tck-id-payloads-ncmd-seq", DCMD: "tck-id-payloads-dcmd-seq" },
    severity: "error",
    uncertain: true,
  },
  "ndeath-seq": {
    summary: "NDEATH carries no seq",
    ids: { "*": "tck-id-topics-ndeath-seq" },
    severity: "error",
  },
  "timestamp-missing": {
    summary: "Payload timestamp present in NBIRTH, DBIRTH, NDATA, DDATA, DDEATH, NCMD, DCMD",
    ids: {
      NBIRTH: "tck-id-topics-nbirth-timestamp",
      DBIRTH: "tck-id-topics-dbirth-timestamp",
      NDATA: "tck-id-topics-ndata-timestamp",
      DDATA: "tck-id-topics-ddata-timestamp",
      NCMD: "tck-id-topics-ncmd-timestamp",
      DCMD: "tck-id-topics-dcmd-timestamp",
      DDEATH: "tck-id-payloads-ddeath-timestamp",
    },
    severity: "error",
  },
  "metric-timestamp-missing": {
    summary: "Every metric in NBIRTH, DBIRTH, NDATA and DDATA has a timestamp",
    ids: { "*": "tck-id-payloads-name-birth-data-requirement" },
    severity: "error",
  },
  "bdseq-missing": {
    summary: "NBIRTH and NDEATH carry the bdSeq metric",
    ids: { NBIRTH: "tck-id-topics-nbirth-bdseq-included", NDEATH: "tck-id-topics-ndeath-payload" },
    related: ["tck-id-payloads-nbirth-bdseq"],
    severity: "error",
  },
  "bdseq-mismatch": {
    summary: "NDEATH bdSeq matches the bdSeq of the edge node's last NBIRTH",
    ids: { "*": "tck-id-payloads-ndeath-bdseq" },
    severity: "error",
  },
  "bdseq-will-mismatch": {
    summary: "NBIRTH bdSeq matches the bdSeq in the CONNECT packet's NDEATH Will",
    ids: { "*": "tck-id-topics-nbirth-bdseq-matching" },
    related: ["tck-id-payloads-nbirth-bdseq-repeat"],
    severity: "error",
  },
  "bdseq-increment": {
    summary: "bdSeq starts at 0 and rises by one with every new MQTT CONNECT",
    ids: { "*": "tck-id-topics-nbirth-bdseq-increment" },
    severity: "error",
  },
  "bdseq-rebirth": {
    summary: "A rebirth inside the same MQTT session repeats the session's bdSeq",
    ids: { "*": "tck-id-operational-behavior-data-commands-rebirth-action-3" },
    severity: "error",
  },
  "ndeath-payload": {
    summary: "NDEATH payload holds only the bdSeq metric",
    ids: { "*": "tck-id-topics-ndeath-payload" },
    severity: "error",
  },
  "rebirth-metric": {
    summary: "NBIRTH holds 'Node Control/Rebirth', Boolean, false",
    ids: { "*": "tck-id-topics-nbirth-rebirth-metric" },
    related: [
      "tck-id-operational-behavior-data-commands-rebirth-name",
      "tck-id-operational-behavior-data-commands-rebirth-datatype",
      "tck-id-operational-behavior-data-commands-rebirth-value",
    ],
    severity: "error",
  },
  "rebirth-metric-alias": {
    summary: "'Node Control/Rebirth' has no alias in the NBIRTH",
    ids: { "*": "tck-id-operational-behavior-data-commands-rebirth-name-aliases" },
    severity: "error",
  },
  "birth-metric-incomplete": {
    summary: "Every birth metric has a name, a datatype and a current value (or is_null)",
    ids: { NBIRTH: "tck-id-topics-nbirth-metrics", DBIRTH: "tck-id-topics-dbirth-metrics" },
    related: [
      "tck-id-payloads-metric-datatype-req",
      "tck-id-operational-behavior-data-publish-nbirth-values",
      "tck-id-operational-behavior-data-publish-dbirth-values",
    ],
    severity: "error",
  },
  "metric-datatype-unknown": {
    summary: "A metric's datatype is one of the Sparkplug 3.0 datatypes",
    ids: { "*": "tck-id-payloads-metric-datatype-value" },
    severity: "error",
  },
  "alias-duplicate": {
    summary: "An alias is unique across the edge node's whole metric set (NBIRTH and all DBIRTHs)",
    ids: { "*": "tck-id-payloads-alias-uniqueness" },
    severity: "error",
  },
  "metric-name-missing": {
    summary: "A metric carries a name, or an alias declared in the birth",
    ids: { "*": "tck-id-payloads-name-requirement" },
    severity: "error",
  },
  "data-name-with-alias": {
    summary: "When the birth declared an alias, DATA and CMD metrics use the alias only",
    ids: { "*": "tck-id-payloads-alias-data-cmd-requirement" },
    severity: "error",
  },
  "metric-undeclared": {
    summary:
      "Every metric in a DATA message was declared in the birth, by name or alias (CMD: SHOULD, a warning)",
    ids: {
      NDATA: "tck-id-operational-behavior-data-publish-nbirth",
      DDATA: "tck-id-operational-behavior-data-publish-dbirth",
      NCMD: "tck-id-operational-behavior-data-commands-ncmd-metric-name",
      DCMD: "tck-id-operational-behavior-data-commands-dcmd-metric-name",
    },
    related: ["tck-id-topics-nbirth-metric-reqs", "tck-id-topics-dbirth-metric-reqs"],
    severity: "error",
    rebirth: true,
  },
  "metric-datatype-changed": {
    summary: "A metric in a DATA (or CMD) message keeps the datatype its birth declared",
    ids: {
      NDATA: "tck-id-operational-behavior-data-publish-nbirth",
      DDATA: "tck-id-operational-behavior-data-publish-dbirth",
      NCMD: "tck-id-operational-behavior-data-commands-ncmd-metric-value",
      DCMD: "tck-id-operational-behavior-data-commands-dcmd-metric-value",
    },
    severity: "error",
    rebirth: true,
    uncertain: true,
  },
  "data-before-birth": {
    summary: "NDATA, DBIRTH, DDATA and DDEATH come only after the edge node's NBIRTH",
    ids: {
      "*": "tck-id-principles-birth-certificates-order",
      NDATA: "tck-id-payloads-ndata-order",
      DDATA: "tck-id-payloads-ddata-order",
      DBIRTH: "tck-id-message-flow-device-birth-publish-nbirth-wait",
    },
    severity: "error",
    rebirth: true,
  },
  "device-data-before-birth": {
    summary: "DDATA comes only after the device's DBIRTH",
    ids: { "*": "tck-id-payloads-ddata-order" },
    related: ["tck-id-payloads-dbirth-order"],
    severity: "error",
    rebirth: true,
  },
  "will-missing": {
    summary:
      "The edge node's CONNECT registers its NDEATH (spBv1.0/<group>/NDEATH/<node>) as the Will, and the broker delivers it when the session breaks",
    ids: { "*": "tck-id-payloads-ndeath-will-message" },
    related: ["tck-id-message-flow-edge-node-birth-publish-will-message-topic"],
    severity: "error",
  },
  "will-qos": {
    summary: "The NDEATH Will is registered with QoS 1",
    ids: { "*": "tck-id-message-flow-edge-node-birth-publish-will-message-qos" },
    related: ["tck-id-payloads-ndeath-will-message-qos"],
    severity: "error",
  },
  "will-retain": {
    summary: "The NDEATH Will is registered with retain false",
    ids: { "*": "tck-id-message-flow-edge-node-birth-publish-will-message-will-retained" },
    related: ["tck-id-payloads-ndeath-will-message-retain"],
    severity: "error",
  },
  "clean-session": {
    summary: "Edge nodes connect with Clean Session = true (MQTT 3.1.1)",
    ids: { "*": "tck-id-principles-persistence-clean-session-311" },
    severity: "error",
  },
  "disconnect-without-ndeath": {
    summary: "An edge node that disconnects on purpose publishes its NDEATH before DISCONNECT",
    ids: { "*": "tck-id-payloads-ndeath-will-message-publisher-disconnect-mqtt311" },
    related: ["tck-id-operational-behavior-edge-node-intentional-disconnect-ndeath"],
    severity: "error",
  },
  "edge-node-id-duplicate": {
    summary: "group_id/edge_node_id is used by one MQTT client at a time",
    ids: { "*": "tck-id-topic-structure-namespace-unique-edge-node-descriptor" },
    severity: "error",
  },
  "propertyset-size": {
    summary: "A PropertySet has as many keys as values",
    ids: { "*": "tck-id-payloads-propertyset-keys-array-size" },
    related: ["tck-id-payloads-propertyset-values-array-size"],
    severity: "error",
  },
  "dataset-shape": {
    summary: "A DataSet's columns, types and num_of_columns agree",
    ids: { "*": "tck-id-payloads-dataset-column-num-headers" },
    related: ["tck-id-payloads-dataset-types-num", "tck-id-payloads-dataset-column-size"],
    severity: "error",
  },
} as const satisfies Record<string, SparkplugRuleInfo>;

export type SparkplugRule = keyof typeof SPARKPLUG_RULES;

/** The context a violation is built from; the registry supplies rule, conformance and severity. */
export interface ViolationContext {
  topic: string;
  time: number;
  message: string;
  type?: SparkplugMessageType;
  group?: string;
  edgeNode?: string;
  device?: string;
  hostId?: string;
  clientId?: string | null;
  metric?: string;
  severity?: SparkplugSeverity;
  payload?: Uint8Array;
}

export function conformanceId(rule: SparkplugRule, type?: SparkplugMessageType): string | null {
  const ids: Partial<Record<string, string>> = SPARKPLUG_RULES[rule].ids;
  return (type !== undefined ? ids[type] : undefined) ?? ids["*"] ?? null;
}

export function createViolation(rule: SparkplugRule, ctx: ViolationContext): SparkplugViolation {
  const info: SparkplugRuleInfo = SPARKPLUG_RULES[rule];
  const v: SparkplugViolation = {
    rule,
    conformance: conformanceId(rule, ctx.type),
    severity: ctx.severity ?? info.severity,
    message: ctx.message,
    topic: ctx.topic,
    time: ctx.time,
  };
  if (info.related) v.related = [...info.related];
  if (ctx.type !== undefined) v.type = ctx.type;
  if (ctx.group !== undefined) v.group = ctx.group;
  if (ctx.edgeNode !== undefined) v.edgeNode = ctx.edgeNode;
  if (ctx.device !== undefined) v.device = ctx.device;
  if (ctx.hostId !== undefined) v.hostId = ctx.hostId;
  if (ctx.clientId !== undefined) v.clientId = ctx.clientId;
  if (ctx.metric !== undefined) v.metric = ctx.metric;
  if (ctx.payload !== undefined) v.payload = ctx.payload;
  return v;
}
