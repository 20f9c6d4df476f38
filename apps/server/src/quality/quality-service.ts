import type { AlertRecord, MessageOutcome, Store } from "@uns/store";
import type { Logger } from "pino";
import { createAlertEngine } from "../alerts/alert-engine.js";
import { createKpiEngine } from "./kpi-engine.js";
import { type FlatWeldSpotMinutes, WELD_SPOT_CHANNEL } from "./weld-spot-tally.js";

/** `<enterprise>/alerts`: the governed topic alerts are published on (asyncapi/alerts.yaml). */
export function alertsTopic(enterprise: string): string {
  return `${enterprise}/alerts`;
}

const KPI_CHANNELS = new Set([
  "lineState",
  "lineCounts",
  "weldQuality",
  "weldSpot",
  "splatterDetections",
  "checkGateDecision",
]);

export interface QualityServiceOptions {
  store: Store;
  logger: Logger;
  staleAfterMs: number;
  minNuggetDiameterMm: number;
  flushIntervalMs: number;
  evaluateIntervalMs: number;
  rulesFile: string;
  webhookUrl: string;
  /** Publish on the broker (through the pipeline, so the message is governed and counted). */
  publish: (topic: string, payload: Buffer) => void;
}

/**
 * KPIs and alerts, fed by every delivered message (`observe`). The KPI engine accrues state time
 * every second and writes the current minutes every `flushIntervalMs`; the alert engine
 * evaluates its rules every `evaluateIntervalMs`.
 */
export function createQualityService(o: QualityServiceOptions) {
  const kpi = createKpiEngine({ staleAfterMs: o.staleAfterMs, minNuggetDiameterMm: o.minNuggetDiameterMm });
  const publishChange = (a: AlertRecord, action: string, actor: string) => {
    const enterprise = (a.line ?? kpi.lines()[0] ?? "").split("/")[0];
    const body = JSON.stringify({
      id: a.id,
      ruleId: a.ruleId,
      source: a.source,
      origin: a.origin,
      severity: a.severity,
      state: a.state,
      title: a.title,
      message: a.message,
      value: a.value,
      threshold: a.threshold,
      raisedAt: a.raisedAt,
      assignee: a.assignee,
      shelved: a.shelvedUntil !== null,
      version: a.version,
      action,
      actor,
      time: a.updatedAt,
    });
    if (enterprise) o.publish(alertsTopic(enterprise), Buffer.from(body));
    if (o.webhookUrl)
      fetch(o.webhookUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        signal: AbortSignal.timeout(5000),
      }).catch((err: Error) =>
        o.logger.warn({ err: err.message, url: o.webhookUrl }, "alerts: webhook failed"),
      );
  };
  const alerts = createAlertEngine({
    store: o.store,
    kpi,
    logger: o.logger,
    rulesFile: o.rulesFile,
    onChange: publishChange,
  });
  let tickTimer: NodeJS.Timeout | null = null;
  let flushTimer: NodeJS.Timeout | null = null;
  let evalTimer: NodeJS.Timeout | null = null;
  let writing: Promise<void> | null = null;

  async function flush(): Promise<void> {
    if (writing) return writing;
    const t = Date.now();
    kpi.tick(t);
    const batch = kpi.drain(t);
    if (
      !batch.lineMinutes.length &&
      !batch.cellMinutes.length &&
      !batch.tallies.length &&
      !batch.bodyEvents.length &&
      !batch.lineStates.length
    )
      return;
    writing = o.store
      .writeQuality(batch)
      .catch((err: Error) => {
        kpi.restore(batch);
        o.logger.warn({ err: err.message }, "quality: KPI rows not written yet; retried at the next flush");
      })
      .finally(() => {
        writing = null;
      });
    return writing;
  }

  return {
    kpi,
    alerts,
    flush,
    /** Every delivered message passes here once (cheap for channels the KPIs do not use). */
    observe(out: MessageOutcome): void {
      alerts.observeOutcome(out.channel, out.outcome, out.time);
      if (out.outcome !== "valid" && out.outcome !== "unvalidated") return;
      if (out.channel === "alarm") alerts.onDeviceAlarm(out.topic, out.payload, out.time);
      else if (out.channel && KPI_CHANNELS.has(out.channel))
        kpi.observe(out.channel, out.topic, out.payload, out.time);
    },
    /**
     * Whether a channel's payloads must be seen once judged (KPIs, device alarms). Not weld spots:
     * the judge counts them (`observeWeldSpots`), so the event loop does not read every spot.
     */
    readsPayloadsOf(channel: string): boolean {
      return channel === "alarm" || (KPI_CHANNELS.has(channel) && channel !== WELD_SPOT_CHANNEL);
    },
    /** Weld spots counted per cell and minute by the judge (a validation worker or inline). */
    observeWeldSpots(flat: FlatWeldSpotMinutes): void {
      kpi.observeWeldSpots(flat);
    },
    /**
     * A message a validation worker judged and counted (its compliance arrives through
     * `observeCounts`): only what the KPIs and device alarms read from the payload.
     */
    observeJudged(channel: string, topic: string, payload: Uint8Array, outcome: string, time: number): void {
      if (outcome !== "valid" && outcome !== "unvalidated") return;
      if (channel === "alarm") alerts.onDeviceAlarm(topic, payload, time);
      else if (KPI_CHANNELS.has(channel)) kpi.observe(channel, topic, payload, time);
    },
    /** Valid and invalid messages of a channel in one second, counted by a validation worker. */
    observeCounts(channel: string, second: number, valid: number, invalid: number): void {
      alerts.observeCounts(channel, second * 1000, valid, invalid);
    },
    async start(): Promise<void> {
      await alerts.start();
      tickTimer = setInterval(() => kpi.tick(Date.now()), 1000);
      flushTimer = setInterval(() => void flush(), o.flushIntervalMs);
      evalTimer = setInterval(() => {
        const t = Date.now();
        kpi.tick(t);
        alerts.evaluate(t);
      }, o.evaluateIntervalMs);
      for (const t of [tickTimer, flushTimer, evalTimer]) t.unref();
    },
    async stop(): Promise<void> {
      for (const t of [tickTimer, flushTimer, evalTimer]) if (t) clearInterval(t);
      await alerts.stop();
      await flush();
    },
  };
}

export type QualityService = ReturnType<typeof createQualityService>;
