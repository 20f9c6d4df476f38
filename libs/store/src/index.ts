export type { Batch } from "./batch.js";
export { type StoreError, type StoreErrorCode, storeErrorCodes } from "./errors.js";
// The registry's record types are in @uns/api-contract.
export type { ModelRegistryStore } from "./model-registry.js";
export { type OeeSums, oeeFigures, oeeSumKeys, sumOee } from "./quality-queries.js";
export type {
  AlertActionRecord,
  AlertQuery,
  AlertRecord,
  AlertState,
  AlertWrite,
  BodyEvent,
  BodyEventRow,
  CellMinuteRow,
  CellQualityRow,
  CellTrendPoint,
  GateDecisionQuery,
  LineMinuteRow,
  LineStateRow,
  OeeFigures,
  OeeGroup,
  OeePoint,
  OeeShift,
  QualityBatch,
  QualityStore,
  StateInterval,
  TallyGroup,
  TallyRow,
} from "./quality-types.js";
export type {
  ApiTokenRecord,
  AuditEntry,
  AuditQuery,
  NewApiToken,
  NewAuditEntry,
  SecurityStore,
} from "./security.js";
export { besideModule, startWorker } from "./start-worker.js";
export { createStore, defaultMigrationsDir } from "./store.js";
export { createThreadedStore } from "./threaded-store.js";
export type {
  ContractDoc,
  ContractRecord,
  CountFilter,
  Counts,
  LastMessage,
  MessageOutcome,
  Outcome,
  PublisherQuery,
  PublisherRow,
  PublisherSort,
  RetentionResult,
  SimilarViolations,
  Store,
  StoreHealth,
  StoreLogger,
  StoreOptions,
  SummaryBy,
  SummaryQuery,
  SummaryRow,
  SummarySort,
  TimeseriesPoint,
  TimeseriesQuery,
  TimeWindow,
  TopicQuery,
  TopicRow,
  ValidationError,
  ViolationDetail,
  ViolationItem,
  ViolationKindCount,
  ViolationPage,
  ViolationQuery,
} from "./types.js";
