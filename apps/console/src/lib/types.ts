/**
 * Shapes of the UNS server's API (/api/v1) as the console reads them. They mirror
 * libs/store/src/types.ts and apps/server/src/api/*.ts; the console does not import them so that
 * its bundle holds no server code.
 */

export type Outcome = "valid" | "invalid" | "unvalidated" | "ungoverned";

export interface Counts {
  valid: number;
  invalid: number;
  unvalidated: number;
  ungoverned: number;
  total: number;
}

export interface PublicConfig {
  timeZone: string;
  mqttWebSocketPath: string;
  version: string;
}

export interface TotalsResponse extends Counts {
  from: string;
  to: string;
  /** In-memory counts since the server started. */
  live: Counts;
}

export interface SummaryRow extends Counts {
  key: string | null;
  complianceRate: number | null;
}

export type SummarySort = "total" | "invalid" | "complianceRate";

export interface SummaryResponse {
  from: string;
  to: string;
  by: string;
  sort: SummarySort;
  rows: SummaryRow[];
}

export interface TimeseriesPoint {
  t: string;
  valid: number;
  invalid: number;
  unvalidated: number;
  ungoverned: number;
}

export interface TimeseriesResponse {
  from: string;
  to: string;
  bucketSeconds: number;
  points: TimeseriesPoint[];
}

export interface ValidationError {
  instancePath: string;
  keyword: string;
  message: string;
  schemaPath?: string;
  params?: Record<string, unknown>;
}

export interface ViolationItem {
  id: string;
  time: string;
  clientId: string;
  username: string | null;
  topic: string;
  channel: string | null;
  contractFile: string | null;
  contractVersion: string | null;
  messageName: string | null;
  kind: string;
  policy: string;
  errors: ValidationError[];
  payloadSize: number;
  payloadTruncated?: boolean;
}

export interface ViolationPage {
  items: ViolationItem[];
  nextCursor: string | null;
}

export interface ViolationDetail extends ViolationItem {
  payloadBase64: string;
  payloadText?: string;
}

export interface SimilarViolations {
  channel: string | null;
  kind: string;
  error: { instancePath: string; keyword: string } | null;
  total: number;
  clients: number;
  topics: number;
  groups: { clientId: string; topic: string; count: number; lastTime: string }[];
}

export type JSONSchema = Record<string, unknown> | boolean;

export interface ViolationDetailResponse {
  violation: ViolationDetail;
  channel: {
    id: string;
    address: string | null;
    file: string;
    version: string;
    title: string;
    messages: { name: string; payload: JSONSchema | null }[];
  } | null;
  similar: SimilarViolations | null;
}

export interface ViolationKindsResponse {
  from: string;
  to: string;
  /** Kinds present in the window, most frequent first. */
  kinds: { kind: string; count: number }[];
}

/** A violation as pushed on the event stream (no id: it is not yet in the database). */
export interface LiveViolation {
  time: string;
  clientId: string;
  username: string | null;
  topic: string;
  channel: string | null;
  kind?: string;
  policy: string;
  errors: { instancePath: string; keyword: string; message: string }[];
}

export interface RatesEvent {
  at: string;
  perSecond: Record<Outcome, number>;
  totals: Counts;
  violationsNotStreamed: number;
}

export interface PublisherRow {
  clientId: string;
  username: string | null;
  messages: number;
  invalid: number;
  invalidShare: number;
  firstViolation: string | null;
  lastViolation: string | null;
  channels: string[];
}

export interface PublishersResponse {
  from: string;
  to: string;
  rows: PublisherRow[];
}

export interface MessageSpec {
  name: string;
  title?: string;
  contentType: string;
  schemaFormat: string;
  payload: JSONSchema | null;
  supported: boolean;
  unsupportedReason?: string;
  examples: unknown[];
}

export interface ChannelSpec {
  id: string;
  file: string;
  title: string;
  version: string;
  address: string | null;
  filter: string | null;
  parameters: Record<string, JSONSchema | null>;
  messages: MessageSpec[];
  description?: string;
}

export interface Diagnostic {
  file: string;
  severity: "error" | "warning" | string;
  message: string;
  path: string;
  line?: number;
  column?: number;
  code: string;
}

export interface LoadedDocumentInfo {
  file: string;
  title?: string;
  version?: string;
  asyncapiVersion?: string;
  hash?: string;
  [key: string]: unknown;
}

