export { type Config, envName, loadConfig, type SettingKey, settings, settingsMarkdown } from "./config.js";
export { serverErrorCodes } from "./errors.js";
export { createUnsServer, type StartedServer, type UnsServer } from "./server.js";
export { quarantineTopic, refusedTopic, violationsTopic } from "./uns-topics.js";
