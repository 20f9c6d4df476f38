/**
 * The loader thread: parses, resolves and compiles contracts and the topic tree away from the
 * broker's event loop. One thread per load, ended afterwards (by the caller on a timeout), so
 * whatever a hostile file makes the AsyncAPI parser do costs this thread only.
 */
import { readFileSync, readlinkSync, statSync } from "node:fs";
import { setPriority } from "node:os";
import { isAbsolute, join, relative } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { summarizeChannel } from "./contract-set.js";
import { createError, isUnsError } from "./errors.js";
import { type LoadLimits, loadContracts } from "./load-contracts.js";
import type { LoaderRequest, LoaderResponse } from "./loader-protocol.js";
import { parseTopicTreeData } from "./topic-tree.js";

const port = parentPort;
if (!port) throw new Error("load-worker.js runs as a worker thread only");

// Loading is background work: on a busy core the broker's event loop goes first (as for the
// store's writer thread). Linux sets a thread's priority through its own id; elsewhere a no-op.
try {
  const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
  if (Number.isInteger(tid)) setPriority(tid, 19);
} catch {
  // not Linux, or not allowed: normal priority
}

// A standby thread warms up while it waits for a request (isolated-loader.ts); one started for a
// load does not: the cache may spare it the parser altogether.
if ((workerData as { warm?: boolean } | null)?.warm) void import("@asyncapi/parser").catch(() => {});

function post(message: LoaderResponse): void {
  port!.postMessage(message);
}

function loadTree(dir: string, limits: LoadLimits) {
  const file = join(dir, "tree.yaml");
  let text: string;
  try {
    const size = statSync(file).size;
    const max = limits.maxFileBytes ?? Number.POSITIVE_INFINITY;
    if (size > max) {
      throw createError(
        "UNS_ERR_TREE_INVALID",
        `invalid topic tree ${file}: the file is ${size} bytes; contracts.maxFileBytes allows at most ${max}`,
      );
    }
    text = readFileSync(file, "utf8");
  } catch (cause) {
    if (isUnsError(cause)) throw cause;
    throw createError("UNS_ERR_TREE_READ", `cannot read the topic tree ${file}: ${(cause as Error).message}`);
  }
  return parseTopicTreeData(text, file);
}

port.once("message", (req: LoaderRequest) => {
  const run = async (): Promise<LoaderResponse> => {
    if (req.kind === "contracts") {
      const result = await loadContracts(req.dir, {
        ...req.limits,
        ...(req.cacheDir ? { cacheDir: req.cacheDir } : {}),
        // Loading the parser (spectral and friends) takes a second or more on a busy machine and
        // depends on no file: the caller stops the clock while it loads.
        onReady: () => post({ type: "ready" }),
        onPause: () => post({ type: "pause" }),
        onFile: (file) => post({ type: "progress", file }),
      });
      // Plain JSON text for the schemas: cheap to hand over, parsed where it is used.
      const base = req.relativeTo;
      const rel = (file: string) => (base && isAbsolute(file) ? relative(base, file) || file : file);
      const channels = result.set.channels.map((c) => ({ ...c, file: rel(c.file) }));
      return {
        type: "contracts",
        result: {
          set: {
            version: result.set.version,
            channelsJson: JSON.stringify(channels),
            channels: channels.map(summarizeChannel),
          },
          documents: result.documents.map((d) => ({ ...d, file: rel(d.file) })),
          diagnostics: result.diagnostics.map((d) => ({ ...d, file: rel(d.file) })),
          ...(result.cache ? { cache: result.cache } : {}),
        },
      };
    }
    post({ type: "ready" });
    post({ type: "progress", file: join(req.dir, "tree.yaml") });
    return { type: "tree", result: loadTree(req.dir, req.limits) };
  };
  run().then(post, (err: unknown) => {
    const e = err as Error & { code?: string; details?: unknown };
    post({
      type: "error",
      error: { code: e.code ?? "", message: e.message, details: isUnsError(err) ? e.details : undefined },
    });
  });
});
