import type { ContractSet, Validator } from "@uns/contracts";
import type { ProcessorsConfig } from "../config.js";
import { processorError } from "../errors.js";
import {
  createModelSlot,
  type LoadedVersion,
  listVersions,
  type ModelSlot,
  stableShare,
} from "../lifecycle/model-slot.js";
import type { Registry } from "../lifecycle/registry.js";
import { channelTopics } from "../processors/topics.js";
import type { Logger } from "../processors/weld-quality.js";
import { connectLink, type MqttLink } from "../runtime/mqtt-link.js";
import { createSplatterHost } from "./host.js";
import type { ScoredBy, SplatterWorkerResponse } from "./protocol.js";
import { type CameraZones, readZoneMap, summariseZones, type ZoneMap } from "./zones.js";

/**
 * The splatter processor: subscribes to `imageEvent`, scores each image in its worker thread
 * (read under the image root, size-limited, decoded, candidates + ONNX patch classifier) and
 * publishes `splatterDetections` for the same line and cell with boxes, the per-zone summary of
 * the camera's zone map, the model version and the time taken.
 *
 * Queue: images are scored one at a time per worker, oldest capture first. When more than
 * `splatter.maxQueue` wait, the oldest are answered at once with `status: late` (and the
 * UNS_ERR_SPLATTER_LATE error) instead of being scored after the station has moved on: every
 * event gets an answer, none is dropped. A bad image is answered with `status: failed` and the
 * error, and the next image is scored.
 *
 * Lifecycle: the model is served through a slot like the weld models (live, canary, shadow;
 * promote and roll back through the control API). A canary takes a stable share of bodies (by
 * body id, so the 8 images of a body are scored by one version); a shadow, and the live version
 * beside a canary, score the same decoded pixels after the published answer, and their zone
 * decisions are compared with it (`status().versions`).
 */
export interface SplatterProcessor {
  readonly id: string;
  readonly slot: ModelSlot;
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): Record<string, unknown>;
  idle(): Promise<void>;
}

interface ImageEvent {
  eventId: string;
  camera: string;
  bodyId: string;
  captureTime: string;
  image: { uri: string; width: number; height: number; checksum: string };
}

interface Queued {
  topic: string;
  event: ImageEvent;
  at: number;
}

