import { type Static, type TSchema, Type } from "typebox";
import { ErrorReply, Limit, Nullable, Policy, Text, ValidationError } from "./common.js";

/**
 * The MQTT workbench (issue 13): the live topic browser, retained messages, and validating or
 * publishing a payload from a contract's channel. Its operations carry their method, since some
 * change state (POST); `operations.ts` holds only the GET ones of the compliance side.
 */

const strict = { additionalProperties: false } as const;

/** How a payload reads: JSON pretty-printed, Sparkplug B decoded, text, or binary as hex. */
export const PayloadView = Type.Object(
  {
    format: Type.Union([
      Type.Literal("json"),
      Type.Literal("sparkplug"),
      Type.Literal("text"),
      Type.Literal("binary"),
      Type.Literal("empty"),
    ]),
    /** Parsed JSON, or the decoded Sparkplug payload (bigints as strings). */
    value: Type.Optional(Type.Unknown()),
    text: Type.Optional(Type.String({ description: "The payload as UTF-8 text (json, text)" })),
    hex: Type.Optional(Type.String({ description: "Hex dump of the first bytes (binary, sparkplug)" })),
    size: Type.Integer({ description: "Bytes published" }),
    truncated: Type.Boolean({ description: "Only the first browser.payloadCapBytes bytes were kept" }),
  },
  strict,
);
export type PayloadView = Static<typeof PayloadView>;

const Governed = {
  channel: Nullable(Type.String({ description: "AsyncAPI channel governing the topic" })),
  contract: Nullable(Type.String({ description: "The channel's document file and version" })),
  policy: Nullable(Policy),
  place: Type.String({ description: "leaf, outside, reserved or refused (topics/tree.yaml)" }),
};

const OutcomeCounts = Type.Object(
  { valid: Type.Integer(), invalid: Type.Integer(), unvalidated: Type.Integer(), ungoverned: Type.Integer() },
  { ...strict, description: "Outcomes since the server started" },
);

export const BrowserTopic = Type.Object(
  {
    topic: Type.String(),
    seq: Type.Integer({ description: "Change counter: the topic changed at this sequence number" }),
    messages: Type.Integer({ description: "Messages delivered since the server started" }),
    ratePerSecond: Type.Number({
      description: "Messages per second over the 5 seconds before its last change (0 once lastAt is 5 s old)",
    }),
    lastAt: Nullable(Type.String()),
    retained: Type.Boolean({ description: "The broker holds a retained message for the topic" }),
    size: Type.Integer({ description: "Bytes of the last message" }),
    preview: Type.String({ description: "The last value, one line, at most 120 characters" }),
    outcomes: OutcomeCounts,
    lastOutcome: Nullable(Type.String()),
    ...Governed,
  },
  strict,
);
export type BrowserTopic = Static<typeof BrowserTopic>;

export const BrowserTopicsQuery = Type.Object(
  {
    since: Type.Optional(
      Type.Integer({
        minimum: 0,
        description:
          "Only topics changed after this sequence number; a topic whose lastAt is older than 5 s before `at` has a rate of 0 now",
      }),
    ),
    prefix: Type.Optional(Text(1024, "Topic subtree (plain prefix)")),
    limit: Type.Optional(Limit(200_000, 100_000)),
  },
  strict,
);
export type BrowserTopicsQuery = Static<typeof BrowserTopicsQuery>;

export const BrowserTopicsResponse = Type.Object(
  {
    seq: Type.Integer({ description: "Pass as `since` next time" }),
    at: Type.String(),
    full: Type.Boolean({ description: "The whole list (no `since`, or `since` older than an eviction)" }),
    total: Type.Integer({ description: "Topics known" }),
    evicted: Type.Integer({ description: "Topics dropped to stay within browser.maxTopics / maxBytes" }),
    topics: Type.Array(BrowserTopic),
  },
  strict,
);
export type BrowserTopicsResponse = Static<typeof BrowserTopicsResponse>;

export const BrowserTreeQuery = Type.Object(
  {
    since: BrowserTopicsQuery.properties.since,
    prefix: BrowserTopicsQuery.properties.prefix,
    limit: Type.Optional(
      Type.Integer({ minimum: 1, description: "At most this many topics (default: all, browser.maxTopics)" }),
    ),
  },
  strict,
);
export type BrowserTreeQuery = Static<typeof BrowserTreeQuery>;

/**
 * The topic tree's list in columns (issue 13, 50,000 topics): only what a tree row shows, one
 * array per field, index i of each array the same topic. A topic's contract, counts and messages
 * come with GET /browser/topic when it is selected. Same `since` / `seq` deltas as /browser/topics.
 */
