import type { BadKind, MessageKind } from "./bad-traffic.js";
import type { ChannelId } from "./channels.js";
import type { ImageStore } from "./image-store.js";
import type { WeldSpotTruthPayload } from "./messages.js";
import type { Plant } from "./plant.js";
import { planCycle } from "./traffic/plan.js";
import { createTrafficState, type Pending } from "./traffic/state.js";

export { CURVE_POINTS } from "./traffic/state.js";

/** One MQTT message to publish. */
export interface SimMessage {
  topic: string;
  payload: Buffer;
  /** The channel the message was made for (for bad traffic: the one it pretends to be). */
  channel: ChannelId;
  kind: MessageKind;
  /** Index of the publishing client (0 .. publishers - 1); fixed per device. */
  publisher: number;
}

export interface TrafficOptions {
  /** Seed of all randomness; the same seed, plant and options give byte-identical traffic. */
  seed?: string | number;
  /** Fraction of weld-spot messages replaced by bad traffic, 0..1. */
  badRate?: number;
  /** Kinds of bad traffic to draw from, uniformly. Default: all. */
  badKinds?: readonly BadKind[];
  /**
   * Plant time of the first cycle, ms since the epoch. When given, message times follow the
   * simulated plant clock (and never the wall clock), so runs are repeatable. When absent,
   * messages carry the wall-clock time at which they are built.
   */
  startTime?: number;
  /** Wall clock, for tests. Default Date.now. */
  now?: () => number;
  /** Channels to publish. Default: every device channel (imageEvent only with an image store). */
  channels?: readonly ChannelId[];
  /** Where camera images go; required for imageEvent. */
  imageStore?: ImageStore;
  /** Number of publishing clients that devices are spread over. Default 1. */
  publishers?: number;
  /** Called with the ground truth of every spot when its weld-spot message is built. */
  onTruth?: (truth: WeldSpotTruthPayload) => void;
}

export interface Traffic {
  readonly plant: Plant;
  readonly channels: ReadonlySet<ChannelId>;
  /** The next message. Traffic never ends; the caller decides when to stop. */
  next(): SimMessage;
  /** Plant cycles generated so far. */
  readonly cycles: number;
}

/**
 * Creates the endless, deterministic message stream of a simulated plant.
 *
 * Every line advances one cycle at a time; in a cycle each weld cell welds its body (each gun its
 * planned spots), the inspection cell photographs the body that left the last weld cell, and the
 * line reports its counts. Physics is computed when a cycle is planned; payloads (and images) are
 * built when a message is taken, which is when the wall-clock time is read in live mode.
 *
 * @example
 * const traffic = createTraffic(createPlant(), { seed: 7, startTime: Date.parse("2026-03-02T06:00:00Z") });
 * const first = traffic.next(); // { topic: "acme/neckarsulm/body-shop/line-01/state", ... }
 */
export function createTraffic(plant: Plant, options: TrafficOptions = {}): Traffic {
  const tr = createTrafficState(plant, options);
  return {
    plant,
    channels: tr.channels,
    get cycles() {
      return tr.cycle;
    },
    next() {
      while (tr.head >= tr.queue.length) planCycle(tr);
      const p = tr.queue[tr.head]!;
      tr.queue[tr.head++] = undefined as unknown as Pending; // let the payload closures be collected
      return p.build(p.time);
    },
  };
}
