import type { Store } from "@uns/store";
import type { HealthReport } from "../api/app.js";
import type { createValidationPool } from "../dispatcher/validation-pool.js";
import type { Governance } from "../governance.js";
import type { ClusterPart } from "./cluster.js";

/** GET /api/v1/health: "ok" only when every part is up; each part says what it knows. */
export function createHealth(p: {
  store: Store;
  pool: ReturnType<typeof createValidationPool>;
  broker: { broker: { closed: boolean }; connectedClients(): number };
  governance: Governance;
  cluster: ClusterPart;
}): () => HealthReport {
  return () => {
    const db = p.store.health();
    const s = p.pool.stats();
    const workersUp = s.alive === s.size;
    const brokerUp = !p.broker.broker.closed;
    const gov = p.governance.status();
    const clusterHealth = p.cluster.node?.health();
    return {
      status:
        workersUp && brokerUp && db.up && gov.ok && (clusterHealth?.redis.up ?? true) ? "ok" : "degraded",
      governance: gov,
      ...(clusterHealth ? { cluster: clusterHealth } : {}),
      broker: { up: brokerUp, clients: p.broker.connectedClients() },
      database: db,
      workers: {
        up: workersUp,
        alive: s.alive,
        size: s.size,
        queued: s.queued,
        inFlight: s.inFlight,
        capacity: s.capacity,
        restarts: s.restarts,
        hung: s.hung,
      },
    };
  };
}
