import { readFileSync } from "node:fs";
import { fastPathStatus } from "@uns/contracts";
import { createThreadedStore, type Store } from "@uns/store";
import { type Logger, pino } from "pino";
import { buildApi } from "./api/app.js";
import { registerClientRoutes } from "./api/client-routes.js";
import { registerExportRoutes } from "./api/export-routes.js";
import { registerWorkbenchRoutes } from "./api/workbench-routes.js";
import { createBroker, identityOf } from "./broker/create-broker.js";
import { ackAfterDurable } from "./broker/durable-ack.js";
import { createLoginCache } from "./broker/login-cache.js";
import { createMqttLoginCheck } from "./broker/login-guard.js";
import { type BrokerPersistence, createBrokerPersistence } from "./broker/persistence.js";
import { createClientRegistry } from "./clients/client-registry.js";
import { type Config, contractCacheDir, contractLoadLimits } from "./config.js";
import { createInlineJudge } from "./dispatcher/inline-judge.js";
import { createOutcomeSink } from "./dispatcher/outcome-sink.js";
import { type BatchTally, VERDICT_CODES } from "./dispatcher/protocol.js";
import { createPublishPipeline, type Outcome } from "./dispatcher/publish-pipeline.js";
import { createValidationPool } from "./dispatcher/validation-pool.js";
import { createGovernance } from "./governance.js";
import { createLiveStats } from "./live-stats.js";
import { createGaugeRefresher, createMetrics } from "./metrics.js";
import { createAlertsPart } from "./parts/alerts.js";
import { createAuthPart } from "./parts/auth.js";
import { type ClusterPart, createClusterPart } from "./parts/cluster.js";
import { createHealth } from "./parts/health.js";
import { createInternalPublisher } from "./parts/internal-publish.js";
import { createListeners, type StartedServer } from "./parts/listeners.js";
import { createProcessorsRelayPart } from "./parts/processors-relay.js";
import { createQualityPart } from "./parts/quality.js";
import { createSparkplugPart } from "./parts/sparkplug.js";
import { certificateUser, loadTlsMaterial } from "./tls.js";
import { createTopicBrowser } from "./topic-browser/topic-browser.js";

export type { StartedServer } from "./parts/listeners.js";

