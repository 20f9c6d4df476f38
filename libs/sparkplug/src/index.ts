// @uns/sparkplug: Sparkplug B 3.0 decoding, rule checks with conformance ids, primary host state,
// Sparkplug-aware broker certificates and the plain JSON mirror of metrics.

export type { DecodeContext, DecodeResult } from "./decode.js";
export { COMPRESSED_UUID, datatypeName, decodeSparkplug, SPARKPLUG_DATATYPES } from "./decode.js";
export type { HostApplication, StateMessage } from "./host-application.js";
export {
  createHostApplication,
  REBIRTH_METRIC,
  rebirthCommand,
  SparkplugHostIdError,
  sparkplugErrorCodes,
  statePayload,
  stateTopic,
} from "./host-application.js";
export type {
  MirrorMapper,
  MirrorMapping,
  MirrorMappingIssue,
  MirrorMessage,
  MirrorPayload,
  MirrorRule,
} from "./mirror-mapping.js";
export {
  createMirrorMapper,
  DEFAULT_MIRROR_EXCLUDE,
  parseMirrorMapping,
  SparkplugMappingError,
  unsLevel,
} from "./mirror-mapping.js";
export type { SparkplugMetricInput, SparkplugPayloadInput } from "./proto.js";
export { encodeSparkplug } from "./proto.js";
export type { SparkplugRule, SparkplugRuleInfo } from "./rules.js";
export { conformanceId, SPARKPLUG_RULES } from "./rules.js";
export type { TopicParseResult } from "./topic.js";
export { certificateTopic, isSparkplugTopic, parseSparkplugTopic, sparkplugTopic } from "./topic.js";
export type {
  SparkplugConnectInfo,
  SparkplugIncoming,
  SparkplugTracker,
  SparkplugTrackerOptions,
} from "./tracker.js";
export { createSparkplugTracker } from "./tracker.js";
export type {
  BirthInfo,
  DeathInfo,
  DeathReason,
  DeviceView,
  EdgeNodeView,
  GroupView,
  HistoryEntry,
  HostView,
  JsonValue,
  MetricQuality,
  MetricUpdate,
  MetricView,
  OutgoingMessage,
  RebirthRequest,
  SparkplugDataTypeName,
  SparkplugEdgeMessageType,
  SparkplugEdgeTopic,
  SparkplugMessageType,
  SparkplugMetaDataJson,
  SparkplugMetricJson,
  SparkplugPayloadJson,
  SparkplugPropertyValueJson,
  SparkplugResult,
  SparkplugSeverity,
  SparkplugStateTopic,
  SparkplugTickResult,
  SparkplugTopic,
  SparkplugViolation,
  StaleNotice,
} from "./types.js";
export { SPARKPLUG_NAMESPACE } from "./types.js";
