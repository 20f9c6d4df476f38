import { readFileSync } from "node:fs";
import { createThreadedStore, type Store } from "@uns/store";
import { type Logger, pino } from "pino";
import { buildApi, type HealthReport } from "./api/app.js";
import { createBroker, identityOf } from "./broker/create-broker.js";
import { ackAfterDurable } from "./broker/durable-ack.js";
import { type BrokerPersistence, createBrokerPersistence } from "./broker/persistence.js";
import { type ClusterNode, createClusterNode } from "./cluster/cluster-node.js";
import type { Config } from "./config.js";
import { createPublishPipeline, type Outcome } from "./dispatcher/publish-pipeline.js";
import { createValidationPool } from "./dispatcher/validation-pool.js";
import { createError } from "./errors.js";
import { createGovernance } from "./governance.js";
import { createLiveStats } from "./live-stats.js";
import { createMetrics } from "./metrics.js";
import { createSparkplugBridge } from "./sparkplug-bridge.js";

const VERSION = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/** `$uns/violations/<original topic>`: live violations as JSON, for roles allowed to read them. */
export function violationsTopic(topic: string): string {
  return `$uns/violations/${topic}`;
}

export interface StartedServer {
  mqttPort: number;
  httpPort: number;
}

/**
 * The whole product in one process: governance (tree, access, contracts; hot reload), the
 * compliance store, the validation pool, the broker, and the HTTP side. `server.ts` wires;
 * `main.ts` only starts and stops it.
 */
