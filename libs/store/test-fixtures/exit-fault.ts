/**
 * Fixture part of exiting-store-worker.ts: a batch holding a topic `__exit__` ends the
 * thread before it is ingested (a worker dying with results in its hands).
 */
import { parentPort } from "node:worker_threads";
import type { ToStoreWorker } from "../src/store-protocol.js";

parentPort!.on("message", (m: ToStoreWorker) => {
  if (m.type === "batch" && m.batch.lastMessages.some((r) => r.topic === "__exit__")) process.exit(7);
});
