export { BAD_KINDS, type BadKind, isBadKind, type MessageKind } from "./bad-traffic.js";
export { CHANNELS, type ChannelId, DEVICE_CHANNELS } from "./channels.js";
export { formatSummary, parseCliArgs } from "./cli.js";
export { DEFAULT_PLANT_INPUT, defaultPlantConfig } from "./default-plant.js";
export {
  type Box,
  DEFAULT_MM_PER_PIXEL,
  FRAME_HEIGHT,
  FRAME_WIDTH,
  type FrameOptions,
  type FrameTruth,
  type HardNegativeTruth,
  type RenderedFrame,
  renderFrame,
  type SplatterTruth,
} from "./frames/render.js";
export { runSplatterStation, type StationOptions } from "./frames/station.js";
export { encodeFrame, type WriteFrameOptions, type WrittenFrame, writeFrame } from "./frames/store.js";
export { createImageStore, type ImageStore } from "./image-store.js";
export type {
  AlarmPayload,
  ImageEventPayload,
  LineCountsPayload,
  LineStatePayload,
  WeldSpotPayload,
  WeldSpotTruthPayload,
} from "./messages.js";
export { type CellModel, createPlant, type LineModel, type Plant } from "./plant.js";
export { loadPlantConfig, type PlantConfig, PlantConfigError, parsePlantConfig } from "./plant-config.js";
export { encodePng, readPngHeader } from "./png.js";
export { createRng, type Rng } from "./prng.js";
export { runSimulation, type SimulationOptions, type SimulationSummary } from "./run-simulation.js";
export { type PlantPath, topicFor } from "./topics.js";
export {
  CURVE_POINTS,
  createTraffic,
  type SimMessage,
  type Traffic,
  type TrafficOptions,
} from "./traffic.js";
export { type SpotResult, simulateSpot, type WeldProgram } from "./weld-physics.js";
