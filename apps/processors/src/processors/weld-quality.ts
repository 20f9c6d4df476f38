import { type ContractSet, createLru, type Validator } from "@uns/contracts";
import type { ProcessorsConfig } from "../config.js";
import { createDriftMonitor, type DriftMonitor } from "../lifecycle/drift.js";
import { createModelSlot, type LoadedVersion, type ModelSlot, stableShare } from "../lifecycle/model-slot.js";
import type { Registry } from "../lifecycle/registry.js";
import { deployFromRegistry } from "../lifecycle/start-deployment.js";
import { connectLink, type MqttLink, within } from "../runtime/mqtt-link.js";
import type { ScoringPool } from "../runtime/scoring-pool.js";
import { packPayloads, type ScoreResponse } from "../runtime/scoring-protocol.js";
import { channelTopics } from "./topics.js";
import { createVersionStats, type VersionStats } from "./version-stats.js";

/**
 * The weld quality processor: subscribes to `weldSpot`, scores every spot with the nugget
 * regression and the curve autoencoder, and publishes a `weldQuality` result for the same line and
 * cell. Spots are batched as they arrive, scored in the worker pool, and published in arrival
 * order (so each cell's order is kept). It also reads `weldSpotTruth` to measure online accuracy
 * per model version, and watches canaries to roll them back automatically.
 */
export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface WeldQualityProcessor {
  readonly id: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly regression: ModelSlot;
  readonly anomaly: ModelSlot;
  status(): WeldQualityStatus;
  /** Resolves when the queue is empty, no batch is in flight and every result sent is acknowledged. */
  idle(): Promise<void>;
}

export interface WeldQualityStatus {
  id: string;
  up: boolean;
  connected: boolean;
  received: number;
  invalid: number;
  scored: number;
  published: number;
  refusedResults: number;
  modelErrors: number;
  queued: number;
  inFlightBatches: number;
  /** Receipt to publish acknowledgement, ms (over the last 2,000 spots). */
  lagMs: { p50: number; p99: number; max: number };
  ratePerSecond: number;
  lastInvalid: string | null;
  versions: Record<string, ReturnType<VersionStats["snapshot"]>>;
  drift: { model: string | null; windows: ReturnType<DriftMonitor["states"]>; alarms: number };
}

interface Queued {
  topic: string;
  payload: Buffer;
  at: number;
}

