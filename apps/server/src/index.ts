export { loadConfig, settings, settingsMarkdown, envName, type Config } from "./config.js";
export { createUnsServer, violationsTopic, type UnsServer, type StartedServer } from "./server.js";
export { quarantineTopic, refusedTopic } from "./dispatcher/publish-pipeline.js";
export { serverErrorCodes } from "./errors.js";
