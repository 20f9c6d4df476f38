import { type Static, Type } from "typebox";

/** Schemas of clustered mode: the `cluster` part of health and GET /api/v1/cluster. */

const strict = { additionalProperties: false } as const;

export const ClusterHealth = Type.Object(
  {
    nodeId: Type.String({ description: "This node's name in the cluster (cluster.nodeId)" }),
    redis: Type.Object({ up: Type.Boolean() }, strict),
    members: Type.Array(Type.String(), { description: "Nodes whose heartbeat has not expired" }),
  },
  { ...strict, description: "Clustered mode only" },
);
export type ClusterHealth = Static<typeof ClusterHealth>;

// Open: a member's heartbeat carries what its node reports (ports, clients, counts, lease).
export const ClusterMember = Type.Object(
  {
    nodeId: Type.String(),
    at: Type.String({ description: "Time of the member's last heartbeat" }),
    mqttPort: Type.Optional(Type.Integer()),
    httpPort: Type.Optional(Type.Integer()),
    clients: Type.Optional(Type.Integer()),
    totals: Type.Optional(Type.Record(Type.String(), Type.Number())),
    sparkplugPrimary: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true },
);
export type ClusterMember = Static<typeof ClusterMember>;

export const ClusterResponse = Type.Object(
  {
    nodeId: Type.String(),
    redis: Type.Object({ up: Type.Boolean() }, strict),
    sparkplugPrimary: Type.Boolean({
      description: "Whether this node holds the Sparkplug primary host lease",
    }),
    noticesReceived: Type.Integer(),
    members: Type.Array(ClusterMember),
    totals: Type.Record(Type.String(), Type.Number(), {
      description: "Cluster-wide live totals: each node's counts as of its last heartbeat",
    }),
  },
  strict,
);
export type ClusterResponse = Static<typeof ClusterResponse>;
