import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createThreadedStore, type Store } from "@uns/store";
import { type Logger, pino } from "pino";
import { registerAlertRoutes } from "./api/alert-routes.js";
import { buildApi, type HealthReport } from "./api/app.js";
import { createLoginLimiter } from "./api/auth/login-limiter.js";
import type { AuthContext } from "./api/auth/plugin.js";
import { createSessionStore } from "./api/auth/sessions.js";
import { registerProcessorRoutes } from "./api/processor-routes.js";
import { registerQualityRoutes } from "./api/quality-routes.js";
import { createBroker, identityOf } from "./broker/create-broker.js";
import { ackAfterDurable } from "./broker/durable-ack.js";
import { createMqttLoginCheck } from "./broker/login-guard.js";
import { type BrokerPersistence, createBrokerPersistence } from "./broker/persistence.js";
import { type ClusterNode, createClusterNode, singleNodeClusterRoute } from "./cluster/cluster-node.js";
import { type Config, contractLoadLimits } from "./config.js";
import { createOutcomeSink } from "./dispatcher/outcome-sink.js";
import { VERDICT_CODES } from "./dispatcher/protocol.js";
import { createPublishPipeline, type Outcome } from "./dispatcher/publish-pipeline.js";
import { createValidationPool } from "./dispatcher/validation-pool.js";
import { createError } from "./errors.js";
import { createGovernance } from "./governance.js";
import { createLiveStats } from "./live-stats.js";
import { createGaugeRefresher, createMetrics } from "./metrics.js";
import { createQualityService, type QualityService } from "./quality/quality-service.js";
import { createSparkplugBridge } from "./sparkplug-bridge.js";
import { certificateUser, createMqttTlsServer, loadTlsMaterial, watchTlsMaterial } from "./tls.js";

const VERSION = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;

export interface StartedServer {
  /** Plain MQTT port, null when mqtt.plain is off. */
  mqttPort: number | null;
  /** MQTT over TLS port, null without a certificate. */
  mqttTlsPort: number | null;
  httpPort: number;
}

/**
 * The whole product in one process: governance (tree, access, contracts; hot reload), the
 * compliance store, the validation pool, the broker, and the HTTP side. `server.ts` wires;
 * `main.ts` only starts and stops it.
 */
