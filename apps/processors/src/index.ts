/**
 * @uns/processors: inference processors of the UNS (weld quality, check gate), their model
 * lifecycle, and the trainer that makes the models.
 */
export { loadConfig, type ProcessorsConfig, settings, settingsMarkdown } from "./config.js";
export { renderReferenceDoc } from "./docs.js";
export { processorErrorCodes } from "./errors.js";
export { type ModelManifest, readModel } from "./model/manifest.js";
export { type ControlServer, startControlServer } from "./runtime/control-server.js";
export { createProcessorsRuntime, type ProcessorsRuntime } from "./runtime/runtime.js";
