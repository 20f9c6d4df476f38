import { type Static, Type } from "typebox";
import { Nullable } from "./common.js";

/** Schema of GET /api/v1/sparkplug: the tracker's state of groups, edge nodes, devices, hosts. */

const strict = { additionalProperties: false } as const;
const SeqLike = Type.Union([Type.Number(), Type.String()]);

export type SparkplugValue =
  | null
  | boolean
  | number
  | string
  | SparkplugValue[]
  | { [key: string]: SparkplugValue };
const Value = Type.Unsafe<SparkplugValue>({
  description: "A metric value as JSON (wide integers as strings)",
});

export const SparkplugMetric = Type.Object(
  {
    name: Type.String(),
    alias: Type.Optional(SeqLike),
    datatype: Type.String({ description: "Sparkplug 3.0 datatype name (Tahu spelling)" }),
    value: Value,
    isNull: Type.Boolean(),
    timestamp: Type.Optional(Type.Number({ description: "ms since epoch" })),
    quality: Type.Enum(["good", "bad", "stale"]),
    unit: Type.Optional(Type.String()),
    properties: Type.Optional(
      Type.Record(
        Type.String(),
        Type.Object({ type: Type.String(), value: Value, isNull: Type.Optional(Type.Literal(true)) }, strict),
      ),
    ),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    updatedAt: Type.Number(),
  },
  strict,
);
export type SparkplugMetric = Static<typeof SparkplugMetric>;

export const SparkplugHistoryEntry = Type.Object(
  {
    time: Type.Number(),
    event: Type.Enum(["birth", "death", "rebirth-requested", "death-ignored"]),
    reason: Type.Optional(Type.String()),
    bdSeq: Type.Optional(SeqLike),
    seq: Type.Optional(SeqLike),
  },
  strict,
);
export type SparkplugHistoryEntry = Static<typeof SparkplugHistoryEntry>;

export const SparkplugBirth = Type.Object(
  {
    time: Type.Number(),
    timestamp: Type.Optional(Type.Number()),
    seq: Type.Optional(SeqLike),
    bdSeq: Type.Optional(SeqLike),
    clientId: Type.Optional(Nullable(Type.String())),
  },
  strict,
);
export type SparkplugBirth = Static<typeof SparkplugBirth>;

export const SparkplugDeath = Type.Object(
  {
    time: Type.Number(),
    reason: Type.String({
      description: "ndeath | will | session-ended | ddeath | node-death | node-rebirth",
    }),
    bdSeq: Type.Optional(SeqLike),
  },
  strict,
);
export type SparkplugDeath = Static<typeof SparkplugDeath>;

export const SparkplugDevice = Type.Object(
  {
    group: Type.String(),
    edgeNode: Type.String(),
    device: Type.String(),
    online: Type.Boolean(),
    lastBirth: Type.Optional(SparkplugBirth),
    lastDeath: Type.Optional(SparkplugDeath),
    metrics: Type.Array(SparkplugMetric),
    history: Type.Array(SparkplugHistoryEntry),
  },
  strict,
);
export type SparkplugDevice = Static<typeof SparkplugDevice>;

export const SparkplugEdgeNode = Type.Object(
  {
    group: Type.String(),
    edgeNode: Type.String(),
    online: Type.Boolean(),
    clientId: Type.Optional(Nullable(Type.String())),
    bdSeq: Type.Optional(SeqLike),
    lastSeq: Type.Optional(Type.Number()),
    pendingSeqs: Type.Array(Type.Number()),
    lastBirth: Type.Optional(SparkplugBirth),
    lastDeath: Type.Optional(SparkplugDeath),
    rebirths: Type.Object(
      {
        requested: Type.Integer(),
        suppressed: Type.Integer(),
        lastRequestAt: Type.Optional(Type.Number()),
        lastReason: Type.Optional(Type.String()),
      },
      strict,
    ),
    messages: Type.Integer(),
    violations: Type.Integer(),
    metrics: Type.Array(SparkplugMetric),
    devices: Type.Array(SparkplugDevice),
    history: Type.Array(SparkplugHistoryEntry),
  },
  strict,
);
export type SparkplugEdgeNode = Static<typeof SparkplugEdgeNode>;

export const SparkplugResponse = Type.Object(
  {
    hostId: Nullable(
      Type.String({ description: "The server's own primary host id; null when it only observes" }),
    ),
    primary: Type.Boolean({
      description: "Whether this node acts as the primary host now (in a cluster: holds the lease)",
    }),
    groups: Type.Array(
      Type.Object({ group: Type.String(), edgeNodes: Type.Array(SparkplugEdgeNode) }, strict),
    ),
    hosts: Type.Array(
      Type.Object(
        {
          hostId: Type.String(),
          online: Type.Boolean(),
          timestamp: Type.Number(),
          time: Type.Number(),
          clientId: Type.Optional(Nullable(Type.String())),
        },
        strict,
      ),
    ),
    rebirths: Type.Array(
      Type.Object(
        { group: Type.String(), edgeNode: Type.String(), reason: Type.String(), time: Type.String() },
        strict,
      ),
      { description: "Rebirths the server asked for, newest first" },
    ),
  },
  strict,
);
export type SparkplugResponse = Static<typeof SparkplugResponse>;
