import { type Static, Type } from "typebox";
import { ClusterHealth } from "./cluster.js";
import { GovernanceStatus } from "./governance.js";

/** Schemas of health and the console's settings. */

const strict = { additionalProperties: false } as const;

export const HealthReport = Type.Object(
  {
    status: Type.Enum(["ok", "degraded"]),
    governance: GovernanceStatus,
    cluster: Type.Optional(ClusterHealth),
    broker: Type.Object({ up: Type.Boolean(), clients: Type.Integer() }, strict),
    // Open: the store reports more about its durability than the API promises.
    database: Type.Object(
      {
        up: Type.Boolean(),
        driver: Type.Enum(["pg", "pglite"]),
        lastError: Type.Optional(Type.String()),
        writeLagMs: Type.Number(),
        pending: Type.Integer(),
        spooledBatches: Type.Integer(),
        spoolBytes: Type.Integer(),
        droppedBatches: Type.Integer(),
        droppedOutcomes: Type.Integer(),
        workerRestarts: Type.Optional(Type.Integer({ description: "Store worker thread restarts" })),
        lostOnWorkerExit: Type.Optional(
          Type.Integer({ description: "Outcomes a stopped store worker had not yet written, at most" }),
        ),
      },
      { additionalProperties: true },
    ),
    workers: Type.Object(
      {
        up: Type.Boolean(),
        alive: Type.Integer(),
        size: Type.Integer(),
        queued: Type.Integer(),
        inFlight: Type.Integer(),
        capacity: Type.Integer(),
        restarts: Type.Integer(),
        hung: Type.Integer({ description: "Workers replaced by the watchdog because a batch took too long" }),
      },
      strict,
    ),
  },
  strict,
);
export type HealthReport = Static<typeof HealthReport>;

export const PublicConfig = Type.Object(
  { timeZone: Type.String(), mqttWebSocketPath: Type.String(), version: Type.String() },
  strict,
);
export type PublicConfig = Static<typeof PublicConfig>;