export async function createUnsServer(config: Readonly<Config>, options: { logger?: Logger } = {}) {
  const logger = options.logger ?? pino({ level: config.log.level });
  const metrics = createMetrics();
  const live = createLiveStats();

  const pool = createValidationPool({
    size: config.workers.size,
    queueLength: config.workers.queueLength,
    batchSize: config.workers.batchSize,
    logger,
  });
  let store: Store | null = null;
  let persistence: BrokerPersistence | null = null;
  let broker: Awaited<ReturnType<typeof createBroker>> | null = null;
  let api: Awaited<ReturnType<typeof buildApi>> | null = null;
  let cluster: ClusterNode | null = null;

  const reloadHooks: (() => void)[] = [];
  try {
    // Clustered mode (cluster/): Redis first, so the broker starts on the shared emitter and persistence.
    cluster = config.cluster.redisUrl ? await createClusterNode(config, logger, live) : null;
    const theCluster = cluster;
    const governance = await createGovernance({
      contractsDir: config.contractsDir,
      topicsDir: config.topicsDir,
      logger,
      onReload: (r) => theCluster?.onReload(r),
      onChange: (snap) => {
        pool.setContracts(snap.contracts);
        for (const hook of reloadHooks) hook();
        store
          ?.recordContracts(snap.documents)
          .catch((err: Error) =>
            logger.warn({ err: err.message }, "contracts not recorded in the store yet"),
          );
      },
    });
    pool.setContracts(governance.current.contracts);

    // The store runs in its own thread: database writes must never stall the broker.
    store = await createThreadedStore({
      databaseUrl: config.databaseUrl || undefined,
      dataDir: config.dataDir,
      batchMaxRows: config.store.batchMaxRows,
      flushIntervalMs: config.store.flushIntervalMs,
      spoolMaxBytes: config.store.spoolMaxBytes,
      payloadCapBytes: config.store.payloadCapBytes,
      retentionDays: config.store.retentionDays,
      logger,
    });
    const theStore = store;
    await theStore.recordContracts(governance.current.documents);

    // Label lookups cost more than the increment: bind each outcome/policy pair once.
    const counters = new Map<string, { inc(): void }>();
    const counterFor = (outcome: string, policy: string) => {
      const key = `${outcome}/${policy}`;
      let c = counters.get(key);
      if (!c) {
        c = metrics.messages.labels(outcome, policy);
        counters.set(key, c);
      }
      return c;
    };
    const record = (o: Outcome, latencyMs: number | null) => {
      if (o.counted !== false) {
        counterFor(o.outcome, o.policy).inc();
        live.count(o.outcome, o.time);
      }
      if (latencyMs !== null) metrics.validationLatency.observe(latencyMs / 1000);
      theStore.record(o);
      if (o.outcome === "invalid") {
        const v = {
          time: new Date(o.time).toISOString(),
          clientId: o.clientId,
          username: o.username,
          topic: o.topic,
          channel: o.channel,
          kind: o.kind,
          policy: o.policy,
          errors: (o.errors ?? []).map((e) => ({
            instancePath: e.instancePath,
            keyword: e.keyword,
            message: e.message,
          })),
        };
        live.violation(v);
        broker?.broker.publish(
          {
            cmd: "publish",
            topic: violationsTopic(o.topic),
            payload: Buffer.from(JSON.stringify(v)),
            qos: 0,
            retain: false,
            dup: false,
          },
          () => {},
        );
      }
    };

    const mirrorIdentity = { username: null, clientId: "$uns/sparkplug-mirror", roles: ["admin"] };
    const sparkplug = createSparkplugBridge({
      hostId: config.sparkplug.hostId,
      reorderWindowMs: config.sparkplug.reorderWindowMs,
      rebirthMinIntervalMs: config.sparkplug.rebirthMinIntervalMs,
      topicsDir: config.topicsDir,
      logger,
      leased: theCluster !== null,
      forwardRebirth: (r) => theCluster?.forwardRebirth(r),
      record: (o) => record(o, null),
      publishMirror: (topic, payload) => {
        const packet = { cmd: "publish" as const, topic, payload, qos: 0 as const, retain: true, dup: false };
        pipeline.observeInternal(mirrorIdentity, packet);
        broker?.broker.publish(packet, () => {});
      },
    });
    reloadHooks.push(() => sparkplug.reloadMapping());

    const pipeline = createPublishPipeline({
      governance: () => governance.current,
      pool,
      identityOf,
      maxPayloadBytes: config.validation.maxPayloadBytes,
      verdictBeforeAck: config.store.ackAfterDurable,
      record,
      onInternalError: (err, topic) => logger.error({ err, topic }, "recording a verdict failed"),
      sparkplug: (client, packet, identity, time) => sparkplug.onPublish(client, packet, identity, time),
    });

    persistence =
      theCluster?.persistence ?? (await createBrokerPersistence(config.mqtt.persistence, config.dataDir));
    const authorizePublish = config.store.ackAfterDurable
      ? ackAfterDurable(pipeline.authorizePublish, () => theStore.whenDurable())
      : pipeline.authorizePublish;
    broker = await createBroker({
      governance: () => governance.current,
      allowAnonymous: config.mqtt.allowAnonymous,
      keepaliveLimitSeconds: config.mqtt.keepaliveLimitSeconds,
      tcpNoDelay: config.mqtt.tcpNoDelay,
      authorizePublish: theCluster ? theCluster.guardPublish(authorizePublish) : authorizePublish,
      aedesOptions: theCluster?.aedesOptions,
      refuseConnection: theCluster?.refuseConnection,
      logger,
      maxPacketBytes: config.mqtt.maxPacketBytes,
      clientQueueMaxMessages: config.mqtt.clientQueueMaxMessages,
      clientQueueMaxBytes: config.mqtt.clientQueueMaxBytes,
      slowClientTimeoutMs: config.mqtt.slowClientTimeoutMs,
      persistence: persistence.persistence,
      onProtocolViolation: (_clientId, v) => metrics.protocolViolations.inc({ code: v.code }),
      onSlowClientDrop: (clientId) => metrics.slowClientDropped.inc({ client_id: clientId }),
      onSlowClientDisconnect: (_clientId, reason) => metrics.slowClientDisconnects.inc({ reason }),
    });
    const thePersistence = persistence;
    const theBroker = broker;
    sparkplug.attach(broker.broker);
    theCluster?.attach({
      governance,
      sparkplug,
      broker: broker.broker,
      clients: () => theBroker.connectedClients(),
    });
    broker.broker.on("clientError", (client, err) =>
      logger.debug({ clientId: client.id, err: err.message }, "client error"),
    );
    broker.broker.on("connectionError", (client, err) =>
      logger.debug({ clientId: client?.id, err: err.message }, "connection error"),
    );

    const health = (): HealthReport => {
      const db = theStore.health();
      const p = pool.stats();
      const workersUp = p.alive === p.size;
      const brokerUp = !theBroker.broker.closed;
      const clusterHealth = theCluster?.health();
      return {
        status: workersUp && brokerUp && db.up && (clusterHealth?.redis.up ?? true) ? "ok" : "degraded",
        ...(clusterHealth ? { cluster: clusterHealth } : {}),
        broker: { up: brokerUp, clients: theBroker.connectedClients() },
        database: db,
        workers: {
          up: workersUp,
          alive: p.alive,
          size: p.size,
          queued: p.queued,
          inFlight: p.inFlight,
          capacity: p.capacity,
          restarts: p.restarts,
        },
      };
    };

    // Gauges are read when scraped, so they cost nothing between scrapes.
    let lastBusy = pool.stats().busyMs;
    let lastScrape = performance.now();
    const refreshGauges = () => {
      const p = pool.stats();
      const db = theStore.health();
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
      metrics.clients.set(theBroker.connectedClients());
    };

    api = await buildApi({
      store: theStore,
      governance,
      live,
      metrics,
      health,
      publicConfig: { timeZone: config.console.timeZone, mqttWebSocketPath: "/mqtt", version: VERSION },
      extraRoutes: [(app) => sparkplug.routes(app), ...(theCluster ? [theCluster.routes] : [])],
    });
    theCluster?.registerMetrics(metrics.registry);
    api.addHook("onRequest", async (req) => {
      if (req.url === "/metrics") refreshGauges();
    });
    broker.attachWebSocket(api.server);

    let stopping: Promise<void> | null = null;
    const server = {
      config,
      logger,
      governance,
      pool,
      live,
      metrics,
      store: theStore,
      broker: theBroker,
      sparkplug,
      api,
      health,
      async start(): Promise<StartedServer> {
        const listening = async <T>(
          what: string,
          host: string,
          port: number,
          fn: () => Promise<T>,
        ): Promise<T> => {
          try {
            return await fn();
          } catch (cause) {
            throw createError(
              "UNS_ERR_LISTEN",
              `cannot open ${what} on ${host}:${port}: ${(cause as Error).message}`,
              { cause },
            );
          }
        };
        const mqttPort = await listening("MQTT", config.mqtt.host, config.mqtt.port, () =>
          theBroker.listen(config.mqtt.host, config.mqtt.port),
        );
        await listening("HTTP", config.http.host, config.http.port, () =>
          api!.listen({ host: config.http.host, port: config.http.port }),
        );
        const addr = api!.server.address();
        const httpPort = typeof addr === "object" && addr ? addr.port : config.http.port;
        theCluster?.listening(mqttPort, httpPort);
        logger.info(
          {
            mqttPort,
            httpPort,
            database: config.databaseUrl ? "postgresql" : `embedded (${config.dataDir})`,
            workers: config.workers.size,
            ...(theCluster ? { nodeId: theCluster.nodeId, cluster: "redis" } : {}),
          },
          `UNS server ready: mqtt://${config.mqtt.host}:${mqttPort}  http://${config.http.host}:${httpPort}  (console /, API /api/v1, MQTT over WebSocket /mqtt)`,
        );
        return { mqttPort, httpPort };
      },
      /** Stop accepting, let in-flight validations finish, flush results, close. */
      stop(): Promise<void> {
        stopping ??= (async () => {
          governance.close();
          sparkplug.stop();
          await theBroker.close();
          await thePersistence.close();
          await theCluster?.close();
          await api!.close();
          await waitForIdle(pool);
          await pool.close();
          await theStore.close();
          logger.info("UNS server stopped");
        })();
        return stopping;
      },
    };
    return server;
  } catch (err) {
    await pool.close();
    await store?.close();
    await persistence?.close();
    await cluster?.close();
    throw err;
  }
}

async function waitForIdle(pool: ReturnType<typeof createValidationPool>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const s = pool.stats();
    if (s.queued + s.inFlight === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export type UnsServer = Awaited<ReturnType<typeof createUnsServer>>;
