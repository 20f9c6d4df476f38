/**
 * The AsyncAPI channels the simulator publishes to, with the topic leaf each one maps to in
 * `topics/tree.yaml` and the level of the plant it hangs under. Channel ids are the ids used in
 * `asyncapi/*.yaml`; a test keeps this table, the documents and the tree in step.
 */
export const CHANNELS = {
  weldSpot: { leaf: "weld-spot", level: "cell" },
  weldSpotTruth: { leaf: "weld-spot-truth", level: "cell" },
  imageEvent: { leaf: "image-event", level: "cell" },
  weldQuality: { leaf: "results/weld-quality", level: "cell" },
  splatterDetections: { leaf: "results/splatter-detections", level: "cell" },
  checkGateDecision: { leaf: "results/check-gate", level: "cell" },
  lineState: { leaf: "state", level: "line" },
  lineCounts: { leaf: "counts", level: "line" },
  alarm: { leaf: "alarms", level: "line" },
} as const satisfies Record<string, { leaf: string; level: "cell" | "line" }>;

export type ChannelId = keyof typeof CHANNELS;

/** Channels a plant's devices publish (the results channels belong to processors). */
export const DEVICE_CHANNELS: readonly ChannelId[] = [
  "weldSpot",
  "weldSpotTruth",
  "imageEvent",
  "lineState",
  "lineCounts",
  "alarm",
];

export function isChannelId(value: string): value is ChannelId {
  return Object.hasOwn(CHANNELS, value);
}