const VERSION = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/**
 * The whole product in one process, as a list of parts (parts/ and the modules they name):
 * cluster, governance (tree, access, contracts; hot reload), validation pool, compliance store,
 * quality and alerts, Sparkplug, dispatcher, broker, API, listeners. They are built in that
 * order, each from the ones before it, and stopped in the order of `stop()`. `server.ts` only
 * wires; `main.ts` only starts and stops it.
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
  const topicBrowser = createTopicBrowser(config.browser);
  const tls = loadTlsMaterial(config);
  const auth = createAuthPart(config, metrics, tls !== null);
  const internal = createInternalPublisher();

  const pool = createValidationPool({
    size: config.workers.size,
    queueLength: config.workers.queueLength,
    queueMaxBytes: config.workers.queueMaxBytes,
    batchSize: config.workers.batchSize,
    batchTimeoutMs: config.workers.batchTimeoutMs,
    batchWindowMs: config.workers.batchWindowMs,
    payloadCapBytes: config.store.payloadCapBytes,
    workerUrl: options.validationWorker,
    fastPath: config.validation.fastPath,
    logger,
  });
  // Said once at start: which payload checker the workers use (issue 14).
  const fast = fastPathStatus(config.validation.fastPath);
  if (fast.native) logger.info({ fastPath: fast.path }, "payload validation: native fast path, then ajv");
  else logger.info({ reason: fast.reason }, "payload validation: ajv only (no native fast path)");
  // Built so far, for the cleanup when a later part fails to start.
  let store: Store | null = null;
  let persistence: BrokerPersistence | null = null;
  let quality: ReturnType<typeof createQualityPart> | null = null;
  let cluster: ClusterPart | null = null;

  const reloadHooks: (() => void)[] = [];
  try {
    const theCluster = await createClusterPart(config, logger, live);
    cluster = theCluster;
    const governance = await createGovernance({
      contractsDir: config.contractsDir,
      topicsDir: config.topicsDir,
      logger,
      limits: { ...contractLoadLimits(config), cacheDir: contractCacheDir(config) },
      // File edits are changes too: audited as done by "files" (who edited is the OS's to say).
      // In a cluster the reload is also announced to the other nodes.
      onReload: (r) => {
        theCluster.node?.onReload(r);
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
    const theStore = await createThreadedStore({
      databaseUrl: config.databaseUrl || undefined,
      dataDir: config.dataDir,
      batchMaxRows: config.store.batchMaxRows,
      flushIntervalMs: config.store.flushIntervalMs,
      writeIntervalMs: config.store.writeIntervalMs,
      spoolMaxBytes: config.store.spoolMaxBytes,
      payloadCapBytes: config.store.payloadCapBytes,
      retentionDays: config.store.retentionDays,
      pglite: {
        sharedBuffersMb: config.store.pgliteSharedBuffersMb,
        workMemMb: config.store.pgliteWorkMemMb,
        maintenanceWorkMemMb: config.store.pgliteMaintenanceWorkMemMb,
      },
      logger,
    });
    store = theStore;
    await theStore.recordContracts(governance.current.documents);

    const sink = createOutcomeSink({ metrics, live, store: theStore });
    const alerts = createAlertsPart(config, internal);
    const theQuality = createQualityPart({ config, store: theStore, logger, alerts });
    quality = theQuality;
    const record = (o: Outcome, latencyMs: number | null) => {
      sink.record(o, latencyMs);
      theQuality.observe(o);
      topicBrowser.observeOutcome(o.topic, o.outcome);
    };
    const sparkplug = createSparkplugPart({
      config,
      logger,
      cluster: theCluster,
      record: (o) => record(o, null),
    });
    reloadHooks.push(() => sparkplug.reloadMapping());
    const processors = createProcessorsRelayPart(config, theStore);

    const recordTally = (t: BatchTally) => {
      sink.recordTally(t);
      if (t.store) {
        for (const c of t.store.counts)
          for (const k of ["valid", "invalid", "unvalidated"] as const)
            if (c[k] > 0) topicBrowser.observeOutcomes(c.topic, k, c[k]);
        for (const l of t.store.lastMessages)
          topicBrowser.observeOutcomes(l.topic, l.outcome as "valid" | "invalid" | "unvalidated", 0);
      }
      if (t.weldSpots.length > 0) theQuality.observeWeldSpots(t.weldSpots);
      const c = t.channelSeconds;
      for (let i = 0; i + 3 < c.length; i += 4)
        theQuality.observeCounts(c[i] as string, c[i + 1] as number, c[i + 2] as number, c[i + 3] as number);
    };
    const inline = createInlineJudge({
      maxPerSecond: config.validation.inlineMaxPerSecond,
      fastPath: config.validation.fastPath,
      payloadCapBytes: config.store.payloadCapBytes,
      onTally: recordTally,
    });
    const pipeline = createPublishPipeline({
      governance: () => governance.current,
      pool,
      identityOf,
      maxPayloadBytes: config.validation.maxPayloadBytes,
      verdictBeforeAck: config.store.ackAfterDurable,
      record,
      recordTally,
      inline,
      observes: (channel) => theQuality.readsPayloadsOf(channel),
      onJudged: (channel, topic, payload, time, verdict) =>
        theQuality.observeJudged(channel, topic, payload, VERDICT_CODES[verdict] ?? "unvalidated", time),
      onInternalError: (err, topic) => logger.error({ err, topic }, "recording a verdict failed"),
      sparkplug: (client, packet, identity, time) => sparkplug.onPublish(client, packet, identity, time),
    });

    // The Clients page: connections and their history, from aedes' events (clients/).
    const clients = createClientRegistry({ identityOf, historySize: config.console.clientHistorySize });
    const thePersistence =
      theCluster.node?.persistence ??
      (await createBrokerPersistence(config.mqtt.persistence, config.dataDir));
    persistence = thePersistence;
    const broker = await createBroker({
      governance: () => governance.current,
      allowAnonymous: config.mqtt.allowAnonymous,
      keepaliveLimitSeconds: config.mqtt.keepaliveLimitSeconds,
      tcpNoDelay: config.mqtt.tcpNoDelay,
      ...theCluster.brokerOptions(
        config.store.ackAfterDurable
          ? ackAfterDurable(pipeline.authorizePublish, () => theStore.whenDurable())
          : pipeline.authorizePublish,
      ),
      logger,
      maxPacketBytes: config.mqtt.maxPacketBytes,
      clientQueueMaxMessages: config.mqtt.clientQueueMaxMessages,
      clientQueueMaxBytes: config.mqtt.clientQueueMaxBytes,
      slowClientTimeoutMs: config.mqtt.slowClientTimeoutMs,
      persistence: thePersistence.persistence,
      onProtocolViolation: (_clientId, v) => metrics.protocolViolations.inc({ code: v.code }),
      onSlowClientDrop: (client) => {
        metrics.slowClientDropped.inc({ client_id: client.id });
        clients.dropped(client);
      },
      onSlowClientDisconnect: (_clientId, reason) => metrics.slowClientDisconnects.inc({ reason }),
      checkLogin: createMqttLoginCheck({
        limiter: auth.limiter,
        failures: metrics.authFailures,
        cache:
          config.auth.mqttLoginCacheSeconds > 0
            ? createLoginCache({ ttlMs: config.auth.mqttLoginCacheSeconds * 1000, maxEntries: 10_000 })
            : undefined,
      }),
      certificateUser,
    });
    sink.attach(broker.broker);
    clients.attach(broker.broker);
    // The live topic browser sees what subscribers get (after the dispatcher's decision).
    broker.broker.on("publish", (packet, client) => topicBrowser.observe(packet, client?.id ?? null));
    sparkplug.attach(broker.broker, pipeline.observeInternal);
    internal.attach(pipeline.observeInternal, broker.broker);
    theCluster.node?.attach({
      governance,
      sparkplug,
      broker: broker.broker,
      clients: () => broker.connectedClients(),
    });
    broker.broker.on("clientError", (client, err) =>
      logger.debug({ clientId: client.id, err: err.message }, "client error"),
    );
    broker.broker.on("connectionError", (client, err) =>
      logger.debug({ clientId: client?.id, err: err.message }, "connection error"),
    );

    const health = createHealth({ store: theStore, pool, broker, governance, cluster: theCluster });
    const refreshGauges = createGaugeRefresher(metrics, {
      pool: () => pool.stats(),
      store: () => theStore.health(),
      clients: () => broker.connectedClients(),
    });
    const api = await buildApi(
      {
        store: theStore,
        governance,
        live,
        metrics,
        health,
        publicConfig: { timeZone: config.console.timeZone, mqttWebSocketPath: "/mqtt", version: VERSION },
        extraRoutes: [
          (app) => sparkplug.routes(app),
          theQuality.routes,
          alerts.routes({ store: theStore, quality: theQuality.service }),
          processors.routes,
          theCluster.routes,
          (app) => registerClientRoutes(app, { store: theStore, clients }),
          (app) => registerExportRoutes(app, { store: theStore, clients }),
          (app) =>
            registerWorkbenchRoutes(app, {
              browser: topicBrowser,
              governance,
              broker: broker.broker,
              store: theStore,
              submit: (c, t, p) => pool.check(c, t, p),
              observeInternal: (i, p) => pipeline.observeInternal(i, p),
            }),
        ],
        auth,
        topicsDir: config.topicsDir,
        ...(tls ? { https: tls } : {}),
      },
      { checkResponses: options.checkResponses },
    );
    theCluster.node?.registerMetrics(metrics.registry);
    api.addHook("onRequest", async (req) => {
      if (req.url === "/metrics") refreshGauges();
    });
    broker.attachWebSocket(api.server);
    await theQuality.start();
    const listeners = createListeners({ config, logger, tls, broker, api, cluster: theCluster });

    let stopping: Promise<void> | null = null;
    return {
      config,
      logger,
      governance,
      pool,
      /** Messages judged on the event loop (inline-judge.ts). */
      inline,
      live,
      metrics,
      store: theStore,
      broker,
      sparkplug,
      quality: theQuality.service,
      topicBrowser,
      api,
      health,
      start: (): Promise<StartedServer> => listeners.start(),
      /** Stop accepting, let in-flight validations finish, flush results, close. */
      stop(): Promise<void> {
        stopping ??= (async () => {
          governance.close();
          sparkplug.stop();
          const tlsClosed = listeners.stopAccepting();
          await broker.close();
          clients.stop();
          await thePersistence.close();
          await tlsClosed;
          await theCluster.stop();
          await api.close();
          await waitForIdle(pool);
          inline.drain();
          await pool.close();
          await theQuality.stop();
          await theStore.close();
          logger.info("UNS server stopped");
        })();
        return stopping;
      },
    };
  } catch (err) {
    await pool.close();
    await quality?.stop().catch(() => undefined);
    await store?.close();
    await persistence?.close();
    await cluster?.stop();
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
