import { Worker } from "node:worker_threads";
import type { ChannelSpec, TransferredContracts } from "./contract-set.js";
import type { Diagnostic } from "./diagnostics.js";
import { createError, type errorCodes } from "./errors.js";
import type { CacheStats } from "./load-cache.js";
import type { LoadedContracts, LoadedDocument, LoadLimits } from "./load-contracts.js";
import type { LoaderRequest, LoaderResponse } from "./loader-protocol.js";
import type { TopicTreeData } from "./topic-tree.js";

export interface IsolatedLoadOptions extends LoadLimits {
  /**
   * Keep a loader thread waiting, its parser imported, for the next load (default true). It
   * makes a reload a second or more faster and costs an isolate (about 40 MB of RSS) all along.
   */
  standby?: boolean;
  /**
   * The loader thread is ended when reading the files takes longer than this, and the load fails
   * naming the file (default 30 000 ms). The clock starts once the thread has loaded its code.
   */
  timeoutMs?: number;
  /** Longest wait for the thread to load its code, in ms (default 120 000; a busy machine is slow). */
  startupTimeoutMs?: number;
  /** Heap of the loader thread, in MiB (default 512): a file that needs more fails, the broker does not. */
  maxHeapMb?: number;
  /** Keep parse results here (see `LoadContractsOptions.cacheDir`); contracts only. */
  cacheDir?: string;
}

/**
 * The loader thread in the form this module is in: JavaScript from dist/ in production, the
 * TypeScript source through tsx under the tests (as @uns/store's startWorker, which this
 * library cannot depend on).
 */
function spawn(maxHeapMb: number, warm: boolean): Worker {
  const self = import.meta.url;
  const entry = new URL(`./load-worker.${self.endsWith(".ts") ? "ts" : "js"}`, self);
  const resourceLimits = { maxOldGenerationSizeMb: maxHeapMb };
  const workerData = { warm };
  if (!entry.pathname.endsWith(".ts")) return new Worker(entry, { execArgv: [], resourceLimits, workerData });
  const tsx = import.meta.resolve("tsx/esm/api");
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { eval: true, execArgv: ["--conditions=source"], resourceLimits, workerData });
}

/**
 * One thread waits, its parser already imported (a second or more of CPU, ten on a busy
 * machine), so the next reload only parses. Each thread serves one load and is ended after it,
 * so nothing a file did (caches, a runaway loop) outlives that load.
 */
let standby: { worker: Worker; maxHeapMb: number } | null = null;

function take(maxHeapMb: number): Worker {
  const ready = standby;
  standby = null;
  if (ready && ready.maxHeapMb === maxHeapMb) {
    ready.worker.ref();
    return ready.worker;
  }
  if (ready) void ready.worker.terminate();
  return spawn(maxHeapMb, false);
}

function prepare(maxHeapMb: number): void {
  if (standby) return;
  const worker = spawn(maxHeapMb, true);
  worker.unref(); // a waiting loader never keeps the process alive
  const gone = () => {
    if (standby?.worker === worker) standby = null;
  };
  worker.once("error", gone);
  worker.once("exit", gone);
  standby = { worker, maxHeapMb };
}

/** End the waiting loader thread (servers call it when they stop). */
export function closeLoaderStandby(): void {
  const ready = standby;
  standby = null;
  if (ready) void ready.worker.terminate();
}

