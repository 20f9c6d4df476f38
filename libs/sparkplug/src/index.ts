// @uns/sparkplug: Sparkplug B 3.0 decoding, rule checks with conformance ids, primary host state,
// Sparkplug-aware broker certificates and the plain JSON mirror of metrics.

export { parseSparkplugTopic, isSparkplugTopic, sparkplugTopic, certificateTopic } from "./topic.js";
export type { TopicParseResult } from "./topic.js";

export { decodeSparkplug, datatypeName, SPARKPLUG_DATATYPES, COMPRESSED_UUID } from "./decode.js";
export type { DecodeContext, DecodeResult } from "./decode.js";

export { encodeSparkplug } from "./proto.js";
export type { SparkplugMetricInput, SparkplugPayloadInput } from "./proto.js";

export { createSparkplugTracker } from "./tracker.js";
export type {
  SparkplugTracker,
  SparkplugTrackerOptions,
  SparkplugIncoming,
  SparkplugConnectInfo,
} from "./tracker.js";

export {
  createHostApplication,
  stateTopic,
  statePayload,
  rebirthCommand,
  REBIRTH_METRIC,
  SparkplugHostIdError,
} from "./host-application.js";
export type { HostApplication, StateMessage } from "./host-application.js";

export {
  parseMirrorMapping,
  createMirrorMapper,
  unsLevel,
  SparkplugMappingError,
  DEFAULT_MIRROR_EXCLUDE,
} from "./mirror-mapping.js";
export type {
  MirrorMapping,
  MirrorRule,
  MirrorMappingIssue,
  MirrorMapper,
  MirrorMessage,
  MirrorPayload,
} from "./mirror-mapping.js";

export { SPARKPLUG_RULES, conformanceId } from "./rules.js";
export type { SparkplugRule, SparkplugRuleInfo } from "./rules.js";

export { SPARKPLUG_NAMESPACE } from "./types.js";
export type {
  SparkplugMessageType,
  SparkplugEdgeMessageType,
  SparkplugTopic,
  SparkplugEdgeTopic,
  SparkplugStateTopic,
  JsonValue,
  SparkplugDataTypeName,
  SparkplugMetricJson,
  SparkplugPayloadJson,
  SparkplugPropertyValueJson,
  SparkplugMetaDataJson,
  SparkplugSeverity,
  SparkplugViolation,
  SparkplugResult,
  SparkplugTickResult,
  MetricUpdate,
  MetricQuality,
  OutgoingMessage,
  RebirthRequest,
  StaleNotice,
  DeathReason,
  EdgeNodeView,
  DeviceView,
  MetricView,
  GroupView,
  HostView,
  HistoryEntry,
  BirthInfo,
  DeathInfo,
} from "./types.js";
