#!/usr/bin/env node
/**
 * Starts the UNS server with its configuration (defaults < config file < UNS_* environment)
 * and stops it cleanly on SIGINT / SIGTERM. Everything else lives in server.ts.
 */
import { parseArgs } from "node:util";
import { pino } from "pino";
import { ensureFirstUser } from "./bootstrap.js";
import { loadConfig } from "./config.js";
import { createUnsServer } from "./server.js";

const { values } = parseArgs({ options: { config: { type: "string" } }, strict: false });
const logger = pino({ level: process.env.UNS_LOG_LEVEL ?? "info" });

try {
  const config = loadConfig({ file: typeof values.config === "string" ? values.config : undefined });
  await ensureFirstUser(config, logger);
  const server = await createUnsServer(config, { logger: pino({ level: config.log.level }) });
  await server.start();
  let signals = 0;
  const stop = (signal: string) => {
    if (++signals > 1) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    logger.info({ signal }, "stopping: no new connections, flushing results");
    server.stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, "error while stopping");
        process.exit(1);
      },
    );
  };
  // A broker in a plant keeps running through a bug in one code path: say it loudly instead of dying.
  process.on("unhandledRejection", (reason) =>
    logger.error({ err: reason }, "unhandled rejection (bug): the server keeps running"),
  );
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
} catch (err) {
  const e = err as Error & { code?: string };
  logger.fatal({ code: e.code }, e.message);
  process.exit(1);
}
