import { once } from "node:events";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { dirname } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep, setImmediate as yieldToLoop } from "node:timers/promises";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { BAD_KINDS, type BadKind, type MessageKind } from "./bad-traffic.js";
import { type ChannelId, DEVICE_CHANNELS } from "./channels.js";
import { createImageStore, type ImageStore } from "./image-store.js";
import { createPlant, type Plant } from "./plant.js";
import { loadPlantConfig, type PlantConfig } from "./plant-config.js";
import { createTraffic, type SimMessage, type Traffic } from "./traffic.js";

export type TruthSink = "topic" | "file" | "both" | "none";

export interface SimulationOptions {
  /** Broker URL. Default mqtt://localhost:1883. */
  url?: string;
  username?: string;
  password?: string;
  /** Client id prefix; client i is `<prefix>-<i>`. Default `uns-sim-<seed>`. */
  clientId?: string;
  /** Publishing clients; the plant's devices are spread over them. Default 1. */
  clients?: number;
  /** Messages per second over all clients, or "max": as fast as the window allows. Default 100. */
  rate?: number | "max";
  /** Stop after this many messages. */
  count?: number;
  /** Stop after this many ms. Without count and duration, run until `signal` aborts. */
  durationMs?: number;
  seed?: string | number;
  /** Fraction of weld-spot messages replaced by bad traffic, 0..1. Default 0. */
  badRate?: number;
  /** Default: every kind. */
  badKinds?: readonly BadKind[];
  qos?: 0 | 1;
  /** Most messages a client may have in flight (QoS 1: awaiting PUBACK; QoS 0: not yet written). Default 1000. */
  window?: number;
  /** Image store directory. Default data/images. */
  imageDir?: string;
  /** Plant: a config object, a YAML file path, or a built plant. Default: the demonstration plant. */
  config?: PlantConfig | string;
  plant?: Plant;
  /** Fixed plant clock start (ISO string, ms or Date): message times no longer read the wall clock. */
  startTime?: string | number | Date;
  /** Channels to publish. Default: every device channel. */
  channels?: readonly ChannelId[];
  /** Where spot ground truth goes. Default "topic". */
  truth?: TruthSink;
  /** JSON-lines file for truth "file" / "both". Default data/truth/weld-spot-truth.jsonl. */
  truthFile?: string;
  signal?: AbortSignal;
  onProgress?: (summary: SimulationSummary) => void;
  /** ms between onProgress calls. Default 5000. */
  progressIntervalMs?: number;
  /** How long to wait at the end for outstanding acknowledgements, ms. Default 30000. */
  drainTimeoutMs?: number;
  /** Extra MQTT.js options (protocolVersion, keepalive, TLS, ...). */
  mqtt?: IClientOptions;
}

export interface KindCounts {
  sent: number;
  /** Completed: PUBACK received (QoS 1) or written to the socket (QoS 0). */
  completed: number;
  failed: number;
}

export interface SimulationSummary {
  url: string;
  clients: number;
  qos: 0 | 1;
  seed: string;
  /** publish() calls. */
  sent: number;
  /** PUBACKs received; null at QoS 0, where the broker acknowledges nothing. */
  acknowledged: number | null;
  /** Messages written to the socket (QoS 0) or acknowledged (QoS 1). */
  completed: number;
  failed: number;
  /** Still unacknowledged when the run ended. */
  inFlight: number;
  durationMs: number;
  /** Sent messages per second. */
  rate: number;
  byKind: Partial<Record<MessageKind, KindCounts>>;
  byChannel: Partial<Record<ChannelId, number>>;
  images: number;
  truthRecords: number;
  /** Distinct client errors (first 20). */
  errors: string[];
}

/**
 * Connects the simulated plant to a broker and publishes its traffic until `count`, `durationMs`
 * or `signal` says stop; then waits for outstanding acknowledgements and returns the summary.
 *
 * @example
 * const summary = await runSimulation({ url: "mqtt://localhost:1883", count: 1000, qos: 1, rate: "max" });
 * summary.sent === summary.acknowledged;
 */
