export { type Config, envName, loadConfig, settings, settingsMarkdown } from "./config.js";
export { quarantineTopic, refusedTopic } from "./dispatcher/publish-pipeline.js";
export { serverErrorCodes } from "./errors.js";
export { createUnsServer, type StartedServer, type UnsServer, violationsTopic } from "./server.js";
