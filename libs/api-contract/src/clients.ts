import { type Static, Type } from "typebox";
import { ErrorReply, FilterQuery, Limit, Nullable, Text, WindowQuery } from "./common.js";
import { SummaryBy } from "./compliance.js";

/**
 * Schemas of the Clients page (connected MQTT clients, their connect / disconnect history, an
 * admin's disconnect) and of the exports (CSV or JSON of the violations, publishers, clients and
 * compliance tables with the console's filters).
 */

const strict = { additionalProperties: false } as const;

export const ClientsQuery = Type.Object(
  {
    q: Type.Optional(Text(256, "Part of the client id, user, address or a subscription (case-insensitive)")),
  },
  strict,
);
export type ClientsQuery = Static<typeof ClientsQuery>;

const Compliance = Nullable(
  Type.Object(
    {
      messages: Type.Integer(),
      invalid: Type.Integer(),
      complianceRate: Nullable(Type.Number({ description: "1 - invalid / messages" })),
      nonCompliantSince: Nullable(
        Type.String({ description: "Start of the current failing streak (ISO 8601), null when compliant" }),
      ),
    },
    strict,
  ),
);

export const ConnectedClient = Type.Object(
  {
    clientId: Type.String(),
    username: Nullable(Type.String()),
    roles: Type.Array(Type.String()),
    address: Nullable(Type.String()),
    protocol: Type.String({ description: "MQTT 3.1 or MQTT 3.1.1" }),
    keepaliveSeconds: Type.Integer({ description: "The keep-alive the client asked for (0 = none)" }),
    cleanSession: Type.Boolean(),
    connectedAt: Type.String({ description: "ISO 8601" }),
    will: Nullable(
      Type.Object({ topic: Type.String(), qos: Type.Integer(), retain: Type.Boolean() }, strict),
    ),
    subscriptions: Type.Array(Type.Object({ topic: Type.String(), qos: Type.Integer() }, strict)),
    messagesIn: Type.Integer({ description: "PUBLISHes accepted from the client since it connected" }),
    messagesOut: Type.Integer({ description: "Messages delivered to it since it connected" }),
    messagesDropped: Type.Integer({
      description:
        "QoS 0 messages dropped for it since it connected: its outgoing queue was full (mqtt.clientQueueMaxBytes / mqtt.clientQueueMaxMessages)",
    }),
    inPerSecond: Type.Number({ description: "Over the last 10 s" }),
    outPerSecond: Type.Number({ description: "Over the last 10 s" }),
    compliance: Compliance,
  },
  strict,
);
export type ConnectedClient = Static<typeof ConnectedClient>;

export const ClientsResponse = Type.Object(
  {
    clients: Type.Array(ConnectedClient),
    complianceWindow: Type.Object({ from: Type.String(), to: Type.String() }, strict),
  },
  strict,
);
export type ClientsResponse = Static<typeof ClientsResponse>;

export const DisconnectReason = Type.Union([
  Type.Literal("clean"),
  Type.Literal("keepalive-timeout"),
  Type.Literal("client-error"),
  Type.Literal("connection-lost"),
  Type.Literal("taken-over"),
  Type.Literal("admin"),
]);

export const ClientEvent = Type.Object(
  {
    seq: Type.Integer(),
    time: Type.String(),
    event: Type.Union([Type.Literal("connect"), Type.Literal("disconnect"), Type.Literal("refused")]),
    clientId: Nullable(Type.String()),
    username: Nullable(Type.String()),
    address: Nullable(Type.String()),
    reason: Type.Optional(DisconnectReason),
    returnCode: Type.Optional(Type.Integer({ description: "CONNACK return code of a refused CONNECT" })),
    detail: Type.Optional(Type.String()),
    willSent: Type.Optional(Type.Boolean()),
    willTopic: Type.Optional(Type.String()),
    connectedMs: Type.Optional(Type.Number()),
    by: Type.Optional(Type.String({ description: "The admin who disconnected the client" })),
  },
  strict,
);
export type ClientEvent = Static<typeof ClientEvent>;

