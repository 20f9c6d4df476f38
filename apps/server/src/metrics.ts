import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { LATENCY_BUCKETS_S } from "./dispatcher/protocol.js";

/** A counter that follows a running total kept elsewhere (read at scrape time). */
function totalCounter(name: string, help: string, registry: Registry) {
  const c = new Counter({ name, help, registers: [registry] });
  let seen = 0;
  return {
    set(total: number) {
      if (total > seen) c.inc(total - seen);
      seen = Math.max(seen, total);
    },
  };
}

/**
 * A histogram fed with counts per bucket rather than one value at a time: the validation workers
 * count latencies into the buckets and hand over only the counts. Exposed like prom-client's.
 */
export function bulkHistogram(name: string, help: string, buckets: number[], registry: Registry) {
  const counts: number[] = new Array(buckets.length + 1).fill(0);
  let sum = 0;
  let count = 0;
  const metric = {
    name,
    help,
    type: "histogram",
    aggregator: "sum",
    async get() {
      const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
      let cumulative = 0;
      for (let i = 0; i < buckets.length; i++) {
        cumulative += counts[i]!;
        values.push({ labels: { le: buckets[i]! }, value: cumulative, metricName: `${name}_bucket` });
      }
      values.push({ labels: { le: "+Inf" }, value: count, metricName: `${name}_bucket` });
      values.push({ labels: {}, value: sum, metricName: `${name}_sum` });
      values.push({ labels: {}, value: count, metricName: `${name}_count` });
      return { name, help, type: "histogram", values, aggregator: "sum" };
    },
    reset() {
      counts.fill(0);
      sum = 0;
      count = 0;
    },
  };
  registry.registerMetric(metric as unknown as Parameters<Registry["registerMetric"]>[0]);
  return {
    /** One value, in seconds. */
    observe(seconds: number): void {
      let b = 0;
      while (b < buckets.length && seconds > buckets[b]!) b++;
      counts[b]!++;
      sum += seconds;
      count++;
    },
    /** Counts per bucket (the last one is +Inf) and their sum, in seconds. */
    add(bucketCounts: readonly number[], sumSeconds: number): void {
      for (let i = 0; i < counts.length; i++) {
        const n = bucketCounts[i] ?? 0;
        counts[i]! += n;
        count += n;
      }
      sum += sumSeconds;
    },
  };
}

/** Prometheus metrics served at /metrics. Names follow the `uns_` prefix. */
export function createMetrics() {
  const registry = new Registry();
  // Process and Node.js metrics (CPU, memory, event loop lag, GC) with the usual names.
  collectDefaultMetrics({ register: registry });
  const messages = new Counter({
    name: "uns_messages_total",
    help: "Messages accepted by the broker, by outcome (valid, invalid, unvalidated, ungoverned) and policy",
    labelNames: ["outcome", "policy"] as const,
    registers: [registry],
  });
  const validationLatency = bulkHistogram(
    "uns_validation_latency_seconds",
    "From receipt to verdict of a validated message",
    LATENCY_BUCKETS_S,
    registry,
  );
  const queueDepth = new Gauge({
    name: "uns_validation_queue_depth",
    help: "Messages waiting for or in validation",
    registers: [registry],
  });
  const queueBytes = new Gauge({
    name: "uns_validation_queue_bytes",
    help: "Payload bytes of the messages waiting for or in validation (bounded by workers.queueMaxBytes)",
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
  // `_total` names are counters (Prometheus naming conventions).
  const workerRestarts = totalCounter(
    "uns_worker_restarts_total",
    "Validation workers replaced after they died",
    registry,
  );
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
  const spoolDropped = totalCounter(
    "uns_spool_dropped_batches_total",
    "Result batches lost because the spool was full",
    registry,
  );
  const violations = new Counter({
    name: "uns_violations_total",
    help: "Invalid messages, by kind (schema, not-json, acl, topic, sparkplug, too-large, ...)",
    labelNames: ["kind"] as const,
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
  const authFailures = new Counter({
    name: "uns_auth_failures_total",
    help: "Refused logins, by protocol (http, mqtt) and reason (unknown-user, wrong-password, locked, ...)",
    labelNames: ["protocol", "reason"] as const,
    registers: [registry],
  });
  return {
    registry,
    slowClientDropped,
    slowClientDisconnects,
    protocolViolations,
    authFailures,
    messages,
    validationLatency,
    queueDepth,
    queueBytes,
    workerUtilisation,
    workersAlive,
    workerRestarts,
    dbWriteLag,
    dbUp,
    spooled,
    spoolDropped,
    violations,
    clients,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** What the gauges read when /metrics is scraped. */
export interface GaugeSources {
  pool: () => {
    busyMs: number[];
    queued: number;
    inFlight: number;
    queuedBytes: number;
    inFlightBytes: number;
    alive: number;
    restarts: number;
  };
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
    metrics.queueBytes.set(p.queuedBytes + p.inFlightBytes);
    metrics.workersAlive.set(p.alive);
    metrics.workerRestarts.set(p.restarts);
    metrics.dbWriteLag.set(db.writeLagMs / 1000);
    metrics.dbUp.set(db.up ? 1 : 0);
    metrics.spooled.set(db.spooledBatches);
    metrics.spoolDropped.set(db.droppedBatches);
    metrics.clients.set(sources.clients());
  };
}
