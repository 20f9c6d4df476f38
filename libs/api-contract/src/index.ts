/**
 * The HTTP contract of the UNS server (/api/v1): one TypeBox schema per request and reply.
 *
 * The server registers its routes with these schemas (Fastify's TypeBox type provider), so a
 * request that does not fit is a 400 naming the parameter and the OpenAPI document describes
 * every reply. The console imports the types only (`import type`), so no schema code reaches
 * its bundle.
 *
 * @example
 * import { operations, routeSchema } from "@uns/api-contract";
 * app.get(operations.totals.url, { schema: routeSchema(operations.totals) }, handler);
 */
export {
  Alert,
  AlertAction,
  AlertActionBody,
  AlertActionResponse,
  AlertDetailResponse,
  AlertListQuery,
  AlertListResponse,
  AlertParams,
  AlertRule,
  AlertRulesResponse,
  AlertState,
} from "./alerts.js";
export { ClusterHealth, ClusterMember, ClusterResponse } from "./cluster.js";
export {
  Counts,
  ErrorReply,
  type JSONSchema,
  Outcome,
  Policy,
  ValidationError,
} from "./common.js";
export {
  MAX_BUCKETS,
  PublisherRow,
  PublisherSort,
  PublishersQuery,
  PublishersResponse,
  SummaryBy,
  SummaryQuery,
  SummaryResponse,
  SummaryRow,
  SummarySort,
  TimeseriesPoint,
  TimeseriesQuery,
  TimeseriesResponse,
  TotalsQuery,
  TotalsResponse,
} from "./compliance.js";
export {
  ChannelSpec,
  ContractDocument,
  ContractsQuery,
  ContractsResponse,
  Diagnostic,
  GovernanceStatus,
  LastMessage,
  LastMessageQuery,
  LeafDescription,
  LoadedDocumentInfo,
  MessageSpec,
  TopicRow,
  TopicsQuery,
  TopicsResponse,
  TreeDescription,
  TreeNodeDescription,
  UsersResponse,
} from "./governance.js";
export { type Operation, type OperationName, operations, routeSchema } from "./operations.js";
export {
  BodyEvent,
  BodyParams,
  BodyResponse,
  CellQuality,
  CellsResponse,
  CellTrendPoint,
  CellTrendQuery,
  CellTrendResponse,
  DecisionQuery,
  DecisionsResponse,
  DefectQuery,
  DefectsResponse,
  GatesResponse,
  LineQuery,
  LineStateNow,
  OeeFigures,
  OeeGroup,
  OeePoint,
  OeeQuery,
  OeeResponse,
  OeeShift,
  OeeShiftsResponse,
  OeeTrendResponse,
  QualityLine,
  QualityLinesResponse,
  ScopeQuery,
  StateInterval,
  Tally,
  TimelineResponse,
  TrendQuery,
} from "./quality.js";
export {
  SparkplugBirth,
  SparkplugDeath,
  SparkplugDevice,
  SparkplugEdgeNode,
  SparkplugHistoryEntry,
  SparkplugMetric,
  SparkplugResponse,
  type SparkplugValue,
} from "./sparkplug.js";
export {
  SplatterCameraRate,
  SplatterCamerasQuery,
  SplatterCamerasResponse,
  SplatterPreviewQuery,
} from "./splatter.js";
export { HealthReport, PublicConfig } from "./system.js";
export {
  KindsQuery,
  LiveViolation,
  SimilarViolations,
  ViolationDetail,
  ViolationDetailResponse,
  ViolationItem,
  ViolationKindsResponse,
  ViolationPage,
  ViolationsQuery,
} from "./violations.js";

/** The `rates` event of GET /api/v1/stream, once a second. */
export interface RatesEvent {
  at: string;
  perSecond: Record<import("./common.js").Outcome, number>;
  totals: import("./common.js").Counts;
  violationsNotStreamed: number;
}
export {
  ClientEvent,
  ClientHistoryQuery,
  ClientHistoryResponse,
  ClientParams,
  ClientsQuery,
  ClientsResponse,
  ConnectedClient,
  clientOperations,
  ExportQuery,
  type ExportTable,
} from "./clients.js";
export {
  ModelChange,
  ModelDeployment,
  ModelHistoryEntry,
  ModelRegistryRecord,
  ModelRegistryResponse,
  ModelRegistrySync,
  ModelRegistryWriteBody,
  ModelRegistryWriteResponse,
  ModelVersionRecord,
  NewModelVersion,
} from "./model-registry.js";
export {
  BrowserMessage,
  BrowserTopic,
  BrowserTopicQuery,
  BrowserTopicResponse,
  BrowserTopicsQuery,
  BrowserTopicsResponse,
  BrowserTreeQuery,
  BrowserTreeResponse,
  PayloadView,
  RetainedClearBody,
  RetainedClearResponse,
  RetainedItem,
  RetainedMessageResponse,
  RetainedQuery,
  RetainedResponse,
  type WorkbenchOperation,
  WorkbenchPayloadBody,
  WorkbenchPublishResponse,
  WorkbenchVerdict,
  workbenchOperations,
  workbenchRouteSchema,
} from "./workbench.js";