export interface ContractsResponse {
  version: string;
  loadedAt: string;
  documents: LoadedDocumentInfo[];
  channels: ChannelSpec[];
  diagnostics: Diagnostic[];
  reloads: { at: string; part: string; ok: boolean; message: string; diagnostics: Diagnostic[] }[];
  /** What is in force versus what the files say (held channels, failed reloads). */
  status?: {
    ok: boolean;
    held: { channel: string; leaves: string[]; reason: string }[];
    failedReloads: { part: string; at: string; message: string }[];
  };
  coverage: {
    ungovernedTopics: {
      topic: string;
      messages: number;
      lastSeen?: string | null;
      lastMessageAt?: string | null;
    }[];
  };
}

export type Policy = "monitor" | "enforce";

export interface LeafDescription {
  name: string;
  filter: string;
  channel: string | null;
  policy: Policy;
  description?: string;
  leafSet?: string;
}

export interface TreeNodeDescription {
  key: string;
  level: string;
  kind: "literal" | "variable";
  pattern?: string;
  enum?: string[];
  policy: Policy;
  description?: string;
  filter: string;
  children: TreeNodeDescription[];
  leaves: LeafDescription[];
}

export interface TreeDescription {
  file: string;
  outside: "deny" | "allow";
  policy: Policy;
  children: TreeNodeDescription[];
}

export interface TopicRow extends Counts {
  topic: string;
  lastMessageAt: string | null;
}

export interface TopicsResponse {
  from: string;
  to: string;
  tree: TreeDescription;
  leaves: { filter: string; leaf: string; channel: string | null; policy: Policy }[];
  topics: TopicRow[];
}

export interface LastMessage {
  topic: string;
  time: string;
  clientId: string;
  outcome: string;
  channel: string | null;
  payloadSize: number;
  payloadTruncated: boolean;
  payloadBase64: string;
  payloadText?: string;
}

// ---- Sparkplug B (GET /api/v1/sparkplug; libs/sparkplug/src/types.ts) ---------------------------

export type SparkplugValue =
  | null
  | boolean
  | number
  | string
  | SparkplugValue[]
  | { [key: string]: SparkplugValue };

export interface SparkplugMetric {
  name: string;
  alias?: number | string;
  /** Sparkplug 3.0 datatype name (Tahu spelling): Float, Int32, Boolean, String, DataSet, ... */
  datatype: string;
  value: SparkplugValue;
  isNull: boolean;
  /** ms since epoch */
  timestamp?: number;
  quality: "good" | "bad" | "stale";
  unit?: string;
  properties?: Record<string, { type: string; value: SparkplugValue; isNull?: true }>;
  metadata?: Record<string, unknown>;
  updatedAt: number;
}

export interface SparkplugHistoryEntry {
  time: number;
  event: "birth" | "death" | "rebirth-requested" | "death-ignored";
  reason?: string;
  bdSeq?: number | string;
  seq?: number | string;
}

export interface SparkplugBirth {
  time: number;
  timestamp?: number;
  seq?: number | string;
  bdSeq?: number | string;
  clientId?: string | null;
}

export interface SparkplugDeath {
  time: number;
  /** ndeath | will | session-ended | ddeath | node-death | node-rebirth */
  reason: string;
  bdSeq?: number | string;
}

export interface SparkplugDevice {
  group: string;
  edgeNode: string;
  device: string;
  online: boolean;
  lastBirth?: SparkplugBirth;
  lastDeath?: SparkplugDeath;
  metrics: SparkplugMetric[];
  history: SparkplugHistoryEntry[];
}

export interface SparkplugEdgeNode {
  group: string;
  edgeNode: string;
  online: boolean;
  clientId?: string | null;
  bdSeq?: number | string;
  lastSeq?: number;
  pendingSeqs: number[];
  lastBirth?: SparkplugBirth;
  lastDeath?: SparkplugDeath;
  rebirths: { requested: number; suppressed: number; lastRequestAt?: number; lastReason?: string };
  messages: number;
  violations: number;
  metrics: SparkplugMetric[];
  devices: SparkplugDevice[];
  history: SparkplugHistoryEntry[];
}

export interface SparkplugResponse {
  /** The server's own primary host id; null when it only observes. */
  hostId: string | null;
  groups: { group: string; edgeNodes: SparkplugEdgeNode[] }[];
  hosts: { hostId: string; online: boolean; timestamp: number; time: number; clientId?: string | null }[];
  /** Rebirths the server asked for, newest first. */
  rebirths: { group: string; edgeNode: string; reason: string; time: string }[];
}