export const ClientHistoryQuery = Type.Object(
  {
    q: ClientsQuery.properties.q,
    event: Type.Optional(
      Type.Union([Type.Literal("connect"), Type.Literal("disconnect"), Type.Literal("refused")]),
    ),
    before: Type.Optional(
      Type.Integer({ minimum: 1, description: "seq of the last entry of the previous page" }),
    ),
    limit: Type.Optional(Limit(1000, 200)),
  },
  strict,
);
export type ClientHistoryQuery = Static<typeof ClientHistoryQuery>;

export const ClientHistoryResponse = Type.Object(
  {
    items: Type.Array(ClientEvent),
    kept: Type.Integer({ description: "Entries held now" }),
    capacity: Type.Integer({ description: "console.clientHistorySize: older entries are dropped" }),
  },
  strict,
);
export type ClientHistoryResponse = Static<typeof ClientHistoryResponse>;

export const ClientParams = Type.Object({ clientId: Text(256, "MQTT client id") }, strict);
export type ClientParams = Static<typeof ClientParams>;

export const DisconnectResponse = Type.Object(
  { disconnected: Type.Literal(true), clientId: Type.String() },
  strict,
);

export const ExportFormat = Type.Union([Type.Literal("csv"), Type.Literal("json")], {
  description: "csv (RFC 4180, a header row) or json (an array, streamed)",
});
export const ExportTable = Type.Union([
  Type.Literal("violations"),
  Type.Literal("publishers"),
  Type.Literal("clients"),
  Type.Literal("compliance"),
]);
export type ExportTable = "violations" | "publishers" | "clients" | "compliance";

export const ExportParams = Type.Object({ table: ExportTable }, strict);
export const ExportQuery = Type.Object(
  {
    format: Type.Optional(ExportFormat),
    ...WindowQuery,
    ...FilterQuery,
    kind: Type.Optional(Text(64, "violations: kind")),
    by: Type.Optional({ ...SummaryBy, description: "compliance: group by (default channel)" }),
    depth: Type.Optional(Type.Integer({ minimum: 1, maximum: 12 })),
    q: ClientsQuery.properties.q,
    limit: Type.Optional(Limit(1_000_000, 100_000)),
  },
  strict,
);
export type ExportQuery = Static<typeof ExportQuery>;

const errors = (...s: number[]) => Object.fromEntries(s.map((x) => [x, ErrorReply]));

/** The operations of this file, in the shape Fastify's `schema` takes. */
export const clientOperations = {
  listClients: {
    operationId: "listClients",
    tags: ["clients"],
    summary: "Connected MQTT clients with user, roles, address, keep-alive, subscriptions, rates, compliance",
    querystring: ClientsQuery,
    response: { 200: ClientsResponse, ...errors(400, 401, 500) },
  },
  clientHistory: {
    operationId: "listClientHistory",
    tags: ["clients"],
    summary: "Connects, disconnects (with the reason) and refused CONNECTs, newest first (bounded)",
    querystring: ClientHistoryQuery,
    response: { 200: ClientHistoryResponse, ...errors(400, 401, 500) },
  },
  disconnectClient: {
    operationId: "disconnectClient",
    tags: ["clients"],
    summary: "Close a client's connection (admins; audit-logged)",
    params: ClientParams,
    response: { 200: DisconnectResponse, ...errors(400, 401, 403, 404, 500) },
  },
  exportTable: {
    operationId: "exportTable",
    tags: ["exports"],
    summary: "A table as CSV or JSON with the console's filters, streamed",
    params: ExportParams,
    querystring: ExportQuery,
    response: {
      // Streamed, so never through the JSON serializer: this only documents the reply.
      200: Type.Unsafe<string>({
        type: "string",
        description: "text/csv (a header row, then one row each) or application/json (an array)",
      }),
      ...errors(400, 401, 500),
    },
  },
} as const;
