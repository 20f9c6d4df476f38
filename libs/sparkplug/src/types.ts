/** Public data shapes of @uns/sparkplug. Everything here is plain data (structured-clone safe). */

export const SPARKPLUG_NAMESPACE = "spBv1.0";

export type SparkplugEdgeMessageType =
  | "NBIRTH"
  | "NDEATH"
  | "DBIRTH"
  | "DDEATH"
  | "NDATA"
  | "DDATA"
  | "NCMD"
  | "DCMD";
export type SparkplugMessageType = SparkplugEdgeMessageType | "STATE";

/** A topic under `spBv1.0/<group>/<type>/<edge node>[/<device>]`. */
export interface SparkplugEdgeTopic {
  namespace: typeof SPARKPLUG_NAMESPACE;
  type: SparkplugEdgeMessageType;
  group: string;
  edgeNode: string;
  device?: string;
}

/** A host application's `spBv1.0/STATE/<host id>` topic. */
export interface SparkplugStateTopic {
  namespace: typeof SPARKPLUG_NAMESPACE;
  type: "STATE";
  hostId: string;
}

export type SparkplugTopic = SparkplugEdgeTopic | SparkplugStateTopic;

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Sparkplug 3.0 datatype names (Tahu spelling), index = wire value. */
export type SparkplugDataTypeName =
  | "Unknown"
  | "Int8"
  | "Int16"
  | "Int32"
  | "Int64"
  | "UInt8"
  | "UInt16"
  | "UInt32"
  | "UInt64"
  | "Float"
  | "Double"
  | "Boolean"
  | "String"
  | "DateTime"
  | "Text"
  | "UUID"
  | "DataSet"
  | "Bytes"
  | "File"
  | "Template"
  | "PropertySet"
  | "PropertySetList"
  | "Int8Array"
  | "Int16Array"
  | "Int32Array"
  | "Int64Array"
  | "UInt8Array"
  | "UInt16Array"
  | "UInt32Array"
  | "UInt64Array"
  | "FloatArray"
  | "DoubleArray"
  | "BooleanArray"
  | "StringArray"
  | "DateTimeArray";

export interface SparkplugPropertyValueJson {
  type: SparkplugDataTypeName;
  /** PropertySet -> object of property values, PropertySetList -> array of those. */
  value: JsonValue;
  isNull?: true;
}

export interface SparkplugMetaDataJson {
  isMultiPart?: boolean;
  contentType?: string;
  size?: number | string;
  seq?: number | string;
  fileName?: string;
  fileType?: string;
  md5?: string;
  description?: string;
}

/**
 * One metric as plain JSON. Integers beyond 2^53 are decimal strings; Bytes and File values are
 * base64; DataSet is `{numOfColumns, columns, types, rows}`; Template is
 * `{version?, templateRef?, isDefinition, metrics, parameters}`; array types are JSON arrays.
 */
export interface SparkplugMetricJson {
  name?: string;
  alias?: number | string;
  /** Datatype name; "Unknown" when absent (0) or not in the Sparkplug 3.0 table. */
  datatype: SparkplugDataTypeName;
  /** Wire value of the datatype (0 when absent). */
  datatypeId: number;
  value: JsonValue;
  isNull: boolean;
  /** False when the metric carries neither a value nor is_null = true. */
  hasValue: boolean;
  timestamp?: number;
  isHistorical?: boolean;
  isTransient?: boolean;
  properties?: Record<string, SparkplugPropertyValueJson>;
  metadata?: SparkplugMetaDataJson;
}

export interface SparkplugPayloadJson {
  timestamp?: number;
  /** Present only when the payload carried a seq (NDEATH must not). */
  seq?: number | string;
  uuid?: string;
  /** base64, only when a body was sent that was not a compressed Sparkplug payload. */
  body?: string;
  metrics: SparkplugMetricJson[];
  /** Set when the wire payload was a `SPBV1.0_COMPRESSED` wrapper; the rest describes the inner payload. */
  compressed?: { algorithm: "DEFLATE" | "GZIP"; compressedBytes: number };
}

export type SparkplugSeverity = "error" | "warning";

/**
 * A broken Sparkplug rule. `rule` is a stable code of this library (see SPARKPLUG_RULES and the
 * README); `conformance` the Sparkplug 3.0 conformance id (`tck-id-...`) it enforces.
 */
export interface SparkplugViolation {
  rule: string;
  conformance: string | null;
  /** Further conformance ids the same finding touches. */
  related?: string[];
  severity: SparkplugSeverity;
  /** What was expected and what was seen. */
  message: string;
  topic: string;
  type?: SparkplugMessageType;
  group?: string;
  edgeNode?: string;
  device?: string;
  hostId?: string;
  clientId?: string | null;
  /** When the offending message arrived (ms since epoch). */
  time: number;
  metric?: string;
  /**
   * The offending message's bytes, only on findings reported later than the message itself
   * (a seq gap found by `tick()`): the server no longer holds that message then.
   */
  payload?: Uint8Array;
}

