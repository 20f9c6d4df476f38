/**
 * The loader thread: parses, resolves and compiles contracts and the topic tree away from the
 * broker's event loop. One thread per load, ended afterwards (by the caller on a timeout), so
 * whatever a hostile file makes the AsyncAPI parser do costs this thread only.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parentPort } from "node:worker_threads";
import { createError, isUnsError } from "./errors.js";
import { type LoadLimits, loadContracts } from "./load-contracts.js";
import type { LoaderRequest, LoaderResponse } from "./loader-protocol.js";
import { parseTopicTreeData } from "./topic-tree.js";

const port = parentPort;
if (!port) throw new Error("load-worker.js runs as a worker thread only");

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
        // Loading the parser (spectral and friends) takes a second or more on a busy machine and
        // depends on no file: the caller starts the clock on the files after it.
        onReady: () => post({ type: "ready" }),
        onFile: (file) => post({ type: "progress", file }),
      });
      return { type: "contracts", result };
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