export const BrowserTreeResponse = Type.Object(
  {
    seq: Type.Integer({ description: "Pass as `since` next time" }),
    at: Type.Integer({
      description: "The server's time of the reply (ms since 1970): rates are now as of then",
    }),
    full: Type.Boolean({ description: "The whole list (no `since`, or `since` older than an eviction)" }),
    total: Type.Integer({ description: "Topics known" }),
    evicted: Type.Integer({ description: "Topics dropped to stay within browser.maxTopics / maxBytes" }),
    topics: Type.Array(Type.String(), { description: "The topics changed (all when `full`)" }),
    // 0, not null, for "none": a column of one type serialises without a per-item branch.
    lastAt: Type.Array(Type.Integer({ minimum: 0 }), {
      description: "Last message delivered (ms since 1970); 0 for a topic with outcomes only",
    }),
    rate: Type.Array(Type.Number(), {
      description: "Messages per second over the 5 s before `at`'s change (0 once lastAt is 5 s before `at`)",
    }),
    retained: Type.Array(Type.Integer({ minimum: 0, maximum: 1 }), {
      description: "1 when the broker holds a retained message for the topic",
    }),
    preview: Type.Array(Type.String(), { description: "The last value, one line, at most 120 characters" }),
    invalid: Type.Array(Type.Integer(), { description: "Invalid messages since the server started" }),
  },
  strict,
);
export type BrowserTreeResponse = Static<typeof BrowserTreeResponse>;

export const BrowserMessage = Type.Object(
  {
    at: Type.String(),
    clientId: Nullable(Type.String()),
    qos: Type.Integer({ minimum: 0, maximum: 2 }),
    retain: Type.Boolean(),
    payload: PayloadView,
  },
  strict,
);
export type BrowserMessage = Static<typeof BrowserMessage>;

export const BrowserTopicQuery = Type.Object({ topic: Text(65535, "The exact topic") }, strict);
export type BrowserTopicQuery = Static<typeof BrowserTopicQuery>;

export const BrowserTopicResponse = Type.Object(
  {
    topic: BrowserTopic,
    messages: Type.Array(BrowserMessage, {
      description: "The most recent messages, oldest first (at most browser.messagesPerTopic)",
    }),
  },
  strict,
);
export type BrowserTopicResponse = Static<typeof BrowserTopicResponse>;

export const RetainedQuery = Type.Object(
  {
    prefix: Type.Optional(Text(1024, "Topic subtree (plain prefix, e.g. acme/plant-a/)")),
    q: Type.Optional(Text(256, "Part of the topic")),
    limit: Type.Optional(Limit(10_000, 1000)),
  },
  strict,
);
export type RetainedQuery = Static<typeof RetainedQuery>;

export const RetainedItem = Type.Object(
  {
    topic: Type.String(),
    qos: Type.Integer(),
    size: Type.Integer(),
    preview: Type.String(),
    ...Governed,
  },
  strict,
);
export type RetainedItem = Static<typeof RetainedItem>;

export const RetainedResponse = Type.Object(
  {
    items: Type.Array(RetainedItem),
    truncated: Type.Boolean({ description: "More retained messages match than `limit`" }),
  },
  strict,
);
export type RetainedResponse = Static<typeof RetainedResponse>;

export const RetainedMessageResponse = Type.Object(
  { topic: Type.String(), qos: Type.Integer(), payload: PayloadView },
  strict,
);
export type RetainedMessageResponse = Static<typeof RetainedMessageResponse>;

export const RetainedClearBody = Type.Object(
  {
    topic: Text(65535, "The topic, or the root of the subtree when `subtree` is true"),
    subtree: Type.Optional(
      Type.Boolean({ description: "Clear every retained message at or below the topic" }),
    ),
  },
  strict,
);
export type RetainedClearBody = Static<typeof RetainedClearBody>;

export const RetainedClearResponse = Type.Object(
  { cleared: Type.Array(Type.String(), { description: "Topics whose retained message was removed" }) },
  strict,
);
export type RetainedClearResponse = Static<typeof RetainedClearResponse>;

export const WorkbenchPayloadBody = Type.Object(
  {
    topic: Text(65535, "The topic to publish to (no wildcards)"),
    payload: Type.String({ maxLength: 4 * 1024 * 1024, description: "The payload as text (UTF-8)" }),
    channel: Type.Optional(Text(256, "The channel the form was opened from; checked against the topic")),
    qos: Type.Optional(Type.Integer({ minimum: 0, maximum: 1, default: 0 })),
    retain: Type.Optional(Type.Boolean({ default: false })),
  },
  strict,
);
export type WorkbenchPayloadBody = Static<typeof WorkbenchPayloadBody>;