/** A metric value to republish as plain JSON (see createMirrorMapper). */
export interface MetricUpdate {
  group: string;
  edgeNode: string;
  device?: string;
  name: string;
  datatype: SparkplugDataTypeName;
  value: JsonValue;
  isNull: boolean;
  /** ms since epoch: the metric's timestamp, else the payload's, else the arrival time; the death time when stale. */
  timestamp: number;
  quality: MetricQuality;
  /** From the birth's metric properties `engUnit` or `unit`. */
  unit?: string;
}

export type MetricQuality = "good" | "bad" | "stale";

/** A message for the Sparkplug-aware MQTT server to publish itself. */
export interface OutgoingMessage {
  topic: string;
  payload: Uint8Array;
  qos: 0 | 1;
  retain: boolean;
}

export interface RebirthRequest {
  group: string;
  edgeNode: string;
  reason: "seq-gap" | "data-before-birth" | "device-data-before-birth" | "model-mismatch";
  time: number;
  /** The NCMD `Node Control/Rebirth` = true to publish (QoS 0, not retained). */
  command: OutgoingMessage;
}

export type DeathReason =
  /** NDEATH published by the edge node itself. */
  | "ndeath"
  /** NDEATH delivered by the broker as the MQTT Will. */
  | "will"
  /** The MQTT session ended and no NDEATH arrived within deathGraceMs. */
  | "session-ended"
  | "ddeath"
  /** The device's edge node died. */
  | "node-death"
  /** The device's edge node sent a new NBIRTH: its devices are stale until their DBIRTH. */
  | "node-rebirth";

export interface StaleNotice {
  group: string;
  edgeNode: string;
  /** Absent when the edge node itself went offline (its devices with it). */
  device?: string;
  reason: DeathReason;
  time: number;
  /** Devices that went offline with the node. */
  devices?: string[];
}

/** What the tracker tells the server about one event (a message, a client gone, a tick). */
export interface SparkplugResult {
  topic?: SparkplugTopic;
  /** The decoded payload (readable form for the topic browser / store). */
  payload?: SparkplugPayloadJson;
  /** Parsed STATE payload. */
  state?: { hostId: string; online: boolean; timestamp: number };
  violations: SparkplugViolation[];
  /** Ask the edge node for a rebirth (already rate limited). */
  rebirth?: RebirthRequest;
  /** Metric values to republish as plain JSON (good on births and data, stale on deaths). */
  mirror?: MetricUpdate[];
  /** Sparkplug-aware MQTT server: retain this birth under `$sparkplug/certificates/...`. */
  certificate?: OutgoingMessage;
  /** An edge node or device went offline. */
  stale?: StaleNotice;
  /** A STATE `online: false` arrived for this tracker's own host id: publish the host's birth again. */
  republishState?: true;
}

/** What `tick()` found: expired reorder windows and sessions that ended without a death certificate. */
export interface SparkplugTickResult {
  violations: SparkplugViolation[];
  rebirths: RebirthRequest[];
  mirror: MetricUpdate[];
  stale: StaleNotice[];
}

export interface MetricView {
  name: string;
  alias?: number | string;
  datatype: SparkplugDataTypeName;
  value: JsonValue;
  isNull: boolean;
  timestamp?: number;
  quality: MetricQuality;
  unit?: string;
  properties?: Record<string, SparkplugPropertyValueJson>;
  metadata?: SparkplugMetaDataJson;
  /** When the tracker last changed this metric (ms since epoch). */
  updatedAt: number;
}

export interface HistoryEntry {
  time: number;
  event: "birth" | "death" | "rebirth-requested" | "death-ignored";
  reason?: string;
  bdSeq?: number | string;
  seq?: number | string;
}

export interface BirthInfo {
  time: number;
  timestamp?: number;
  seq?: number | string;
  bdSeq?: number | string;
  clientId?: string | null;
}

export interface DeathInfo {
  time: number;
  reason: DeathReason;
  bdSeq?: number | string;
}

export interface DeviceView {
  group: string;
  edgeNode: string;
  device: string;
  online: boolean;
  lastBirth?: BirthInfo;
  lastDeath?: DeathInfo;
  metrics: MetricView[];
  history: HistoryEntry[];
}

export interface EdgeNodeView {
  group: string;
  edgeNode: string;
  online: boolean;
  clientId?: string | null;
  bdSeq?: number | string;
  /** The last seq received from this edge node (any of its messages). */
  lastSeq?: number;
  /** Seqs missing and still inside the reorder window. */
  pendingSeqs: number[];
  lastBirth?: BirthInfo;
  lastDeath?: DeathInfo;
  rebirths: { requested: number; suppressed: number; lastRequestAt?: number; lastReason?: string };
  messages: number;
  violations: number;
  metrics: MetricView[];
  devices: DeviceView[];
  history: HistoryEntry[];
}

export interface HostView {
  hostId: string;
  online: boolean;
  timestamp: number;
  time: number;
  clientId?: string | null;
}

export interface GroupView {
  group: string;
  edgeNodes: EdgeNodeView[];
}
