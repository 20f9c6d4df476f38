import { join, resolve } from "node:path";
import type { Store } from "@uns/store";
import { registerAlertRoutes } from "../api/alert-routes.js";
import type { ApiApp } from "../api/app.js";
import type { Config } from "../config.js";
import type { QualityService } from "../quality/quality-service.js";
import type { InternalPublisher } from "./internal-publish.js";

/** Alerts are published as this admin client: the pipeline governs them like any publisher's. */
const alertsIdentity = { username: null, clientId: "$uns/alerts", roles: ["admin"] };

/**
 * Alerts: the rules file (alerts.rulesFile, else topics/alerts.yaml), the webhook, the topic the
 * alert changes are published on, and the alert routes. The alert engine itself runs inside the
 * quality service (it evaluates the KPIs that service keeps), which starts and stops it.
 */
export function createAlertsPart(config: Readonly<Config>, internal: InternalPublisher) {
  return {
    /** The quality service's alert options. */
    options: {
      evaluateIntervalMs: config.alerts.evaluateIntervalMs,
      rulesFile: config.alerts.rulesFile
        ? resolve(config.alerts.rulesFile)
        : join(config.topicsDir, "alerts.yaml"),
      webhookUrl: config.alerts.webhookUrl,
      publish: (topic: string, payload: Buffer) => internal.publish(alertsIdentity, topic, payload),
    },
    routes: (s: { store: Store; quality: QualityService }) => (app: ApiApp) => registerAlertRoutes(app, s),
  };
}
