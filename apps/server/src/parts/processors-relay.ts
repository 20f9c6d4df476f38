import type { ApiApp } from "../api/app.js";
import { registerProcessorRoutes } from "../api/processor-routes.js";
import type { Config } from "../config.js";

/**
 * The inference processors run on their own (apps/processors, possibly on another host); the
 * server relays their control interface (processors.url) under /api/v1/processors, behind the
 * API's login. Nothing to start or stop: every request is relayed as it comes.
 */
export function createProcessorsRelayPart(config: Readonly<Config>) {
  return { routes: (app: ApiApp) => registerProcessorRoutes(app, config.processors.url) };
}
