import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { ModelHost } from "../lifecycle/model-slot.js";
import type { ImageRequest } from "./image-source.js";
import type { SplatterWorkerRequest, SplatterWorkerResponse } from "./protocol.js";

/**
 * The splatter worker threads as a model host for the lifecycle slot (every worker holds every
 * version in a role, loaded before the role is given) and as the place images are scored: one
 * image per worker at a time; the primary answer comes back first, the extra versions' after.
 */
export interface SplatterHost extends ModelHost {
  start(count: number): void;
  /** An idle worker's index, or -1. */
  idleWorker(): number;
  score(
    worker: number,
    request: { keys: string[]; image: ImageRequest; root: string; maxBytes: number },
  ): { primary: Promise<SplatterWorkerResponse>; extras: Promise<SplatterWorkerResponse | null> };
  readonly size: number;
  close(): Promise<void>;
}

function workerFile(): string {
  const here = fileURLToPath(new URL("./worker.js", import.meta.url));
  if (existsSync(here)) return here;
  const compiled = here.replace(/([\\/])src([\\/])/, "$1dist$2");
  if (existsSync(compiled)) return compiled;
  throw new Error(`splatter worker not found at ${here} or ${compiled}: run \`pnpm build\``);
}

interface Thread {
  worker: Worker;
  busy: boolean;
  pending: Map<number, (r: SplatterWorkerResponse) => void>;
}

export function createSplatterHost(onError: (message: string) => void): SplatterHost {
  const threads: Thread[] = [];
  let nextId = 1;
  const call = (t: Thread, msg: SplatterWorkerRequest & { id: number }) =>
    new Promise<SplatterWorkerResponse>((resolve) => {
      t.pending.set(msg.id, resolve);
      t.worker.postMessage(msg);
    });
  return {
    get size() {
      return threads.length;
    },
    start(count) {
      const file = workerFile();
      for (let i = 0; i < count; i++) {
        const worker = new Worker(file, { execArgv: [] });
        const t: Thread = { worker, busy: false, pending: new Map() };
        worker.on("message", (msg: SplatterWorkerResponse) => {
          const done = t.pending.get(msg.id);
          t.pending.delete(msg.id);
          done?.(msg);
        });
        worker.on("error", (err) => {
          onError(`worker failed: ${err.message}`);
          for (const [id, done] of t.pending)
            done({ id, ok: false, code: "UNS_ERR_MODEL_RUN", message: `worker failed: ${err.message}` });
          t.pending.clear();
        });
        threads.push(t);
      }
    },
    async load(key, model) {
      const answers = await Promise.all(
        threads.map((t) =>
          call(t, { type: "load", id: nextId++, key, manifest: model.manifest, bytes: model.bytes }),
        ),
      );
      const failed = answers.find((a) => !a.ok);
      if (failed && !failed.ok) {
        for (const t of threads)
          t.worker.postMessage({ type: "unload", key } satisfies SplatterWorkerRequest);
        throw new Error(failed.message);
      }
    },
    unload(key) {
      for (const t of threads) t.worker.postMessage({ type: "unload", key } satisfies SplatterWorkerRequest);
    },
    idleWorker: () => threads.findIndex((t) => !t.busy),
    score(index, request) {
      const t = threads[index]!;
      t.busy = true;
      const id = nextId++;
      let extraDone: (r: SplatterWorkerResponse | null) => void = () => {};
      const extras = new Promise<SplatterWorkerResponse | null>((r) => {
        extraDone = r;
      });
      const primary = call(t, { type: "score", id, ...request }).then((first) => {
        if ("more" in first && first.more) {
          // The same id answers a second time, with the extra versions.
          t.pending.set(id, (second) => {
            t.busy = false;
            extraDone(second);
          });
        } else {
          t.busy = false;
          extraDone(null);
        }
        return first;
      });
      return { primary, extras };
    },
    async close() {
      await Promise.all(threads.map((t) => t.worker.terminate()));
      threads.length = 0;
    },
  };
}
