/**
 * The compliance store's own thread. PGlite runs its WASM synchronously, and building and
 * writing a batch takes tens of milliseconds: on the broker's event loop that is a latency spike
 * for every client. Here it only costs this thread.
 */
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { parentPort } from "node:worker_threads";
import { openStore } from "./store.js";
import { type FromStoreWorker, serializeError, type ToStoreWorker } from "./store-protocol.js";
import type { StoreLogger } from "./types.js";

if (!parentPort) throw new Error("store-worker must run in a worker thread");

// Writing results is background work: on a busy core the broker's event loop goes first and the
// writer takes what is left (results wait in memory or in the spool meanwhile). On Linux a
// thread's priority is set through its own thread id (/proc/thread-self); elsewhere this is a no-op.
try {
  const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
  if (Number.isInteger(tid)) setPriority(tid, 19);
} catch {
  // not Linux, or not allowed: the writer keeps the normal priority
}
const port = parentPort;
const send = (m: FromStoreWorker) => port.postMessage(m);

const logger: StoreLogger = {
  info: (obj, msg) => send({ type: "log", level: "info", obj: plain(obj), msg }),
  warn: (obj, msg) => send({ type: "log", level: "warn", obj: plain(obj), msg }),
  error: (obj, msg) => send({ type: "log", level: "error", obj: plain(obj), msg }),
};

/** Log fields must survive structured cloning (errors and functions do not). */
function plain(obj: object): object {
  try {
    return JSON.parse(JSON.stringify(obj, (_k, v) => (v instanceof Error ? v.message : v)));
  } catch {
    return {};
  }
}

let store: Awaited<ReturnType<typeof openStore>> | null = null;
let healthTimer: NodeJS.Timeout | null = null;

port.on("message", async (m: ToStoreWorker) => {
  if (m.type === "open") {
    try {
      store = await openStore(
        { ...m.options, logger },
        { recoverOutcomeLog: m.recoverOutcomeLog === true, onSettled: (id) => send({ type: "settled", id }) },
      );
      healthTimer = setInterval(() => store && send({ type: "health", health: store.health() }), 200);
      send({ type: "opened" });
    } catch (err) {
      send({ type: "open-failed", error: serializeError(err) });
    }
    return;
  }
  if (!store) return;
  if (m.type === "batch") {
    store.ingest(m.batch);
    return;
  }
  const s = store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  try {
    const fn = s[m.method];
    if (typeof fn !== "function") throw new Error(`no store method ${m.method}`);
    const value = await fn.apply(store, m.args);
    if (m.method === "close" && healthTimer) clearInterval(healthTimer);
    send({ type: "result", id: m.id, value, health: store.health() });
  } catch (err) {
    send({ type: "result", id: m.id, error: serializeError(err), health: store.health() });
  }
});