export function createSplatterProcessor(deps: {
  config: ProcessorsConfig;
  contracts: () => ContractSet;
  validator: () => Validator;
  registry: Registry;
  logger: Logger;
}): SplatterProcessor {
  const { config, logger } = deps;
  const id = "splatter";
  const channel = (cid: string) => deps.contracts().channels.find((c) => c.id === cid);
  const input = channelTopics(channel("imageEvent"), "imageEvent");
  const output = channelTopics(channel("splatterDetections"), "splatterDetections");
  const zones: ZoneMap = readZoneMap(config["splatter.zonesFile"]);
  const host = createSplatterHost((message) => logger.error(`${id}: ${message}`));
  const slot = createModelSlot({
    name: config["splatter.model"],
    modelsDir: config.modelsDir,
    channel: () => {
      const c = channel("imageEvent");
      if (!c) throw processorError("UNS_ERR_MODEL_INPUTS", "the contracts have no imageEvent channel");
      return c;
    },
    pool: host,
    registry: deps.registry,
    onChange: (e) => logger.info(`${id}: ${e.action} ${e.name} ${e.version ?? ""}: ${e.reason}`),
  });
  const versions = new Map<string, VersionCounts>();
  const statsOf = (v: LoadedVersion): VersionCounts => {
    let c = versions.get(v.key);
    if (!c) {
      c = {
        name: v.manifest.name,
        version: v.manifest.version,
        images: 0,
        detections: 0,
        errors: 0,
        compared: 0,
        disagreed: 0,
      };
      versions.set(v.key, c);
    }
    return c;
  };
  let link: MqttLink | null = null;
  const queue: Queued[] = [];
  let inFlight = 0;
  let idleWaiters: (() => void)[] = [];
  const publishing = new Set<Promise<unknown>>();
  const counts = {
    received: 0,
    invalidEvents: 0,
    scored: 0,
    failed: 0,
    late: 0,
    published: 0,
    refused: 0,
    detections: 0,
  };
  const times: number[] = [];
  // Where an image's time goes, per stage (the benchmark's profile).
  const stages = {
    read: [] as number[],
    decode: [] as number[],
    find: [] as number[],
    model: [] as number[],
  };
  let lastError: string | null = null;

  function onMessage(topic: string, payload: Buffer): void {
    if (!input.parameters(topic)) return;
    counts.received++;
    let value: unknown;
    try {
      value = JSON.parse(payload.toString("utf8"));
    } catch {
      counts.invalidEvents++;
      lastError = `UNS_ERR_IMAGE_EVENT ${topic}: not JSON`;
      logger.warn(`${id}: ${lastError}`);
      return;
    }
    const checked = deps.validator().validateValue("imageEvent", value);
    if (checked.outcome !== "valid") {
      // Without a valid event there is no eventId to answer; it is counted and logged instead.
      counts.invalidEvents++;
      lastError = `UNS_ERR_IMAGE_EVENT ${topic}: ${JSON.stringify(checked.errors?.[0] ?? checked.outcome)}`;
      logger.warn(`${id}: ${lastError}`);
      return;
    }
    const event = value as ImageEvent;
    // Oldest capture first (cameras of one body fire together; their events may arrive shuffled).
    const q: Queued = { topic, event, at: performance.now() };
    let i = queue.length;
    while (i > 0 && queue[i - 1]!.event.captureTime > event.captureTime) i--;
    queue.splice(i, 0, q);
    while (queue.length > config["splatter.maxQueue"]) {
      const late = queue.shift()!;
      counts.late++;
      answer(late, {
        status: "late",
        error: {
          code: "UNS_ERR_SPLATTER_LATE",
          message: `not scored: ${queue.length + 1} images were waiting (splatter.maxQueue ${config["splatter.maxQueue"]}); waited ${Math.round(performance.now() - late.at)} ms`,
        },
      });
    }
    pump();
  }

  function pump(): void {
    for (let w = host.idleWorker(); w >= 0 && queue.length > 0; w = host.idleWorker()) {
      const q = queue.shift()!;
      inFlight++;
      score(w, q).finally(() => {
        inFlight--;
        pump();
        if (queue.length === 0 && inFlight === 0) {
          const waiters = idleWaiters;
          idleWaiters = [];
          for (const r of waiters) r();
        }
      });
    }
  }

  async function score(w: number, q: Queued): Promise<void> {
    const started = performance.now();
    const camera = zones.cameras[q.event.camera] ?? null;
    const queuedMs = Math.round(started - q.at);
    if (!camera) {
      counts.failed++;
      return answer(q, {
        status: "failed",
        queuedMs,
        error: {
          code: "UNS_ERR_IMAGE_CAMERA",
          message: `camera ${q.event.camera} is not in the zone map ${config["splatter.zonesFile"]} (cameras: ${Object.keys(zones.cameras).join(", ")})`,
        },
      });
    }
    const route = slot.route(stableShare(q.event.bodyId));
    if (!route) {
      counts.failed++;
      return answer(q, {
        status: "failed",
        queuedMs,
        error: { code: "UNS_ERR_MODEL_LOAD", message: `no live version of ${slot.name}` },
      });
    }
    const others = [route.compare, route.shadow].filter(
      (v, i, all): v is LoadedVersion => !!v && v.key !== route.primary.key && all.indexOf(v) === i,
    );
    const keys = [route.primary.key, ...others.map((v) => v.key)];
    // The versions used here stay loaded until their runs are done, whatever is deployed meanwhile.
    slot.retain(keys);
    const run = host.score(w, {
      keys,
      image: { ...q.event.image, frame: { width: camera.width, height: camera.height } },
      root: config["splatter.imageRoot"],
      maxBytes: config["splatter.maxImageBytes"],
    });
    const r = await run.primary;
    const ms = performance.now() - started;
    const mine = r.ok && "scored" in r ? r.scored[0] : undefined;
    if (!mine) {
      counts.failed++;
      if (!r.ok && r.code === "UNS_ERR_MODEL_RUN") statsOf(route.primary).errors++;
      const error = r.ok
        ? { code: "UNS_ERR_MODEL_RUN", message: "no detections returned" }
        : { code: r.code, message: r.message.slice(0, 1000) };
      answer(q, { status: "failed", queuedMs, inferenceTime: round(ms), error }, route.primary);
    } else {
      counts.scored++;
      counts.detections += mine.detections.length;
      const s = statsOf(route.primary);
      s.images++;
      s.detections += mine.detections.length;
      times.push(ms);
      if (times.length > 500) times.shift();
      if ("timings" in r) {
        const at = {
          read: r.timings.readMs,
          decode: r.timings.decodeMs,
          find: mine.findMs,
          model: mine.modelMs,
        };
        for (const k of Object.keys(stages) as (keyof typeof stages)[]) {
          stages[k].push(at[k]);
          if (stages[k].length > 500) stages[k].shift();
        }
      }
      const detections = boxes(mine);
      answer(
        q,
        {
          status: "scored",
          queuedMs,
          inferenceTime: round(ms),
          detections,
          zones: summariseZones(camera, detections),
        },
        route.primary,
      );
    }
    compare(camera, mine, others, await run.extras);
    slot.release(keys);
  }

  /** The extra versions' zone decisions against the published one's. */
  function compare(
    camera: CameraZones,
    mine: ScoredBy | undefined,
    others: readonly LoadedVersion[],
    r: SplatterWorkerResponse | null,
  ): void {
    if (!r?.ok || !("scored" in r)) return;
    const grind = (s: ScoredBy) =>
      summariseZones(camera, s.detections)
        .map((z) => z.grind)
        .join();
    for (const s of r.scored) {
      const v = others.find((o) => o.key === s.key);
      if (!v) continue;
      const c = statsOf(v);
      if (s.error) {
        c.errors++;
        continue;
      }
      c.images++;
      c.detections += s.detections.length;
      if (mine) {
        c.compared++;
        if (grind(s) !== grind(mine)) c.disagreed++;
      }
    }
  }

  function answer(q: Queued, fields: Record<string, unknown>, by: LoadedVersion | null = slot.live()): void {
    const e = q.event;
    const result = {
      eventId: e.eventId,
      camera: e.camera,
      bodyId: e.bodyId,
      image: { uri: e.image.uri, width: e.image.width, height: e.image.height },
      detections: [],
      model: { name: slot.name, version: by?.manifest.version ?? "none" },
      time: new Date().toISOString(),
      ...fields,
    };
    if (fields.error) {
      const err = fields.error as { code: string; message: string };
      lastError = `${err.code} ${e.eventId}: ${err.message}`;
      logger.warn(`${id}: ${lastError}`);
    }
    const checked = deps.validator().validateValue("splatterDetections", result);
    if (checked.outcome !== "valid") {
      counts.refused++;
      logger.error(
        `${id}: result for ${e.eventId} refused by the splatterDetections contract: ${JSON.stringify(checked.errors?.[0])}`,
      );
      return;
    }
    if (!link) return;
    const sent = link.client
      .publishAsync(output.topic(input.parameters(q.topic)!), JSON.stringify(result), { qos: 1 })
      .then(() => {
        counts.published++;
      })
      .catch((err: Error) => logger.error(`${id}: publish failed: ${err.message}`))
      .finally(() => publishing.delete(sent));
    publishing.add(sent);
  }

  /** The registry's live version; without one, the newest version that loads (refusals logged). */
  async function deployInitial(): Promise<void> {
    const live = deps.registry.get(slot.name)?.live;
    const candidates = [...new Set([...(live ? [live] : []), ...listVersions(config.modelsDir, slot.name)])];
    for (const version of candidates) {
      try {
        await slot.deploy(version, "live", {
          reason: live === version ? "start: live in the registry" : "start: newest version",
        });
        return;
      } catch (err) {
        logger.error(`${id}: ${(err as { code?: string }).code ?? ""} ${(err as Error).message}`);
      }
    }
    throw processorError(
      "UNS_ERR_MODEL_MANIFEST",
      `${id}: no loadable version of model ${slot.name} under ${config.modelsDir} (run \`pnpm train:splatter\`)`,
    );
  }

  return {
    id,
    slot,
    async start() {
      host.start(config["splatter.workers"]);
      await deployInitial();
      logger.info(
        `${id}: ${slot.name} ${slot.live()?.manifest.version} in ${host.size} worker(s), zones ${zones.name} ${zones.version}`,
      );
      link = await connectLink({
        url: config["mqtt.url"],
        clientId: `${config["mqtt.clientPrefix"]}-${id}`,
        username: config["mqtt.username"],
        password: config["mqtt.password"],
        subscriptions: [input.filter],
        onMessage,
        onStatus: (s, detail) => {
          if (s !== "connected") logger.warn(`${id}: mqtt ${s}${detail ? `: ${detail}` : ""}`);
        },
      });
    },
    async stop() {
      // Everything received is answered before leaving.
      await this.idle();
      await Promise.all(publishing);
      await link?.close();
      link = null;
      await host.close();
    },
    idle() {
      if (queue.length === 0 && inFlight === 0) return Promise.all(publishing).then(() => {});
      return new Promise<void>((r) => idleWaiters.push(r)).then(() => Promise.all(publishing)).then(() => {});
    },
    status() {
      const quantile = (xs: number[], q: number) => {
        const sorted = [...xs].sort((a, b) => a - b);
        return sorted.length ? round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!) : 0;
      };
      const pick = (q: number) => quantile(times, q);
      return {
        id,
        up: link !== null,
        ...counts,
        queued: queue.length,
        inFlight,
        msPerImage: { p50: pick(0.5), p95: pick(0.95) },
        msPerStage: Object.fromEntries(
          Object.entries(stages).map(([k, xs]) => [k, { p50: quantile(xs, 0.5), p95: quantile(xs, 0.95) }]),
        ),
        model: slot.live() ? `${slot.name} ${slot.live()!.manifest.version}` : null,
        versions: Object.fromEntries([...versions].map(([k, v]) => [k, { ...v }])),
        zones: `${zones.name} ${zones.version}`,
        lastError,
      };
    },
  };
}

interface VersionCounts {
  name: string;
  version: string;
  images: number;
  detections: number;
  errors: number;
  /** Images also scored by the published version, and those whose grind decisions differ. */
  compared: number;
  disagreed: number;
}

function boxes(s: ScoredBy) {
  return s.detections.map((d) => ({
    label: d.label,
    score: d.score,
    x: d.x,
    y: d.y,
    width: d.width,
    height: d.height,
  }));
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}
