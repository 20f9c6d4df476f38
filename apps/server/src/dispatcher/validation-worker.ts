/**
 * A validation worker thread. It receives the contract set (plain data) and batches of messages
 * as columns (payloads packed into one transferred buffer), judges each message and counts it
 * (worker-tally.ts), and answers with one verdict byte per message and the batch's tally. JSON
 * parsing and counting happen here, never on the broker's event loop.
 */
import { parentPort, workerData } from "node:worker_threads";
import { type ChannelSpec, type ContractSet, createValidator, type ValidationResult } from "@uns/contracts";
import {
  type BatchRequest,
  type BatchResult,
  FLAG_DRY_RUN,
  VERDICT_INVALID,
  VERDICT_UNVALIDATED,
  VERDICT_VALID,
  type Verdict,
  type WorkerInbound,
  type WorkerOutbound,
} from "./protocol.js";
import { createWorkerTally } from "./worker-tally.js";

if (!parentPort) throw new Error("validation-worker must run in a worker thread");
const port = parentPort;

let validator: ReturnType<typeof createValidator> | null = null;
let contracts = new Map<string, Pick<ChannelSpec, "file" | "version" | "title">>();
const tally = createWorkerTally(64 * 1024);
// validation.fastPath from the pool: "auto" puts the native checker before ajv (@uns/fast-check).
const fastPath: "auto" | "off" = (workerData as { fastPath?: "auto" | "off" } | null)?.fastPath ?? "auto";

/** The verdict on one payload: the one place a validator is called. */
function judge(channel: string, topic: string, payload: Uint8Array): Verdict {
  if (!validator) return { outcome: "unvalidated", reason: "no contracts loaded in this worker yet" };
  try {
    return validator.validate(channel, topic, payload) as ValidationResult;
  } catch (err) {
    // A validator bug must cost one message its verdict, not the whole worker.
    return { outcome: "unvalidated", reason: `validator failed: ${(err as Error).message}` };
  }
}

function validateBatch(batch: BatchRequest): BatchResult {
  const start = performance.now();
  const bytes = new Uint8Array(batch.bytes);
  const n = batch.channels.length;
  const verdicts = new Uint8Array(n);
  const now = Date.now();
  const details: [number, Verdict][] = [];
  for (let i = 0; i < n; i++) {
    const payload = bytes.subarray(batch.offsets[i]!, batch.offsets[i + 1]!);
    const channel = batch.channels[i]!;
    const topic = batch.topics[i]!;
    const verdict = judge(channel, topic, payload);
    verdicts[i] =
      verdict.outcome === "valid"
        ? VERDICT_VALID
        : verdict.outcome === "invalid"
          ? VERDICT_INVALID
          : VERDICT_UNVALIDATED;
    if (batch.flags[i]! & FLAG_DRY_RUN) {
      details.push([i, verdict]);
      continue;
    }
    tally.add(
      {
        time: batch.times[i]!,
        receivedAt: batch.received[i]!,
        flags: batch.flags[i]!,
        channel,
        contract: contracts.get(channel) ?? null,
        topic,
        clientId: batch.clientIds[i]!,
        username: batch.usernames[i] ?? null,
        payload,
      },
      verdict,
      now,
    );
  }
  return {
    type: "results",
    id: batch.id,
    verdicts,
    tally: tally.cut(now),
    details,
    busyMs: performance.now() - start,
  };
}

port.on("message", (msg: WorkerInbound) => {
  if (msg.type === "contracts") {
    const set = "json" in msg ? (JSON.parse(msg.json) as ContractSet) : msg.set;
    validator = createValidator(set, { fastPath });
    contracts = new Map(
      set.channels.map((c) => [c.id, { file: c.file, version: c.version, title: c.title }]),
    );
    return;
  }
  if (msg.type === "settings") {
    tally.setPayloadCap(msg.settings.payloadCapBytes);
    return;
  }
  const reply = validateBatch(msg);
  port.postMessage(reply satisfies WorkerOutbound, [reply.verdicts.buffer as ArrayBuffer]);
});

// Batches are sent only once the worker listens, so loading time never counts against the
// pool's batch watchdog.
port.postMessage({ type: "ready" } satisfies WorkerOutbound);