export function createWeldQualityProcessor(deps: {
  config: ProcessorsConfig;
  contracts: () => ContractSet;
  validator: () => Validator;
  pool: ScoringPool;
  registry: Registry;
  logger: Logger;
}): WeldQualityProcessor {
  const { config, pool, logger } = deps;
  const id = "weld-quality";
  const channel = (cid: string) => deps.contracts().channels.find((c) => c.id === cid)!;
  const input = channelTopics(channel("weldSpot"), "weldSpot");
  const output = channelTopics(channel("weldQuality"), "weldQuality");
  const truth = channelTopics(channel("weldSpotTruth"), "weldSpotTruth");
  const stats = new Map<string, VersionStats>();
  const statsOf = (v: LoadedVersion) => {
    let s = stats.get(v.key);
    if (!s) {
      s = createVersionStats(v.manifest.name, v.manifest.version);
      stats.set(v.key, s);
    }
    return s;
  };
  const onChange = (e: { action: string; name: string; version: string | null; reason: string }) =>
    logger.info(`${id}: ${e.action} ${e.name} ${e.version ?? ""}: ${e.reason}`);
  const slotFor = (name: string) =>
    createModelSlot({
      name,
      modelsDir: config.modelsDir,
      channel: () => channel("weldSpot"),
      pool,
      registry: deps.registry,
      onChange,
    });
  const regression = slotFor(config["weldQuality.regression"]);
  const anomaly = slotFor(config["weldQuality.anomaly"]);

  let link: MqttLink | null = null;
  let connected = false;
  let up = false;
  let queue: Queued[] = [];
  let inFlight = 0;
  let timer: NodeJS.Timeout | null = null;
  let chain: Promise<void> = Promise.resolve();
  // Results sent and not yet acknowledged by the server.
  const unacked = new Set<Promise<void>>();
  let idleWaiters: (() => void)[] = [];
  const counts = { received: 0, invalid: 0, scored: 0, published: 0, refusedResults: 0, modelErrors: 0 };
  let lastInvalid: string | null = null;
  // Drift against the live anomaly model's training reference; a new live model starts afresh.
  let drift: { key: string; monitor: DriftMonitor } | null = null;
  let driftAlarms = 0;
  const driftFor = (v: LoadedVersion): DriftMonitor | null => {
    if (!v.manifest.reference) return null;
    if (drift?.key !== v.key)
      drift = {
        key: v.key,
        monitor: createDriftMonitor(v.manifest.reference, {
          windowSpots: config["drift.windowSpots"],
          threshold: config["drift.psiThreshold"],
        }),
      };
    return drift.monitor;
  };
  const lags = new Float64Array(2000);
  let lagCount = 0;
  const rateWindow: number[] = [];
  // Predictions waiting for their ground truth, by controller/seq (bounded; oldest dropped first).
  type Prediction = { reg: VersionStats; ae: VersionStats; nugget: number; flagged: boolean };
  // A prediction waits for its truth, or a truth for its prediction; a partner that never comes
  // must not grow them without bound, so the oldest goes past the cap.
  const predictions = createLru<string, Prediction>(50_000);
  const early = createLru<string, { nugget: number; fault: string }>(10_000);

  function onMessage(topic: string, payload: Buffer): void {
    if (input.parameters(topic)) {
      counts.received++;
      queue.push({ topic, payload, at: performance.now() });
      schedule();
    } else if (truth.parameters(topic)) onTruth(payload);
  }

  function onTruth(payload: Buffer): void {
    let t: { spot?: { controller?: string; seq?: number }; nuggetDiameter?: number; fault?: string };
    try {
      t = JSON.parse(payload.toString("utf8"));
    } catch {
      return;
    }
    if (typeof t.nuggetDiameter !== "number" || typeof t.fault !== "string") return;
    const key = `${t.spot?.controller}/${t.spot?.seq}`;
    const p = predictions.get(key);
    if (!p) {
      // The truth came before the spot was scored: keep it until the prediction is made.
      early.set(key, { nugget: t.nuggetDiameter, fault: t.fault });
      return;
    }
    predictions.delete(key);
    join(p, { nugget: t.nuggetDiameter, fault: t.fault });
  }

  function join(p: Prediction, t: { nugget: number; fault: string }): void {
    p.reg.truth({ absError: Math.abs(p.nugget - t.nugget) });
    p.ae.truth({ flagged: p.flagged, faulty: t.fault !== "none" });
  }

  function schedule(): void {
    if (queue.length >= config["weldQuality.batchSize"]) flush();
    else if (!timer) timer = setTimeout(flush, config["weldQuality.batchWaitMs"]);
  }

  function flush(): void {
    if (timer) clearTimeout(timer);
    timer = null;
    while (queue.length > 0 && inFlight < config["weldQuality.maxInFlightBatches"]) {
      const batch = queue.slice(0, config["weldQuality.batchSize"]);
      queue = queue.slice(batch.length);
      dispatch(batch);
    }
    checkIdle();
  }

  function dispatch(batch: Queued[]): void {
    const models: LoadedVersion[] = [];
    const index = (v: LoadedVersion) => {
      let i = models.indexOf(v);
      if (i < 0) i = models.push(v) - 1;
      return i;
    };
    // Route every spot now: the model versions it gets are fixed here, before any swap can happen.
    const routes = batch.map((q) => {
      const h = stableShare(spotKeyOf(q.payload) ?? q.topic);
      return { reg: regression.route(h), ae: anomaly.route(h) };
    });
    const use = routes.map(({ reg, ae }) => {
      const list: number[] = [];
      for (const r of [reg, ae]) {
        if (!r) continue;
        list.push(index(r.primary));
        if (r.compare) list.push(index(r.compare));
        if (r.shadow) list.push(index(r.shadow));
      }
      return list;
    });
    const keys = models.map((m) => m.key);
    regression.retain(keys);
    anomaly.retain(keys);
    inFlight++;
    const scored = pool.score({
      channel: "weldSpot",
      topics: batch.map((q) => q.topic),
      ...packPayloads(batch.map((q) => q.payload)),
      models: keys,
      use,
      monitor: monitoredInputs(),
    });
    // Publish in dispatch order whatever order the workers answer in.
    chain = chain.then(async () => {
      try {
        await publish(batch, routes, models, use, await scored);
      } catch (err) {
        logger.error(`${id}: batch failed: ${(err as Error).message}`);
      } finally {
        regression.release(keys);
        anomaly.release(keys);
        inFlight--;
        flush();
      }
    });
  }

  async function publish(
    batch: Queued[],
    routes: { reg: ReturnType<ModelSlot["route"]>; ae: ReturnType<ModelSlot["route"]> }[],
    models: LoadedVersion[],
    use: number[][],
    answer: ScoreResponse,
  ): Promise<void> {
    const validator = deps.validator();
    let batchMs = 0;
    let batchSpots = 0;
    for (const m of models) {
      const run = answer.runs[m.key];
      if (!run) continue;
      statsOf(m).run(run.ms, run.spots, run.error);
      if (run.error) logger.error(`${id}: UNS_ERR_MODEL_RUN ${m.key}: ${run.error}`);
      batchMs = Math.max(batchMs, run.ms);
      batchSpots = Math.max(batchSpots, run.spots);
    }
    const perSpotMs = batchSpots ? batchMs / batchSpots : 0;
    const now = new Date().toISOString();
    for (let i = 0; i < batch.length; i++) {
      const spot = answer.spots[i]!;
      const q = batch[i]!;
      if (!spot.ok) {
        counts.invalid++;
        lastInvalid = `${q.topic}: ${spot.reason}`;
        continue;
      }
      const { reg, ae } = routes[i]!;
      if (!reg || !ae) {
        counts.modelErrors++;
        continue;
      }
      const out = (v: LoadedVersion | undefined) =>
        v ? spot.outputs[use[i]!.indexOf(models.indexOf(v))] : undefined;
      // A canary that failed on this spot falls back to the live version scored beside it, so
      // the spot still gets its result (and the failure counts against the canary).
      const pick = (r: NonNullable<typeof reg>) => {
        const v = out(r.primary);
        if (v !== undefined && Number.isFinite(v)) return { version: r.primary, value: v };
        const live = out(r.compare);
        if (r.compare && live !== undefined && Number.isFinite(live))
          return { version: r.compare, value: live };
        return null;
      };
      const regPick = pick(reg);
      const aePick = pick(ae);
      if (!regPick || !aePick) {
        counts.modelErrors++;
        statsOf(regPick ? ae.primary : reg.primary).failed();
        continue;
      }
      const nugget = regPick.value;
      const score = aePick.value;
      counts.scored++;
      const threshold = aePick.version.manifest.threshold ?? 0;
      const flagged = score > threshold;
      // Canary and shadow bookkeeping: agreement with the live version on the same spot.
      for (const [r, value, isAnomaly] of [
        [reg, nugget, false],
        [ae, score, true],
      ] as const) {
        for (const other of [r.compare, r.shadow]) {
          const v = out(other);
          if (!other || v === undefined || !Number.isFinite(v)) continue;
          const disagree = isAnomaly
            ? v > (other.manifest.threshold ?? 0) !== flagged
            : Math.abs(v - value) > 0.5;
          statsOf(other === r.compare ? r.primary : other).compared(disagree);
        }
      }
      const predicted = Math.min(15, Math.max(0, nugget));
      const verdict =
        predicted < spot.minNugget || (flagged && score > 2 * threshold)
          ? "nok"
          : flagged || predicted < spot.minNugget * 1.1
            ? "suspect"
            : "ok";
      const result = {
        spot: {
          controller: spot.ref.controller,
          seq: spot.ref.seq,
          bodyId: spot.ref.bodyId,
          spotId: spot.ref.spotId,
        },
        predictedNuggetDiameter: round(predicted, 3),
        anomalyScore: round(Math.max(0, score), 6),
        anomalyThreshold: threshold,
        anomaly: flagged,
        verdict,
        model: { name: regPick.version.manifest.name, version: regPick.version.manifest.version },
        anomalyModel: { name: aePick.version.manifest.name, version: aePick.version.manifest.version },
        inferenceTime: round(perSpotMs, 4),
        time: now,
      };
      const checked = validator.validateValue("weldQuality", result);
      if (checked.outcome !== "valid") {
        counts.refusedResults++;
        logger.warn(
          `${id}: result refused by the weldQuality contract: ${JSON.stringify(checked.errors[0])}`,
        );
        continue;
      }
      const params = input.parameters(q.topic)!;
      const monitor = aePick.version === anomaly.live() ? driftFor(aePick.version) : null;
      if (monitor && spot.monitored) {
        const cell = `${params.site}/${params.line}/${params.cell}`;
        for (const state of monitor.add(cell, spot.ref.program, [...spot.monitored, score])) {
          if (state.alarm.length === 0) continue;
          driftAlarms++;
          logger.warn(
            `${id}: drift in program ${state.program}: ${state.alarm.map((a) => `${a} PSI ${state.psi[a]}`).join(", ")}`,
          );
        }
      }
      const regStats = statsOf(regPick.version);
      const aeStats = statsOf(aePick.version);
      regStats.scored();
      aeStats.scored();
      const key = `${spot.ref.controller}/${spot.ref.seq}`;
      const prediction = { reg: regStats, ae: aeStats, nugget: predicted, flagged };
      const truthFirst = early.get(key);
      if (truthFirst) {
        early.delete(key);
        join(prediction, truthFirst);
      } else {
        predictions.set(key, prediction);
      }
      // Not awaited here: results go out in call order on the one connection (so each cell's
      // order holds), while waiting for each batch's PUBACKs before sending the next one made
      // every batch wait a server round trip. The acknowledgements are counted as they come.
      const ack = link!.client
        .publishAsync(output.topic(params), JSON.stringify(result), { qos: 1 })
        .then(
          () => {
            counts.published++;
            lags[lagCount++ % lags.length] = performance.now() - q.at;
          },
          (err: Error) => logger.error(`${id}: result not acknowledged: ${err.message}`),
        )
        .finally(() => unacked.delete(ack));
      unacked.add(ack);
    }
    // Bounded: a server that stops acknowledging holds the processor back instead of its memory.
    while (unacked.size > config["weldQuality.batchSize"] * config["weldQuality.maxInFlightBatches"])
      await Promise.race(unacked);
    rateWindow.push(Date.now(), batch.length);
    checkCanaries();
  }

  function monitoredInputs(): { path: string }[] | null {
    const ref = anomaly.live()?.manifest.reference;
    return ref ? ref.inputs.filter((i) => i !== "score").map((path) => ({ path })) : null;
  }

  function checkCanaries(): void {
    for (const slot of [regression, anomaly]) {
      const c = slot.canary();
      if (!c) continue;
      const s = statsOf(c.version).snapshot();
      if (s.spots + s.errors < config["lifecycle.minCanarySpots"]) continue;
      const total = s.spots + s.errors;
      let reason: string | null = null;
      if (s.errors / total > config["lifecycle.maxErrorRate"])
        reason = `error rate ${(s.errors / total).toFixed(3)} > ${config["lifecycle.maxErrorRate"]}`;
      else if (s.msPerSpot > config["lifecycle.maxLatencyMs"])
        reason = `model time ${s.msPerSpot.toFixed(3)} ms/spot > ${config["lifecycle.maxLatencyMs"]}`;
      else if (s.compared > 0 && s.disagreement > config["lifecycle.maxDisagreement"])
        reason = `disagreement with live ${s.disagreement.toFixed(3)} > ${config["lifecycle.maxDisagreement"]}`;
      if (reason) {
        logger.warn(`${id}: automatic rollback of canary ${c.version.key}: ${reason}`);
        slot.rollback(`automatic: ${reason}`);
      }
    }
  }

  function checkIdle(): void {
    if (queue.length === 0 && inFlight === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  return {
    id,
    regression,
    anomaly,
    async start() {
      for (const slot of [regression, anomaly])
        await deployFromRegistry(slot, { registry: deps.registry, modelsDir: config.modelsDir, logger, id });
      link = await connectLink({
        url: config["mqtt.url"],
        clientId: `${config["mqtt.clientPrefix"]}-${id}`,
        username: config["mqtt.username"],
        password: config["mqtt.password"],
        subscriptions: [input.filter, truth.filter],
        onMessage,
        onStatus: (s, detail) => {
          connected = s === "connected";
          if (s !== "connected") logger.warn(`${id}: mqtt ${s}${detail ? `: ${detail}` : ""}`);
        },
      });
      connected = true;
      up = true;
    },
    async stop() {
      up = false;
      // Drain: everything received (and acknowledged) is scored and published before leaving,
      // unless the server does not acknowledge within the shutdown timeout (it is down).
      const drained = await within(
        (async () => {
          while (queue.length > 0 || inFlight > 0) {
            flush();
            await new Promise<void>((resolve) => idleWaiters.push(resolve));
          }
          await chain;
          await Promise.all([...unacked]);
        })(),
        config.shutdownTimeoutMs,
      );
      if (!drained)
        logger.warn(
          `${id}: stopped before the server acknowledged every result (${queue.length} spots still queued)`,
        );
      await link?.close();
      link = null;
      connected = false;
    },
    idle() {
      const acked = () => chain.then(() => Promise.all([...unacked])).then(() => {});
      if (queue.length === 0 && inFlight === 0) return acked();
      return new Promise<void>((resolve) => idleWaiters.push(resolve)).then(acked);
    },
    status() {
      const n = Math.min(lagCount, lags.length);
      const sorted = Array.from(lags.subarray(0, n)).sort((a, b) => a - b);
      const pick = (q: number) => (n ? round(sorted[Math.min(n - 1, Math.floor(q * n))]!, 2) : 0);
      const since = Date.now() - 10_000;
      while (rateWindow.length > 0 && rateWindow[0]! < since) rateWindow.splice(0, 2);
      let recent = 0;
      for (let i = 1; i < rateWindow.length; i += 2) recent += rateWindow[i]!;
      return {
        id,
        up,
        connected,
        ...counts,
        queued: queue.length,
        inFlightBatches: inFlight,
        lagMs: { p50: pick(0.5), p99: pick(0.99), max: n ? round(sorted[n - 1]!, 2) : 0 },
        ratePerSecond: round(recent / 10, 1),
        lastInvalid,
        versions: Object.fromEntries([...stats].map(([k, s]) => [k, s.snapshot()])),
        drift: { model: drift?.key ?? null, windows: drift?.monitor.states() ?? [], alarms: driftAlarms },
      };
    },
  };
}

/** `controller/seq` read cheaply from the raw payload (for the canary hash); null if not found. */
function spotKeyOf(payload: Buffer): string | null {
  const text = payload.toString("latin1", 0, Math.min(payload.length, 600));
  const seq = /"seq":(\d+)/.exec(text);
  const controller = /"controller":"([^"]+)"/.exec(text);
  return seq && controller ? `${controller[1]}/${seq[1]}` : null;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