export const WorkbenchVerdict = Type.Object(
  {
    outcome: Type.Union([
      Type.Literal("valid"),
      Type.Literal("invalid"),
      Type.Literal("unvalidated"),
      Type.Literal("ungoverned"),
      Type.Literal("refused"),
    ]),
    kind: Type.Optional(Type.String({ description: "Kind of violation (schema, not-json, topic, ...)" })),
    message: Type.Optional(
      Type.String({ description: "The contract message the payload matched or was closest to" }),
    ),
    reason: Type.Optional(
      Type.String({ description: "Why the topic is refused, or why nothing validated it" }),
    ),
    errors: Type.Array(ValidationError),
    ...Governed,
  },
  strict,
);
export type WorkbenchVerdict = Static<typeof WorkbenchVerdict>;

export const WorkbenchPublishResponse = Type.Object(
  {
    published: Type.Boolean(),
    topic: Type.String(),
    verdict: WorkbenchVerdict,
  },
  strict,
);
export type WorkbenchPublishResponse = Static<typeof WorkbenchPublishResponse>;

export interface WorkbenchOperation {
  method: "GET" | "POST";
  url: string;
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  querystring?: TSchema;
  body?: TSchema;
  response: Record<number, TSchema>;
}

const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, ErrorReply])) as Record<number, typeof ErrorReply>;
const op = <const O extends WorkbenchOperation>(o: O) => o;

export const workbenchOperations = {
  browserTopics: op({
    method: "GET",
    url: "/api/v1/browser/topics",
    operationId: "listBrowserTopics",
    tags: ["workbench"],
    summary: "Live topic browser: every topic seen since start with its rate now, last value and compliance",
    description:
      "Poll with `since` = the previous reply's `seq` to get only what changed (the console polls every 500 ms).",
    querystring: BrowserTopicsQuery,
    response: { 200: BrowserTopicsResponse, ...errors(400, 500) },
  }),
  browserTree: op({
    method: "GET",
    url: "/api/v1/browser/tree",
    operationId: "listBrowserTree",
    tags: ["workbench"],
    summary: "Live topic browser, compact: what the tree shows per topic, in columns (gzip when accepted)",
    description:
      "The console's first load with 50,000 topics: a fraction of /browser/topics' size. Poll with `since` like /browser/topics.",
    querystring: BrowserTreeQuery,
    response: { 200: BrowserTreeResponse, ...errors(400, 500) },
  }),
  browserTopic: op({
    method: "GET",
    url: "/api/v1/browser/topic",
    operationId: "getBrowserTopic",
    tags: ["workbench"],
    summary: "One topic in the live browser with its recent messages, decoded",
    querystring: BrowserTopicQuery,
    response: { 200: BrowserTopicResponse, ...errors(400, 404, 500) },
  }),
  retained: op({
    method: "GET",
    url: "/api/v1/retained",
    operationId: "listRetained",
    tags: ["workbench"],
    summary: "Retained messages held by the broker, filtered by subtree and text",
    querystring: RetainedQuery,
    response: { 200: RetainedResponse, ...errors(400, 500) },
  }),
  retainedMessage: op({
    method: "GET",
    url: "/api/v1/retained/message",
    operationId: "getRetained",
    tags: ["workbench"],
    summary: "One retained message, decoded",
    querystring: BrowserTopicQuery,
    response: { 200: RetainedMessageResponse, ...errors(400, 404, 500) },
  }),
  retainedClear: op({
    method: "POST",
    url: "/api/v1/retained/clear",
    operationId: "clearRetained",
    tags: ["workbench"],
    summary: "(admin) Remove the retained message of a topic, or of a whole subtree; audited",
    body: RetainedClearBody,
    response: { 200: RetainedClearResponse, ...errors(400, 401, 403, 500) },
  }),
  validate: op({
    method: "POST",
    url: "/api/v1/workbench/validate",
    operationId: "validatePayload",
    tags: ["workbench"],
    summary: "Check a payload for a topic against its contract, without publishing it",
    body: WorkbenchPayloadBody,
    response: { 200: WorkbenchVerdict, ...errors(400, 401, 403, 500, 503) },
  }),
  publish: op({
    method: "POST",
    url: "/api/v1/workbench/publish",
    operationId: "publishPayload",
    tags: ["workbench"],
    summary:
      "Publish a payload as the logged-in user (admins, or roles topics/access.yaml lets publish there); audited",
    description:
      "The payload is validated first; on an enforce channel an invalid payload is refused (422) and not published.",
    body: WorkbenchPayloadBody,
    response: { 200: WorkbenchPublishResponse, ...errors(400, 401, 403, 422, 500, 503) },
  }),
} as const;

/** The Fastify `schema` of a workbench operation. */
export function workbenchRouteSchema<O extends WorkbenchOperation>(o: O): Omit<O, "method" | "url"> {
  const { method: _method, url: _url, ...schema } = o;
  return schema;
}
