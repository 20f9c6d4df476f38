#!/usr/bin/env node
/**
 * Starts the UNS server with its configuration (defaults < config file < UNS_* environment)
 * and stops it cleanly on SIGINT / SIGTERM. Everything else lives in server.ts.
 */
import { parseArgs } from "node:util";
import { ensureFirstUser } from "./bootstrap.js";
import { type Config, loadConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { createUnsServer } from "./server.js";

/** SIGTERM must end the process in bounded time, whatever a client or the database does. */
const STOP_LIMIT_MS = 4_500;

const { values } = parseArgs({ options: { config: { type: "string" } }, strict: false });

let config: Readonly<Config>;
try {
  config = loadConfig({ file: typeof values.config === "string" ? values.config : undefined });
} catch (err) {
  // A configuration problem is for a person to read: plain text, every problem listed.
  const e = err as Error & { code?: string };
  process.stderr.write(`${e.code ?? "error"}: ${e.message}\n`);
  process.exit(1);
}
const logger = createLogger(config.log.level);

try {
  const first = await ensureFirstUser(config);
  if (first) {
    // Shown once, on the terminal, as plain text; never in the log stream (which may be shipped).
    process.stderr.write(
      `\n  No admin yet: created user "admin" with password\n\n      ${first.password}\n\n  (also in ${first.file}, readable by this user only). Log in at the console and add users\n  there or with \`pnpm uns user add <name> --role <role>\`.\n\n`,
    );
    logger.warn({ username: "admin", passwordFile: first.file }, "created the first admin user");
  }
  const server = await createUnsServer(config, { logger });
  await server.start();
  let signals = 0;
  const stop = (signal: string) => {
    if (++signals > 1) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    logger.info({ signal }, "stopping: no new connections, flushing results");
    setTimeout(() => {
      logger.error(
        { limitMs: STOP_LIMIT_MS },
        "stop took too long: exiting (unflushed results stay in the spool)",
      );
      process.exit(1);
    }, STOP_LIMIT_MS).unref();
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
  // pino's transport thread must write the line before the process ends.
  logger.flush?.();
  setTimeout(() => process.exit(1), 100);
}
