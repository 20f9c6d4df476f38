import type { Store } from "@uns/store";
import type { ApiApp } from "../api/app.js";
import { registerModelRegistryRoutes } from "../api/model-registry-routes.js";
import { registerProcessorRoutes } from "../api/processor-routes.js";
import type { Config } from "../config.js";

/**
 * The inference processors run on their own (apps/processors, possibly on another host); the
 * server relays their control interface (processors.url) under /api/v1/processors, behind the
 * API's login; model changes asked through it are written to the audit log. The model registry's
 * record is the store: the processors write it through /api/v1/internal/model-registry, and
 * /api/v1/models reads it. Nothing to start or stop: every request is handled as it comes.
 */
export function createProcessorsRelayPart(config: Readonly<Config>, store: Store) {
  return {
    routes: (app: ApiApp) => {
      registerProcessorRoutes(app, config.processors.url, store);
      registerModelRegistryRoutes(app, store);
    },
  };
}