export async function createUnsServer(
  config: Readonly<Config>,
  options: {
    logger?: Logger;
    /** Test mode: check every API reply against its schema. */
    checkResponses?: boolean;
    /** Tests: a fixture validation worker instead of the shipped one. */
    validationWorker?: URL;
  } = {},
) {
  const logger = options.logger ?? pino({ level: config.log.level });
  const metrics = createMetrics();
  const live = createLiveStats();
  const tls = loadTlsMaterial(config);
  // One set of guessing limits for HTTP and MQTT: a password guessed on one is not free on the other.
  const auth: AuthContext = {
    sessions: createSessionStore({ ttlMs: config.auth.sessionMinutes * 60_000 }),
    limiter: createLoginLimiter({
      userFreeAttempts: config.auth.freeAttempts,
      addressFreeAttempts: config.auth.freeAttemptsPerAddress,
      baseDelayMs: 1000,
      maxDelayMs: config.auth.maxDelaySeconds * 1000,
      forgetAfterMs: 3600_000,
    }),
    failures: metrics.authFailures,
    sessionTtlMs: config.auth.sessionMinutes * 60_000,
    minPasswordLength: config.auth.minPasswordLength,
    secureCookies: tls !== null,
  };

  const pool = createValidationPool({
    size: config.workers.size,
    queueLength: config.workers.queueLength,
    batchSize: config.workers.batchSize,
    batchTimeoutMs: config.workers.batchTimeoutMs,
    batchWindowMs: config.workers.batchWindowMs,
    payloadCapBytes: config.store.payloadCapBytes,
    workerUrl: options.validationWorker,
    logger,
  });
  let store: Store | null = null;
  let persistence: BrokerPersistence | null = null;
  let broker: Awaited<ReturnType<typeof createBroker>> | null = null;
  let api: Awaited<ReturnType<typeof buildApi>> | null = null;
  let quality: QualityService | null = null;
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
      limits: contractLoadLimits(config),
      // File edits are changes too: audited as done by "files" (who edited is the OS's to say).
      // In a cluster the reload is also announced to the other nodes.
      onReload: (r) => {
        theCluster?.onReload(r);
        store
          ?.appendAudit({
            actor: "files",
            address: null,
            action: `${r.part}.reload`,
            target: r.part === "contracts" ? config.contractsDir : config.topicsDir,
            outcome: r.ok ? "ok" : "failed",
            details: r.ok ? {} : { message: r.message },
          })
          .catch((err: Error) => logger.warn({ err: err.message }, "reload not audited"));
      },
      onChange: (snap) => {
        pool.setContracts(snap.contractsJson);
        for (const hook of reloadHooks) hook();
        store
          ?.recordContracts(snap.documents)
          .catch((err: Error) =>
            logger.warn({ err: err.message }, "contracts not recorded in the store yet"),
          );
      },
    });
    pool.setContracts(governance.current.contractsJson);
    await pool.ready();

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

    const sink = createOutcomeSink({ metrics, live, store: theStore });

    // KPIs and alerts from the messages as they pass (see quality/ and alerts/).
    const alertsIdentity = { username: null, clientId: "$uns/alerts", roles: ["admin"] };
    const theQuality = createQualityService({
      store: theStore,
      logger,
      staleAfterMs: config.quality.staleAfterSeconds * 1000,
      minNuggetDiameterMm: config.quality.minNuggetDiameterUm / 1000,
      flushIntervalMs: config.quality.flushIntervalMs,
      evaluateIntervalMs: config.alerts.evaluateIntervalMs,
      rulesFile: config.alerts.rulesFile
        ? resolve(config.alerts.rulesFile)
        : join(config.topicsDir, "alerts.yaml"),
      webhookUrl: config.alerts.webhookUrl,
      publish: (topic, payload) => {
        const packet = {
          cmd: "publish" as const,
          topic,
          payload,
          qos: 0 as const,
          retain: false,
          dup: false,
        };
        pipeline.observeInternal(alertsIdentity, packet);
        broker?.broker.publish(packet, () => {});
      },
    });
    quality = theQuality;
    const record = (o: Outcome, latencyMs: number | null) => {
      sink.record(o, latencyMs);
      theQuality.observe(o);
    };
    const sparkplug = createSparkplugBridge({
      hostId: config.sparkplug.hostId,
      reorderWindowMs: config.sparkplug.reorderWindowMs,
      rebirthMinIntervalMs: config.sparkplug.rebirthMinIntervalMs,
      topicsDir: config.topicsDir,
      logger,
      leased: theCluster !== null,
      forwardRebirth: (r) => theCluster?.forwardRebirth(r),
      record: (o) => record(o, null),
    });
    reloadHooks.push(() => sparkplug.reloadMapping());

    const pipeline = createPublishPipeline({
      governance: () => governance.current,
      pool,
      identityOf,
      maxPayloadBytes: config.validation.maxPayloadBytes,
      verdictBeforeAck: config.store.ackAfterDurable,
      record,
      recordTally: (t) => {
        sink.recordTally(t);
        const c = t.channelSeconds;
        for (let i = 0; i + 3 < c.length; i += 4)
          theQuality.observeCounts(
            c[i] as string,
            c[i + 1] as number,
            c[i + 2] as number,
            c[i + 3] as number,
          );
      },
      observes: (channel) => theQuality.readsPayloadsOf(channel),
      onJudged: (channel, topic, payload, time, verdict) =>
        theQuality.observeJudged(channel, topic, payload, VERDICT_CODES[verdict] ?? "unvalidated", time),
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
      checkLogin: createMqttLoginCheck({ limiter: auth.limiter, failures: metrics.authFailures }),
      certificateUser,
    });
    const thePersistence = persistence;
    const theBroker = broker;
    sink.attach(broker.broker);
    sparkplug.attach(broker.broker, pipeline.observeInternal);
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
      const gov = governance.status();
      const clusterHealth = theCluster?.health();
      return {
        status:
          workersUp && brokerUp && db.up && gov.ok && (clusterHealth?.redis.up ?? true) ? "ok" : "degraded",
        governance: gov,
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
          hung: p.hung,
        },
      };
    };

    const refreshGauges = createGaugeRefresher(metrics, {
      pool: () => pool.stats(),
      store: () => theStore.health(),
      clients: () => theBroker.connectedClients(),
    });

    api = await buildApi(
      {
        store: theStore,
        governance,
        live,
        metrics,
        health,
        publicConfig: { timeZone: config.console.timeZone, mqttWebSocketPath: "/mqtt", version: VERSION },
        extraRoutes: [
          (app) => sparkplug.routes(app),
          (app) => registerQualityRoutes(app, { store: theStore, quality: theQuality }),
          (app) => registerAlertRoutes(app, { store: theStore, quality: theQuality }),
          (app) => registerProcessorRoutes(app, config.processors.url),
          (app) => (theCluster ? theCluster.routes(app) : singleNodeClusterRoute(app)),
        ],
        auth,
        topicsDir: config.topicsDir,
        ...(tls ? { https: tls } : {}),
      },
      { checkResponses: options.checkResponses },
    );
    theCluster?.registerMetrics(metrics.registry);
    api.addHook("onRequest", async (req) => {
      if (req.url === "/metrics") refreshGauges();
    });
    broker.attachWebSocket(api.server);
    await theQuality.start();

    const mqttTls = tls
      ? createMqttTlsServer(tls, (socket) => theBroker.broker.handle(socket as never))
      : null;
    const unwatchTls = tls
      ? watchTlsMaterial(
          config,
          () => [mqttTls!, api!.server as unknown as import("node:tls").Server],
          logger,
        )
      : () => {};
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
      quality: theQuality,
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
        const mqttPort = config.mqtt.plain
          ? await listening("MQTT", config.mqtt.host, config.mqtt.port, () =>
              theBroker.listen(config.mqtt.host, config.mqtt.port),
            )
          : null;
        const mqttTlsPort = mqttTls
          ? await listening("MQTT over TLS", config.mqtt.host, config.mqtt.tlsPort, async () => {
              await new Promise<void>((resolve, reject) => {
                mqttTls.once("error", reject);
                mqttTls.listen(config.mqtt.tlsPort, config.mqtt.host, () => resolve());
              });
              const a = mqttTls.address();
              return typeof a === "object" && a ? a.port : config.mqtt.tlsPort;
            })
          : null;
        await listening("HTTP", config.http.host, config.http.port, () =>
          api!.listen({ host: config.http.host, port: config.http.port }),
        );
        const addr = api!.server.address();
        const httpPort = typeof addr === "object" && addr ? addr.port : config.http.port;
        // With the plain port off (mqtt.plain: false) the node announces its TLS port.
        theCluster?.listening(mqttPort ?? mqttTlsPort ?? 0, httpPort);
        logger.info(
          {
            mqttPort,
            mqttTlsPort,
            httpPort,
            database: config.databaseUrl ? "postgresql" : `embedded (${config.dataDir})`,
            workers: config.workers.size,
            ...(theCluster ? { nodeId: theCluster.nodeId, cluster: "redis" } : {}),
          },
          `UNS server ready: ${[
            mqttPort !== null ? `mqtt://${config.mqtt.host}:${mqttPort}` : null,
            mqttTlsPort !== null ? `mqtts://${config.mqtt.host}:${mqttTlsPort}` : null,
            `${tls ? "https" : "http"}://${config.http.host}:${httpPort}`,
          ]
            .filter(Boolean)
            .join("  ")}  (console /, API /api/v1, MQTT over ${tls ? "secure " : ""}WebSocket /mqtt)`,
        );
        return { mqttPort, mqttTlsPort, httpPort };
      },
      /** Stop accepting, let in-flight validations finish, flush results, close. */
      stop(): Promise<void> {
        stopping ??= (async () => {
          governance.close();
          sparkplug.stop();
          unwatchTls();
          const tlsClosed = new Promise<void>((resolve) =>
            mqttTls?.listening ? mqttTls.close(() => resolve()) : resolve(),
          );
          await theBroker.close();
          await thePersistence.close();
          await tlsClosed;
          await theCluster?.close();
          await api!.close();
          await waitForIdle(pool);
          await pool.close();
          await theQuality.stop();
          await theStore.close();
          logger.info("UNS server stopped");
        })();
        return stopping;
      },
    };
    return server;
  } catch (err) {
    await pool.close();
    await quality?.stop().catch(() => undefined);
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
