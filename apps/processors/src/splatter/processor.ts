import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { ContractSet, Validator } from "@uns/contracts";
import type { ProcessorsConfig } from "../config.js";
import { processorError } from "../errors.js";
import { listVersions } from "../lifecycle/model-slot.js";
import type { Registry } from "../lifecycle/registry.js";
import { type LoadedModel, readModel } from "../model/manifest.js";
import { channelTopics } from "../processors/topics.js";
import type { Logger } from "../processors/weld-quality.js";
import { connectLink, type MqttLink } from "../runtime/mqtt-link.js";
import type { SplatterWorkerRequest, SplatterWorkerResponse } from "./protocol.js";
import { readZoneMap, summariseZones, type ZoneMap } from "./zones.js";

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
 */
export interface SplatterProcessor {
  readonly id: string;
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

function workerFile(): string {
  const here = fileURLToPath(new URL("./worker.js", import.meta.url));
  if (existsSync(here)) return here;
  const compiled = here.replace(/([\\/])src([\\/])/, "$1dist$2");
  if (existsSync(compiled)) return compiled;
  throw new Error(`splatter worker not found at ${here} or ${compiled}: run \`pnpm build\``);
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
  let model: LoadedModel | null = null;
  let link: MqttLink | null = null;
  const workers: {
    worker: Worker;
    busy: boolean;
    pending: Map<number, (r: SplatterWorkerResponse) => void>;
  }[] = [];
  let nextId = 1;
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
  let lastError: string | null = null;

  function call(w: (typeof workers)[number], msg: SplatterWorkerRequest): Promise<SplatterWorkerResponse> {
    return new Promise((resolve) => {
      w.pending.set(msg.id, resolve);
      w.worker.postMessage(msg);
    });
  }

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
    for (const w of workers) {
      if (w.busy || queue.length === 0) continue;
      const q = queue.shift()!;
      w.busy = true;
      inFlight++;
      score(w, q).finally(() => {
        w.busy = false;
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

  async function score(w: (typeof workers)[number], q: Queued): Promise<void> {
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
    const r = await call(w, {
      type: "score",
      id: nextId++,
      image: { ...q.event.image, frame: { width: camera.width, height: camera.height } },
      root: config["splatter.imageRoot"],
      maxBytes: config["splatter.maxImageBytes"],
    });
    const ms = performance.now() - started;
    if (!r.ok || !("detections" in r)) {
      counts.failed++;
      const error = r.ok
        ? { code: "UNS_ERR_MODEL_RUN", message: "no detections returned" }
        : { code: r.code, message: r.message.slice(0, 1000) };
      return answer(q, { status: "failed", queuedMs, inferenceTime: round(ms), error });
    }
    counts.scored++;
    counts.detections += r.detections.length;
    times.push(ms);
    if (times.length > 500) times.shift();
    const detections = r.detections.map((d) => ({
      label: d.label,
      score: d.score,
      x: d.x,
      y: d.y,
      width: d.width,
      height: d.height,
    }));
    return answer(q, {
      status: "scored",
      queuedMs,
      inferenceTime: round(ms),
      detections,
      zones: summariseZones(camera, detections),
    });
  }

  function answer(q: Queued, fields: Record<string, unknown>): void {
    const e = q.event;
    const result = {
      eventId: e.eventId,
      camera: e.camera,
      bodyId: e.bodyId,
      image: { uri: e.image.uri, width: e.image.width, height: e.image.height },
      detections: [],
      model: { name: model!.manifest.name, version: model!.manifest.version },
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

  function loadModel(): LoadedModel {
    const name = config["splatter.model"];
    const live = deps.registry.get(name)?.live;
    const versions = [...new Set([...(live ? [live] : []), ...listVersions(config.modelsDir, name)])];
    for (const v of versions) {
      try {
        return readModel(join(config.modelsDir, name, v, "manifest.json"));
      } catch (err) {
        logger.error(`${id}: ${(err as { code?: string }).code ?? ""} ${(err as Error).message}`);
      }
    }
    throw processorError(
      "UNS_ERR_MODEL_MANIFEST",
      `${id}: no loadable version of model ${name} under ${config.modelsDir} (run \`pnpm train:splatter\`)`,
    );
  }

  return {
    id,
    async start() {
      model = loadModel();
      const file = workerFile();
      for (let i = 0; i < config["splatter.workers"]; i++) {
        const worker = new Worker(file, { execArgv: [] });
        const w = { worker, busy: false, pending: new Map<number, (r: SplatterWorkerResponse) => void>() };
        worker.on("message", (msg: SplatterWorkerResponse) => {
          const done = w.pending.get(msg.id);
          w.pending.delete(msg.id);
          done?.(msg);
        });
        worker.on("error", (err) => {
          logger.error(`${id}: worker failed: ${err.message}`);
          for (const done of w.pending.values())
            done({ id: 0, ok: false, code: "UNS_ERR_MODEL_RUN", message: `worker failed: ${err.message}` });
          w.pending.clear();
        });
        const loaded = await call(w, {
          type: "load",
          id: nextId++,
          manifest: model.manifest,
          bytes: model.bytes,
        });
        if (!loaded.ok) throw processorError("UNS_ERR_MODEL_LOAD", `${model.onnxPath}: ${loaded.message}`);
        workers.push(w);
      }
      logger.info(
        `${id}: ${model.manifest.name} ${model.manifest.version} in ${workers.length} worker(s), zones ${zones.name} ${zones.version}`,
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
      await Promise.all(workers.map((w) => w.worker.terminate()));
      workers.length = 0;
    },
    idle() {
      if (queue.length === 0 && inFlight === 0) return Promise.all(publishing).then(() => {});
      return new Promise<void>((r) => idleWaiters.push(r)).then(() => Promise.all(publishing)).then(() => {});
    },
    status() {
      const sorted = [...times].sort((a, b) => a - b);
      const pick = (q: number) =>
        sorted.length ? round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!) : 0;
      return {
        id,
        up: link !== null,
        ...counts,
        queued: queue.length,
        inFlight,
        msPerImage: { p50: pick(0.5), p95: pick(0.95) },
        model: model ? `${model.manifest.name} ${model.manifest.version}` : null,
        zones: `${zones.name} ${zones.version}`,
        lastError,
      };
    },
  };
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}
