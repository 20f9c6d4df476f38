import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** Prometheus metrics served at /metrics. Names follow the `uns_` prefix. */
export function createMetrics() {
  const registry = new Registry();
  const messages = new Counter({
    name: "uns_messages_total",
    help: "Messages accepted by the broker, by outcome (valid, invalid, unvalidated, ungoverned) and policy",
    labelNames: ["outcome", "policy"] as const,
    registers: [registry],
  });
  const validationLatency = new Histogram({
    name: "uns_validation_latency_seconds",
    help: "From receipt to verdict of a validated message",
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const queueDepth = new Gauge({
    name: "uns_validation_queue_depth",
    help: "Messages waiting for or in validation",
    registers: [registry],
  });
  const workerUtilisation = new Gauge({
    name: "uns_worker_utilisation_ratio",
    help: "Share of wall time each validation worker spent validating, since the previous scrape",
    labelNames: ["worker"] as const,
    registers: [registry],
  });
  const workersAlive = new Gauge({
    name: "uns_workers_alive",
    help: "Validation workers running",
    registers: [registry],
  });
  const workerRestarts = new Gauge({
    name: "uns_worker_restarts_total",
    help: "Validation workers replaced after they died",
    registers: [registry],
  });
  const dbWriteLag = new Gauge({
    name: "uns_db_write_lag_seconds",
    help: "Age of the oldest result not yet written to the database",
    registers: [registry],
  });
  const dbUp = new Gauge({
    name: "uns_db_up",
    help: "1 when the compliance database accepts writes",
    registers: [registry],
  });
  const spooled = new Gauge({
    name: "uns_spool_batches",
    help: "Result batches waiting on disk for the database",
    registers: [registry],
  });
  const spoolDropped = new Gauge({
    name: "uns_spool_dropped_batches_total",
    help: "Result batches lost because the spool was full",
    registers: [registry],
  });
  const clients = new Gauge({
    name: "uns_connected_clients",
    help: "Connected MQTT clients",
    registers: [registry],
  });
  // Per client: a slow subscriber's drops are its own, and the label says whose.
  const slowClientDropped = new Counter({
    name: "uns_mqtt_slow_client_dropped_total",
    help: "QoS 0 messages dropped for one subscriber whose outgoing queue was full",
    labelNames: ["client_id"] as const,
    registers: [registry],
  });
  const slowClientDisconnects = new Counter({
    name: "uns_mqtt_slow_client_disconnects_total",
    help: "Subscribers disconnected for not reading (reason: queue or timeout)",
    labelNames: ["reason"] as const,
    registers: [registry],
  });
  const protocolViolations = new Counter({
    name: "uns_mqtt_protocol_violations_total",
    help: "Connections closed for a packet refused on the wire (too large, malformed strings or flags)",
    labelNames: ["code"] as const,
    registers: [registry],
  });
  return {
    registry,
    slowClientDropped,
    slowClientDisconnects,
    protocolViolations,
    messages,
    validationLatency,
    queueDepth,
    workerUtilisation,
    workersAlive,
    workerRestarts,
    dbWriteLag,
    dbUp,
    spooled,
    spoolDropped,
    clients,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** What the gauges read when /metrics is scraped. */
export interface GaugeSources {
  pool: () => { busyMs: number[]; queued: number; inFlight: number; alive: number; restarts: number };
  store: () => { writeLagMs: number; up: boolean; spooledBatches: number; droppedBatches: number };
  clients: () => number;
}

/**
 * Sets the gauges from their sources; call it when /metrics is scraped, so gauges cost nothing
 * between scrapes. Worker utilisation is the share of wall time since the previous call.
 */
export function createGaugeRefresher(metrics: Metrics, sources: GaugeSources): () => void {
  let lastBusy = sources.pool().busyMs;
  let lastScrape = performance.now();
  return () => {
    const p = sources.pool();
    const db = sources.store();
    const now = performance.now();
    const elapsed = Math.max(1, now - lastScrape);
    for (const [i, b] of p.busyMs.entries()) {
      metrics.workerUtilisation.set({ worker: String(i) }, Math.min(1, (b - (lastBusy[i] ?? 0)) / elapsed));
    }
    lastBusy = p.busyMs;
    lastScrape = now;
    metrics.queueDepth.set(p.queued + p.inFlight);
    metrics.workersAlive.set(p.alive);
    metrics.workerRestarts.set(p.restarts);
    metrics.dbWriteLag.set(db.writeLagMs / 1000);
    metrics.dbUp.set(db.up ? 1 : 0);
    metrics.spooled.set(db.spooledBatches);
    metrics.spoolDropped.set(db.droppedBatches);
    metrics.clients.set(sources.clients());
  };
}
