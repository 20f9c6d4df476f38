import { Worker } from "node:worker_threads";
import type { ContractSet } from "@uns/contracts";
import type { FeatureSpec } from "../model/features.js";
import type { ScoreRequest, ScoreResponse, WorkerRequest, WorkerResponse } from "./scoring-protocol.js";

/**
 * Worker threads that score batches with onnxruntime. Every worker holds every loaded model, so a
 * batch can go to whichever worker has the fewest batches in hand. A worker that dies is replaced
 * (contracts and models loaded again); the batches it held are answered as failed, never lost.
 */
export interface ScoringPool {
  setContracts(set: ContractSet): void;
  /** Loads (and warms) a model in every worker; rejects with the first worker's error. */
  load(
    key: string,
    model: { bytes: Uint8Array; features: FeatureSpec[]; onnx: { input: string; output: string } },
  ): Promise<void>;
  unload(key: string): void;
  score(batch: Omit<ScoreRequest, "type" | "id">): Promise<ScoreResponse>;
  /** For tests: make one worker exit. */
  crash(index: number): void;
  readonly size: number;
  close(): Promise<void>;
}

interface Slot {
  worker: Worker;
  pending: Map<number, (r: WorkerResponse) => void>;
  alive: boolean;
}

/**
 * The worker in the form this module is in: `scoring-worker.js` beside dist/*.js in production;
 * under the tests (src/*.ts) `scoring-worker.ts` through tsx with the "source" export condition, so
 * the worker runs the same code as the test with no build in between (as @uns/store's startWorker
 * does for the server's workers).
 */
function startScoringWorker(): Worker {
  const self = import.meta.url;
  if (!self.endsWith(".ts")) return new Worker(new URL("./scoring-worker.js", self), { execArgv: [] });
  const entry = new URL("./scoring-worker.ts", self);
  // tsx is a dev dependency: resolved only when running from TypeScript.
  const tsx = import.meta.resolve("tsx/esm/api");
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { eval: true, execArgv: ["--conditions=source"] });
}

/** A worker that dies this soon after it started is not restarted again (it would only loop). */
const MIN_LIFETIME_MS = 2000;

export function createScoringPool(size: number, options: { fastPath?: "auto" | "off" } = {}): ScoringPool {
  const fastPath = options.fastPath ?? "auto";
  let nextId = 1;
  let contracts: ContractSet | null = null;
  const models = new Map<string, Parameters<ScoringPool["load"]>[1]>();
  let closing = false;
  const slots: Slot[] = [];

  let lastError = "";

  function spawn(index: number): void {
    const started = Date.now();
    const worker = startScoringWorker();
    worker.unref();
    const slot: Slot = { worker, pending: new Map(), alive: true };
    slots[index] = slot;
    worker.on("message", (msg: WorkerResponse) => {
      const done = slot.pending.get(msg.id);
      slot.pending.delete(msg.id);
      done?.(msg);
    });
    worker.on("error", (err) => {
      lastError = err.message;
    });
    worker.on("exit", () => {
      slot.alive = false;
      for (const [id, done] of slot.pending)
        done({ type: "loaded", id, error: `scoring worker exited${lastError ? `: ${lastError}` : ""}` });
      slot.pending.clear();
      if (!closing && Date.now() - started > MIN_LIFETIME_MS) {
        spawn(index);
        const fresh = slots[index]!;
        if (contracts)
          fresh.worker.postMessage({ type: "contracts", set: contracts, fastPath } satisfies WorkerRequest);
        for (const [key, m] of models) void request(fresh, { type: "load", id: nextId++, key, ...m });
      }
    });
  }

  function request(slot: Slot, msg: WorkerRequest & { id: number }): Promise<WorkerResponse> {
    return new Promise((resolve) => {
      slot.pending.set(msg.id, resolve);
      // A batch's payload bytes move to the worker (packPayloads gives them their own buffer).
      if (msg.type === "score") slot.worker.postMessage(msg, [msg.payloads.buffer as ArrayBuffer]);
      else slot.worker.postMessage(msg);
    });
  }

  for (let i = 0; i < Math.max(1, size); i++) spawn(i);

  return {
    size: slots.length,
    setContracts(set) {
      contracts = set;
      for (const s of slots)
        s.worker.postMessage({ type: "contracts", set, fastPath } satisfies WorkerRequest);
    },
    async load(key, model) {
      const answers = await Promise.all(
        slots.map((s) => request(s, { type: "load", id: nextId++, key, ...model })),
      );
      const failed = answers.find((a) => a.type === "loaded" && a.error);
      if (failed && failed.type === "loaded") {
        for (const s of slots) s.worker.postMessage({ type: "unload", key } satisfies WorkerRequest);
        throw new Error(failed.error);
      }
      models.set(key, model);
    },
    unload(key) {
      models.delete(key);
      for (const s of slots) s.worker.postMessage({ type: "unload", key } satisfies WorkerRequest);
    },
    async score(batch) {
      let best = slots[0]!;
      for (const s of slots) if (s.alive && s.pending.size < best.pending.size) best = s;
      const id = nextId++;
      const answer = await request(best, { type: "score", id, ...batch });
      if (answer.type === "scored") return answer;
      return {
        type: "scored",
        id,
        spots: batch.topics.map(() => ({ ok: false, reason: answer.error ?? "scoring failed" })),
        runs: {},
      };
    },
    crash(index) {
      slots[index]?.worker.postMessage({ type: "crash" } satisfies WorkerRequest);
    },
    async close() {
      closing = true;
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
