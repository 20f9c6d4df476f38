import type { Store } from "@uns/store";
import type { Logger } from "pino";
import type { ApiApp } from "../api/app.js";
import { registerQualityRoutes } from "../api/quality-routes.js";
import { registerSplatterRoutes } from "../api/splatter-routes.js";
import type { Config } from "../config.js";
import type { Outcome } from "../dispatcher/publish-pipeline.js";
import { createQualityService } from "../quality/quality-service.js";
import type { createAlertsPart } from "./alerts.js";

/**
 * KPIs (and the alert engine) from the messages as they pass: see quality/ and alerts/. Fed by
 * every outcome decided on the event loop (`observe`) and by what the validation workers
 * judged (`observeJudged`, `observeCounts`); `start` loads the alert rules and starts the timers, `stop` writes
 * the current minutes and stops them.
 */
export function createQualityPart(o: {
  config: Readonly<Config>;
  store: Store;
  logger: Logger;
  alerts: ReturnType<typeof createAlertsPart>;
}) {
  const { config } = o;
  const service = createQualityService({
    store: o.store,
    logger: o.logger,
    staleAfterMs: config.quality.staleAfterSeconds * 1000,
    minNuggetDiameterMm: config.quality.minNuggetDiameterUm / 1000,
    flushIntervalMs: config.quality.flushIntervalMs,
    ...o.alerts.options,
  });
  return {
    service,
    observe: (outcome: Outcome) => service.observe(outcome),
    /** Messages judged and counted by a validation worker: see the quality service. */
    readsPayloadsOf: (channel: string) => service.readsPayloadsOf(channel),
    observeJudged: service.observeJudged,
    observeCounts: service.observeCounts,
    observeWeldSpots: service.observeWeldSpots,
    routes: (app: ApiApp) => {
      registerQualityRoutes(app, { store: o.store, quality: service });
      registerSplatterRoutes(app, {
        store: o.store,
        imageRoot: config.quality.imageRoot,
        previewWidth: config.quality.previewWidth,
      });
    },
    start: () => service.start(),
    stop: () => service.stop(),
  };
}
