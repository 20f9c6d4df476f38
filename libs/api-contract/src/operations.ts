import type { TSchema } from "typebox";
import { ClusterResponse } from "./cluster.js";
import { ErrorReply } from "./common.js";
import {
  PublishersQuery,
  PublishersResponse,
  SummaryQuery,
  SummaryResponse,
  TimeseriesQuery,
  TimeseriesResponse,
  TotalsQuery,
  TotalsResponse,
} from "./compliance.js";
import {
  ContractDocument,
  ContractFileParams,
  ContractsQuery,
  ContractsResponse,
  LastMessage,
  LastMessageQuery,
  TopicsQuery,
  TopicsResponse,
  UsersResponse,
} from "./governance.js";
import { SparkplugResponse } from "./sparkplug.js";
import { HealthReport, PublicConfig } from "./system.js";
import {
  KindsQuery,
  ViolationDetailResponse,
  ViolationKindsResponse,
  ViolationPage,
  ViolationParams,
  ViolationsQuery,
} from "./violations.js";

/**
 * Every operation of /api/v1 in one table: its route, OpenAPI id and tag, and the schemas of
 * its request and of every reply it may give. The server registers routes from it (Fastify's
 * `schema`); the console reads the types; the OpenAPI document is generated from it.
 */
export interface Operation {
  method: "GET";
  url: string;
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  querystring?: TSchema;
  params?: TSchema;
  response: Record<number, TSchema>;
}

const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, ErrorReply])) as Record<number, typeof ErrorReply>;

const op = <const O extends Operation>(o: O) => o;

export const operations = {
  health: op({
    method: "GET",
    url: "/api/v1/health",
    operationId: "getHealth",
    tags: ["system"],
    summary: "Health of broker, database and workers; 503 when a part is down",
    response: { 200: HealthReport, 503: HealthReport, ...errors(500) },
  }),
  config: op({
    method: "GET",
    url: "/api/v1/config",
    operationId: "getConfig",
    tags: ["system"],
    summary: "Settings the console needs (time zone, MQTT over WebSocket path)",
    response: { 200: PublicConfig, ...errors(500) },
  }),
  totals: op({
    method: "GET",
    url: "/api/v1/compliance/totals",
    operationId: "getComplianceTotals",
    tags: ["compliance"],
    summary: "Counts of valid, invalid, unvalidated and ungoverned messages in a window",
    querystring: TotalsQuery,
    response: { 200: TotalsResponse, ...errors(400, 500, 503) },
  }),
  summary: op({
    method: "GET",
    url: "/api/v1/compliance/summary",
    operationId: "getComplianceSummary",
    tags: ["compliance"],
    summary: "Compliance by channel, topic, publisher or topic level (site, area, line, cell) over a window",
    querystring: SummaryQuery,
    response: { 200: SummaryResponse, ...errors(400, 500, 503) },
  }),
  timeseries: op({
    method: "GET",
    url: "/api/v1/compliance/timeseries",
    operationId: "getComplianceTimeseries",
    tags: ["compliance"],
    summary: "Counts per time bucket over a window (trend chart)",
    querystring: TimeseriesQuery,
    response: { 200: TimeseriesResponse, ...errors(400, 500, 503) },
  }),
  violations: op({
    method: "GET",
    url: "/api/v1/violations",
    operationId: "listViolations",
    tags: ["violations"],
    summary: "Violations, newest first, with filters and cursor pagination",
    querystring: ViolationsQuery,
    response: { 200: ViolationPage, ...errors(400, 500, 503) },
  }),
  violationKinds: op({
    method: "GET",
    url: "/api/v1/violations/kinds",
    operationId: "listViolationKinds",
    tags: ["violations"],
    summary: "The kinds of violation in a window (schema, not-json, acl, topic, sparkplug, ...) with counts",
    querystring: KindsQuery,
    response: { 200: ViolationKindsResponse, ...errors(400, 500, 503) },
  }),
  violation: op({
    method: "GET",
    url: "/api/v1/violations/:id",
    operationId: "getViolation",
    tags: ["violations"],
    summary: "One violation in full: errors, payload, the schema that failed, similar violations elsewhere",
    params: ViolationParams,
    response: { 200: ViolationDetailResponse, ...errors(400, 404, 500, 503) },
  }),
  publishers: op({
    method: "GET",
    url: "/api/v1/publishers",
    operationId: "listPublishers",
    tags: ["compliance"],
    summary:
      "The failing-clients list: per publisher messages, invalid share, first and last violation, channels broken",
    description:
      "Messages and invalid counts are for the window, narrowed to the topic subtree and channel when given; first and last violation and channels broken are all-time.",
    querystring: PublishersQuery,
    response: { 200: PublishersResponse, ...errors(400, 500, 503) },
  }),
  contracts: op({
    method: "GET",
    url: "/api/v1/contracts",
    operationId: "listContracts",
    tags: ["governance"],
    summary:
      "AsyncAPI documents loaded, their channels and messages, load errors, recent reloads, and coverage (topics seen that no contract governs)",
    querystring: ContractsQuery,
    response: { 200: ContractsResponse, ...errors(400, 500, 503) },
  }),
  contractDocument: op({
    method: "GET",
    url: "/api/v1/contracts/:file",
    operationId: "getContractDocument",
    tags: ["governance"],
    summary: "One AsyncAPI document as loaded (source text)",
    params: ContractFileParams,
    response: { 200: ContractDocument, ...errors(400, 404, 500) },
  }),
  topics: op({
    method: "GET",
    url: "/api/v1/topics",
    operationId: "getTopics",
    tags: ["governance"],
    summary:
      "The governed topic tree (levels, leaves, channels, policies) and every topic seen with its counts",
    querystring: TopicsQuery,
    response: { 200: TopicsResponse, ...errors(400, 500, 503) },
  }),
  lastMessage: op({
    method: "GET",
    url: "/api/v1/topics/last-message",
    operationId: "getLastMessage",
    tags: ["governance"],
    summary: "The last message seen on a topic",
    querystring: LastMessageQuery,
    response: { 200: LastMessage, ...errors(400, 404, 500, 503) },
  }),
  users: op({
    method: "GET",
    url: "/api/v1/users",
    operationId: "listUsers",
    tags: ["governance"],
    summary: "Users and their roles (never password hashes)",
    response: { 200: UsersResponse, ...errors(500) },
  }),
  sparkplug: op({
    method: "GET",
    url: "/api/v1/sparkplug",
    operationId: "getSparkplug",
    tags: ["sparkplug"],
    summary:
      "Sparkplug B groups, edge nodes and devices with state, metrics and history; hosts; rebirths asked for",
    response: { 200: SparkplugResponse, ...errors(500) },
  }),
  cluster: op({
    method: "GET",
    url: "/api/v1/cluster",
    operationId: "getCluster",
    tags: ["cluster"],
    summary:
      "The cluster: this node, whether it reaches Redis, every live node with its clients and counts, and the cluster-wide live totals",
    description: "404 when the server runs as a single node (cluster.redisUrl empty).",
    response: { 200: ClusterResponse, 404: ErrorReply, 500: ErrorReply },
  }),
} as const;

export type OperationName = keyof typeof operations;

/** The Fastify `schema` of an operation: its id, tags, request and reply schemas. */
export function routeSchema<O extends Operation>(o: O): Omit<O, "method" | "url"> {
  const { method: _method, url: _url, ...schema } = o;
  return schema;
}