export async function runSimulation(options: SimulationOptions = {}): Promise<SimulationSummary> {
  const url = options.url ?? "mqtt://localhost:1883";
  const seed = String(options.seed ?? 1);
  const qos = options.qos ?? 0;
  const clientCount = Math.max(1, Math.floor(options.clients ?? 1));
  const window = Math.max(1, Math.floor(options.window ?? 1000));
  const rate = options.rate ?? 100;
  if (rate !== "max" && !(rate > 0))
    throw new RangeError(`rate must be > 0 messages/s or "max", got ${rate}`);
  const truthSink = options.truth ?? "topic";
  const plant =
    options.plant ??
    createPlant(typeof options.config === "string" ? loadPlantConfig(options.config) : options.config);

  let channels = [...(options.channels ?? DEVICE_CHANNELS)];
  if (truthSink === "file" || truthSink === "none") channels = channels.filter((c) => c !== "weldSpotTruth");
  const imageStore: ImageStore | undefined = channels.includes("imageEvent")
    ? createImageStore(options.imageDir ?? "data/images")
    : undefined;

  let truthStream: WriteStream | undefined;
  let truthRecords = 0;
  if (truthSink === "file" || truthSink === "both") {
    const file = options.truthFile ?? "data/truth/weld-spot-truth.jsonl";
    mkdirSync(dirname(file), { recursive: true });
    truthStream = createWriteStream(file, { flags: "a" });
  }

  const traffic: Traffic = createTraffic(plant, {
    seed,
    badRate: options.badRate ?? 0,
    badKinds: options.badKinds ?? BAD_KINDS,
    startTime: options.startTime === undefined ? undefined : toEpochMs(options.startTime),
    channels,
    imageStore,
    publishers: clientCount,
    onTruth: truthStream
      ? (truth) => {
          truthRecords++;
          truthStream.write(`${JSON.stringify(truth)}\n`);
        }
      : undefined,
  });

  const errors = new Set<string>();
  const prefix = options.clientId ?? `uns-sim-${seed}`.replace(/[^A-Za-z0-9_-]/g, "-");
  const clients: MqttClient[] = await Promise.all(
    Array.from({ length: clientCount }, (_, i) =>
      mqtt.connectAsync(
        url,
        {
          clientId: `${prefix}-${i}`,
          username: options.username,
          password: options.password,
          clean: true,
          protocolVersion: 4,
          reconnectPeriod: 1000,
          connectTimeout: 10_000,
          ...options.mqtt,
        },
        false,
      ),
    ),
  ).catch((cause: unknown) => {
    throw new Error(`cannot connect to ${url}: ${(cause as Error).message}`, { cause });
  });
  for (const c of clients) {
    c.on("error", (e) => {
      if (errors.size < 20) errors.add(e.message);
    });
  }

  const byKind: Partial<Record<MessageKind, KindCounts>> = {};
  const byChannel: Partial<Record<ChannelId, number>> = {};
  const inFlight = new Array<number>(clientCount).fill(0);
  let sent = 0;
  let completed = 0;
  let failed = 0;
  let wake: (() => void) | null = null;
  const started = performance.now();

  const summary = (): SimulationSummary => {
    const durationMs = performance.now() - started;
    return {
      url,
      clients: clientCount,
      qos,
      seed,
      sent,
      acknowledged: qos > 0 ? completed : null,
      completed,
      failed,
      inFlight: inFlight.reduce((a, b) => a + b, 0),
      durationMs: Math.round(durationMs),
      rate: Math.round((sent / Math.max(1, durationMs)) * 1000),
      byKind: structuredClone(byKind),
      byChannel: { ...byChannel },
      images: imageStore?.written ?? 0,
      truthRecords,
      errors: [...errors],
    };
  };

  const publish = (m: SimMessage) => {
    const client = clients[m.publisher]!;
    let k = byKind[m.kind];
    if (!k) {
      k = { sent: 0, completed: 0, failed: 0 };
      byKind[m.kind] = k;
    }
    inFlight[m.publisher]!++;
    sent++;
    k.sent++;
    byChannel[m.channel] = (byChannel[m.channel] ?? 0) + 1;
    client.publish(m.topic, m.payload, { qos }, (err) => {
      inFlight[m.publisher]!--;
      if (err) {
        failed++;
        k.failed++;
        if (errors.size < 20) errors.add(err.message);
      } else {
        completed++;
        k.completed++;
      }
      if (wake) {
        const w = wake;
        wake = null;
        w();
      }
    });
  };

  /** Resolves at the next completed publish, or after `ms`. */
  const completionOr = async (ms: number) => {
    const ac = new AbortController();
    const completion = new Promise<void>((resolve) => {
      wake = resolve;
    });
    await Promise.race([completion, sleep(ms, undefined, { signal: ac.signal }).catch(() => undefined)]);
    ac.abort();
    wake = null;
  };

  const progress =
    options.onProgress &&
    setInterval(() => options.onProgress?.(summary()), options.progressIntervalMs ?? 5000).unref();

  const signal = options.signal;
  const count = options.count ?? Number.POSITIVE_INFINITY;
  const deadline = options.durationMs === undefined ? Number.POSITIVE_INFINITY : started + options.durationMs;
  // Rate control: message n is due at started + n / rate. A client that falls behind may catch up
  // by at most one second's worth, so a stalled broker does not cause an unbounded burst later.
  let scheduleStart = started;
  let scheduled = 0;
  let held: SimMessage | null = null;
  try {
    while (sent < count && !signal?.aborted) {
      const now = performance.now();
      if (now >= deadline) break;
      let budget = Math.min(512, count - sent);
      if (rate !== "max") {
        const due = Math.floor(((now - scheduleStart) / 1000) * rate) + 1 - scheduled;
        if (due > rate) {
          scheduleStart = now - (scheduled / rate) * 1000;
          continue;
        }
        if (due <= 0) {
          await sleep(Math.max(1, Math.min(deadline - now, ((1 - due) / rate) * 1000)));
          continue;
        }
        budget = Math.min(budget, due);
      }
      let blocked = false;
      for (let i = 0; i < budget; i++) {
        const m: SimMessage = held ?? traffic.next();
        if (inFlight[m.publisher]! >= window) {
          held = m;
          blocked = true;
          break;
        }
        held = null;
        publish(m);
        scheduled++;
      }
      if (blocked) {
        // A lost connection can leave no acknowledgement to wait for; look again now and then.
        await completionOr(250);
      } else {
        // Let the sockets write and the acknowledgements come in.
        await yieldToLoop();
      }
    }

    const drainUntil = performance.now() + (options.drainTimeoutMs ?? 30_000);
    while (inFlight.some((n) => n > 0) && performance.now() < drainUntil) await completionOr(100);
    return summary();
  } finally {
    if (progress) clearInterval(progress);
    await Promise.all(clients.map((c) => c.endAsync().catch(() => undefined)));
    if (truthStream) {
      truthStream.end();
      await once(truthStream, "finish").catch(() => undefined);
    }
  }
}

function toEpochMs(value: string | number | Date): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === "number" ? value : Date.parse(value);
  if (!Number.isFinite(ms)) throw new RangeError(`startTime is not a time: ${String(value)}`);
  return ms;
}
