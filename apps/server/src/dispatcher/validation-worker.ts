/**
 * A validation worker thread. It receives the contract set (plain data) and batches of
 * messages packed into one transferred buffer, and answers with one result per message.
 * JSON.parse dominates the cost of a 4 KB payload, which is why it happens here and never on
 * the broker's event loop.
 */
import { parentPort, workerData } from "node:worker_threads";
import { type ContractSet, createValidator, type ValidationResult } from "@uns/contracts";
import type { BatchRequest, WorkerInbound, WorkerOutbound } from "./protocol.js";

if (!parentPort) throw new Error("validation-worker must run in a worker thread");
const port = parentPort;

let validator: ReturnType<typeof createValidator> | null = null;
// validation.fastPath from the pool: "auto" puts the native checker before ajv (@uns/fast-check).
const fastPath: "auto" | "off" = (workerData as { fastPath?: "auto" | "off" } | null)?.fastPath ?? "auto";

function validateBatch(batch: BatchRequest): ValidationResult[] {
  const bytes = Buffer.from(batch.bytes, "latin1");
  const results: ValidationResult[] = new Array(batch.channels.length);
  for (let i = 0; i < batch.channels.length; i++) {
    const payload = bytes.subarray(batch.offsets[i]!, batch.offsets[i + 1]!);
    if (!validator) {
      results[i] = unvalidated("no contracts loaded in this worker yet");
      continue;
    }
    try {
      results[i] = validator.validate(batch.channels[i]!, batch.topics[i]!, payload);
    } catch (err) {
      // A validator bug must cost one message its verdict, not the whole worker.
      results[i] = unvalidated(`validator failed: ${(err as Error).message}`);
    }
  }
  return results;
}

function unvalidated(reason: string): ValidationResult {
  return { outcome: "unvalidated", reason } as unknown as ValidationResult;
}

port.on("message", (msg: WorkerInbound) => {
  if (msg.type === "contracts") {
    validator = createValidator("json" in msg ? (JSON.parse(msg.json) as ContractSet) : msg.set, {
      fastPath,
    });
    return;
  }
  const start = performance.now();
  const results = validateBatch(msg);
  const reply: WorkerOutbound = { type: "results", id: msg.id, results, busyMs: performance.now() - start };
  port.postMessage(reply);
});

// Batches are sent only once the worker listens, so loading time never counts against the
// pool's batch watchdog.
port.postMessage({ type: "ready" } satisfies WorkerOutbound);