function run(request: LoaderRequest, options: IsolatedLoadOptions): Promise<LoaderResponse> {
  const {
    timeoutMs = 30_000,
    startupTimeoutMs = 120_000,
    maxHeapMb = 512,
    standby: keepStandby = true,
    cacheDir: _cacheDir,
    ...limits
  } = options;
  return new Promise((resolve, reject) => {
    const worker = take(maxHeapMb);
    let current = request.dir;
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
      void worker.terminate();
      if (keepStandby) prepare(maxHeapMb);
    };
    const expire = () =>
      finish(() =>
        reject(
          createError(
            "UNS_ERR_CONTRACT_TIMEOUT",
            `loading ${current} took longer than contracts.loadTimeoutMs (${timeoutMs} ms); the loader was stopped and the last good version stays`,
            {
              details: [
                {
                  file: current,
                  severity: "error",
                  message: "load timed out",
                  path: "$",
                  code: "UNS_ERR_CONTRACT_TIMEOUT",
                },
              ],
            },
          ),
        ),
      );
    let timer = setTimeout(expire, Math.max(timeoutMs, startupTimeoutMs));
    worker.on("message", (m: LoaderResponse) => {
      if (m.type === "ready") {
        clearTimeout(timer);
        timer = setTimeout(expire, timeoutMs);
      } else if (m.type === "pause") {
        // Loading the parser depends on no file: bounded by the start-up timeout instead.
        clearTimeout(timer);
        timer = setTimeout(expire, startupTimeoutMs);
      } else if (m.type === "progress") current = m.file;
      else finish(() => resolve(m));
    });
    worker.on("error", (err: Error & { code?: string }) =>
      finish(() =>
        reject(
          createError(
            "UNS_ERR_CONTRACT_LIMIT",
            err.code === "ERR_WORKER_OUT_OF_MEMORY"
              ? `loading ${current} needed more than ${maxHeapMb} MiB; the loader was stopped and the last good version stays`
              : `the contract loader failed on ${current}: ${err.message}`,
            {
              cause: err,
              details: [
                {
                  file: current,
                  severity: "error",
                  message: err.message,
                  path: "$",
                  code: "UNS_ERR_CONTRACT_LIMIT",
                },
              ],
            },
          ),
        ),
      ),
    );
    worker.on("exit", (code) =>
      finish(() =>
        reject(
          createError("UNS_ERR_CONTRACT_LIMIT", `the contract loader stopped (exit ${code}) on ${current}`),
        ),
      ),
    );
    worker.postMessage({ ...request, limits } satisfies LoaderRequest);
  });
}

function rethrow(m: LoaderResponse): never {
  if (m.type !== "error") throw new Error(`unexpected loader answer ${m.type}`);
  // The thread only throws codes of this registry (load-worker.ts).
  const code = (m.error.code || "UNS_ERR_CONTRACT_LIMIT") as keyof typeof errorCodes;
  throw createError(code, m.error.message, { details: m.error.details });
}

/** What `loadContractsTransfer` returns: as `LoadedContracts`, with the set as JSON text. */
export interface TransferredLoad {
  set: TransferredContracts;
  documents: LoadedDocument[];
  diagnostics: Diagnostic[];
  /** With `cacheDir`: hits, misses and ignored entries (see `LoadedContracts.cache`). */
  cache?: CacheStats;
}

/**
 * `loadContracts` in a thread of its own, bounded in time and memory: the broker's event loop
 * only receives the result, with the channels as JSON text plus summaries (see
 * `TransferredContracts`). Throws `UNS_ERR_CONTRACT_TIMEOUT` or `UNS_ERR_CONTRACT_LIMIT`
 * naming the file being loaded. `relativeTo` names files relative to that folder.
 *
 * @example
 * const loaded = await loadContractsTransfer("asyncapi", { timeoutMs: 5000, relativeTo: "asyncapi" });
 * pool.setContracts(loaded.set.channelsJson);
 */
export async function loadContractsTransfer(
  dir: string,
  options: IsolatedLoadOptions & { relativeTo?: string } = {},
): Promise<TransferredLoad> {
  const { relativeTo, cacheDir, ...rest } = options;
  const m = await run(
    {
      kind: "contracts",
      dir,
      limits: {},
      ...(relativeTo === undefined ? {} : { relativeTo }),
      ...(cacheDir === undefined ? {} : { cacheDir }),
    },
    rest,
  );
  if (m.type === "contracts") return m.result;
  return rethrow(m);
}

/** `loadContracts` in the bounded loader thread, with the same result (the CLI, tests). */
export async function loadContractsIsolated(
  dir: string,
  options: IsolatedLoadOptions = {},
): Promise<LoadedContracts> {
  const r = await loadContractsTransfer(dir, options);
  return {
    set: { version: r.set.version, channels: JSON.parse(r.set.channelsJson) as ChannelSpec[] },
    documents: r.documents,
    diagnostics: r.diagnostics,
    ...(r.cache ? { cache: r.cache } : {}),
  };
}

/**
 * Read and check `<dir>/tree.yaml` in the loader thread; compile the result with
 * `topicTreeFromData`. Throws the errors `loadTopicTree` throws, or a timeout.
 */
export async function loadTopicTreeIsolated(
  dir: string,
  options: IsolatedLoadOptions = {},
): Promise<TopicTreeData> {
  const m = await run({ kind: "tree", dir, limits: {} }, options);
  if (m.type === "tree") return m.result;
  return rethrow(m);
}
