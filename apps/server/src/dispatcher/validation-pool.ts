import type { Worker } from "node:worker_threads";
import type { ContractSet } from "@uns/contracts";
import { besideModule, startWorker } from "@uns/store";
import {
  type BatchRequest,
  type BatchTally,
  FLAG_DRY_RUN,
  FLAG_OBSERVE,
  VERDICT_UNVALIDATED,
  type Verdict,
  type WorkerInbound,
  type WorkerOutbound,
} from "./protocol.js";
import { createQueue, type QueuedBatch } from "./submission-queue.js";

/** Called with a message's verdict code (protocol.ts VERDICT_*); dry runs also get the verdict in full. */
export type VerdictCallback = (verdict: number, detail?: Verdict) => void;

/** A message the pool could not have judged (its worker died or hung, or the pool closed). */
export interface LostMessage {
  channel: string;
  topic: string;
  clientId: string;
  username: string | null;
  flags: number;
  time: number;
  payload: Uint8Array;
}

export interface ValidationPoolOptions {
  size: number;
  /** Messages queued or in a worker, at most. */
  queueLength: number;
  /**
   * Payload bytes queued or in a worker, at most (workers.queueMaxBytes); default no byte bound.
   * A message is always let in when nothing waits, whatever its size, so none waits forever.
   */
  queueMaxBytes?: number;
  /** Messages per batch handed to one worker, at most. */
  batchSize: number;
  /** A batch not answered within this many ms marks its worker hung: it is replaced. */
  batchTimeoutMs: number;
  /**
   * Messages nobody waits for (monitor mode) are handed over at most this many ms after the first
   * of them arrived, together: one wake-up of one worker per window instead of one per message.
   * Messages whose verdict is awaited (enforce, ack after durable) go at once.
   */
  batchWindowMs?: number;
  /** Payload bytes a worker keeps per violation and last message (the store's cap). */
  payloadCapBytes?: number;
  /** validation.fastPath, handed to every worker (default "auto"). */
  fastPath?: "auto" | "off";
  /** The worker script; default the shipped validation worker. Tests pass fixture workers. */
  workerUrl?: URL;
  logger: { warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
}

/** Where the pool reports what happened to submitted messages (see `connect`). */
export interface PoolHandlers {
  /** What a worker counted for one batch; called before that batch's verdict callbacks. */
  onTally: (tally: BatchTally) => void;
  /** A message submitted but never judged: record it as unvalidated (exactly once). */
  onLost: (m: LostMessage, reason: string) => void;
  /** A judged message submitted with FLAG_OBSERVE (the quality service's channels). */
  onJudged?: (channel: string, topic: string, payload: Uint8Array, time: number, verdict: number) => void;
}

interface Slot {
  worker: Worker;
  busy: QueuedBatch | null;
  batchId: number;
  /** Watchdog of the batch in flight. */
  timer: NodeJS.Timeout | null;
  busyMs: number;
  restarts: number;
  /** The thread runs (it may still be loading). */
  alive: boolean;
  /** The worker said it listens: batches go to ready workers only. */
  ready: boolean;
}

export interface PoolStats {
  size: number;
  alive: number;
  queued: number;
  inFlight: number;
  capacity: number;
  /** Payload bytes waiting and in workers, and the bound on them (workers.queueMaxBytes). */
  queuedBytes: number;
  inFlightBytes: number;
  capacityBytes: number;
  restarts: number;
  /** Workers replaced because a batch outlived the watchdog. */
  hung: number;
  /** Sum of time spent validating per worker since start (ms). */
  busyMs: number[];
}

// TypeScript when the tests load src/, JavaScript from dist/ in production (see startWorker).
const shippedWorker = besideModule(import.meta.url, "validation-worker");

/** Below this many waiting messages one worker takes them all: fewer threads woken. */
const SHARE_FROM = 32;

function contractsMessage(set: ContractSet | string): WorkerInbound {
  return typeof set === "string" ? { type: "contracts", json: set } : { type: "contracts", set };
}

/**
 * A fixed pool of validation worker threads with a bounded queue. Submitting a message costs the
 * event loop a push into column arrays (no object per message); a batch goes to a worker as
 * typed arrays and one transferred buffer, and comes back as one verdict byte per message plus
 * what the worker counted. A worker that dies is replaced; a watchdog per batch replaces one
 * that does not answer in time; the messages either held are lost to validation and reported
 * through `onLost` (counted unvalidated), never counted twice.
 */
export function createValidationPool(options: ValidationPoolOptions) {
  const file = options.workerUrl ?? shippedWorker;
  const windowMs = options.batchWindowMs ?? 0;
  const queue = createQueue();
  const maxBytes = options.queueMaxBytes ?? Number.POSITIVE_INFINITY;
  let inFlight = 0;
  let inFlightBytes = 0;
  /** As an object or as JSON text (cheap to post: the workers parse it in their own thread). */
  let contracts: ContractSet | string | null = null;
  let closed = false;
  let nextBatchId = 1;
  let restarts = 0;
  let hung = 0;
  /** Enforced messages waiting for room, oldest first, each with its payload size. */
  const spaceWaiters: { bytes: number; resolve: () => void }[] = [];
  const readyWaiters: (() => void)[] = [];
  const slots: Slot[] = [];
  let handlers: PoolHandlers = {
    onTally: () => undefined,
    onLost: () => undefined,
  };

  function spawn(index: number): void {
    const worker = startWorker(file, { workerData: { fastPath: options.fastPath ?? "auto" } });
    const slot: Slot = slots[index] ?? {
      worker,
      busy: null,
      batchId: 0,
      timer: null,
      busyMs: 0,
      restarts: 0,
      alive: true,
      ready: false,
    };
    slot.worker = worker;
    slot.alive = true;
    slot.ready = false;
    slot.busy = null;
    slots[index] = slot;
    if (options.payloadCapBytes !== undefined)
      worker.postMessage({
        type: "settings",
        settings: { payloadCapBytes: options.payloadCapBytes },
      } satisfies WorkerInbound);
    if (contracts) worker.postMessage(contractsMessage(contracts));
    worker.on("message", (msg: WorkerOutbound) => {
      if (msg.type === "ready") {
        slot.ready = true;
        if (slots.every((x) => x.ready)) for (const w of readyWaiters.splice(0)) w();
        pump(true);
        return;
      }
      if (msg.type !== "results" || msg.id !== slot.batchId || !slot.busy || slot.worker !== worker) return;
      const b = slot.busy;
      if (msg.verdicts?.length !== b.count) {
        fail(slot, "validation worker answered a batch with the wrong number of verdicts");
        pump(false);
        return;
      }
      slot.busy = null;
      clearTimeout(slot.timer!);
      slot.busyMs += msg.busyMs;
      inFlight -= b.count;
      inFlightBytes -= b.bytes;
      // The counts first: whoever waits for a verdict (ack after durable) finds them recorded.
      handlers.onTally(msg.tally);
      const v = msg.verdicts;
      const details = new Map(msg.details ?? []);
      for (let i = 0; i < b.count; i++) {
        if (b.observed > 0 && b.flags[i]! & FLAG_OBSERVE)
          handlers.onJudged?.(b.channels[i]!, b.topics[i]!, b.payloads[i]!, b.times[i]!, v[i]!);
        const done = b.dones[i];
        if (done) done(v[i]!, details.get(i));
      }
      pump(false);
    });
    worker.on("error", (err) => {
      options.logger.error({ err, worker: index }, "validation worker failed; replacing it");
    });
    worker.on("exit", (code) => {
      if (slot.worker !== worker) return;
      slot.alive = false;
      slot.ready = false;
      fail(slot, `validation worker stopped (exit code ${code})`);
      if (closed) return;
      slot.restarts++;
      restarts++;
      // Back off a little if a worker keeps dying, so a poisoned contract cannot spin the CPU.
      setTimeout(
        () => {
          if (!closed) {
            spawn(index);
            pump(true);
          }
        },
        Math.min(1000, 10 * slot.restarts),
      ).unref();
    });
  }

  /** Report every message of a batch as lost (recorded unvalidated; enforce quarantines those). */
  function lose(b: QueuedBatch, reason: string): void {
    for (let i = 0; i < b.count; i++) {
      if (b.flags[i]! & FLAG_DRY_RUN) {
        b.dones[i]?.(VERDICT_UNVALIDATED, { outcome: "unvalidated", reason });
        continue;
      }
      handlers.onLost(
        {
          channel: b.channels[i]!,
          topic: b.topics[i]!,
          clientId: b.clientIds[i]!,
          username: b.usernames[i]!,
          flags: b.flags[i]!,
          time: b.times[i]!,
          payload: b.payloads[i]!,
        },
        reason,
      );
      b.dones[i]?.(VERDICT_UNVALIDATED);
    }
  }

  function fail(slot: Slot, reason: string): void {
    const b = slot.busy;
    slot.busy = null;
    if (slot.timer) clearTimeout(slot.timer);
    if (!b) return;
    inFlight -= b.count;
    inFlightBytes -= b.bytes;
    lose(b, reason);
  }

  function onHung(slot: Slot, batchId: number): void {
    if (slot.batchId !== batchId || !slot.busy || closed) return;
    hung++;
    options.logger.error(
      { worker: slots.indexOf(slot), messages: slot.busy.count, timeoutMs: options.batchTimeoutMs },
      "validation worker did not answer a batch in time; replacing it",
    );
    fail(slot, `validation worker hung: no answer within ${options.batchTimeoutMs} ms`);
    // terminate() ends even a thread stuck in a loop; its exit event respawns the slot.
    void slot.worker.terminate();
  }

  for (let i = 0; i < options.size; i++) spawn(i);

  // Messages that arrive in the same turn of the event loop (one socket read holds many) go
  // together; monitor-only batches also wait up to the window.
  let immediate = false;
  let windowTimer: NodeJS.Timeout | null = null;
  function schedule(urgent: boolean): void {
    if (urgent || windowMs <= 0 || queue.size >= options.batchSize) {
      if (immediate) return;
      immediate = true;
      setImmediate(() => {
        immediate = false;
        pump(true);
      });
      return;
    }
    if (windowTimer) return;
    windowTimer = setTimeout(() => {
      windowTimer = null;
      pump(true);
    }, windowMs);
  }

  /** Hand waiting messages to idle workers; `due`: the window is over (or nothing may wait). */
  function pump(due: boolean): void {
    if (!due && queue.urgent === 0 && queue.size < options.batchSize && windowMs > 0) {
      if (queue.size > 0) schedule(false);
      releaseSpace();
      return;
    }
    let idle = 0;
    for (const s of slots) if (s.ready && !s.busy) idle++;
    for (const slot of slots) {
      const waiting = queue.size;
      if (waiting === 0 || !contracts) break;
      if (!slot.ready || slot.busy) continue;
      const share = waiting < SHARE_FROM ? waiting : Math.ceil(waiting / idle);
      idle--;
      send(slot, queue.take(Math.min(options.batchSize, share)));
    }
    releaseSpace();
  }

  function send(slot: Slot, b: QueuedBatch): void {
    const bytes = new Uint8Array(b.bytes);
    const offsets = new Uint32Array(b.count + 1);
    let at = 0;
    for (let i = 0; i < b.count; i++) {
      const p = b.payloads[i]!;
      bytes.set(p, at);
      offsets[i] = at;
      at += p.byteLength;
    }
    offsets[b.count] = at;
    const times = Float64Array.from(b.times);
    const received = Float64Array.from(b.received);
    const flags = Uint8Array.from(b.flags);
    slot.busy = b;
    inFlight += b.count;
    inFlightBytes += b.bytes;
    slot.batchId = nextBatchId++;
    const batchId = slot.batchId;
    slot.timer = setTimeout(() => onHung(slot, batchId), options.batchTimeoutMs);
    slot.timer.unref();
    const msg: BatchRequest = {
      type: "batch",
      id: batchId,
      bytes: bytes.buffer,
      offsets,
      times,
      received,
      flags,
      channels: b.channels,
      topics: b.topics,
      clientIds: b.clientIds,
      usernames: b.usernames,
    };
    // Transferred, not cloned: the event loop pays one copy of the payloads (above), not two.
    slot.worker.postMessage(msg, [bytes.buffer, offsets.buffer, times.buffer, received.buffer, flags.buffer]);
  }

  /**
   * Room for one more message of `size` payload bytes, beside `count` messages and `bytes` bytes
   * already promised: under both bounds, or nothing held at all (a message larger than the byte
   * bound then goes alone instead of never).
   */
  function fits(size: number, count = 0, bytes = 0): boolean {
    const held = queue.size + inFlight + count;
    if (held >= options.queueLength) return false;
    const heldBytes = queue.bytes + inFlightBytes + bytes;
    return held === 0 || heldBytes + size <= maxBytes;
  }

  function releaseSpace(): void {
    // Wake, oldest first, only as many as fit together: each then submits again (a woken one that
    // finds no room waits again rather than spinning).
    let count = 0;
    let bytes = 0;
    while (spaceWaiters.length > 0 && fits(spaceWaiters[0]!.bytes, count, bytes)) {
      const w = spaceWaiters.shift()!;
      count++;
      bytes += w.bytes;
      w.resolve();
    }
  }

  return {
    /**
     * Queue a message for validation; false when the queue is full (the caller decides what that
     * means). `flags`: protocol.ts FLAG_*; `done` (optional) is called with the verdict code.
     */
    submit(
      channel: string,
      topic: string,
      clientId: string,
      username: string | null,
      flags: number,
      time: number,
      payload: Uint8Array,
      done: VerdictCallback | null,
    ): boolean {
      if (closed || !fits(payload.byteLength)) return false;
      queue.push(channel, topic, clientId, username, flags, time, payload, done);
      schedule(done !== null);
      return true;
    },
    /**
     * Judge a payload without counting it (the console's dry run): the verdict in full, or
     * undefined when the queue is full.
     */
    check(channel: string, topic: string, payload: Uint8Array): Promise<Verdict> | undefined {
      if (closed || !fits(payload.byteLength)) return undefined;
      return new Promise<Verdict>((resolve) => {
        queue.push(channel, topic, "", null, FLAG_DRY_RUN, Date.now(), payload, (_v, detail) =>
          resolve(detail ?? { outcome: "unvalidated", reason: "no verdict" }),
        );
        schedule(true);
      });
    },
    /**
     * Resolves when the queue has room again for a payload of `bytes` (backpressure for enforced
     * traffic): under workers.queueLength and workers.queueMaxBytes.
     */
    whenSpace(bytes = 0): Promise<void> {
      // Closed: submit refuses everything, so resolving would only make the caller retry forever
      // (a busy loop of promises that stalls the stop); the message stays unanswered instead.
      if (closed) return new Promise(() => undefined);
      if (spaceWaiters.length === 0 && fits(bytes)) return Promise.resolve();
      return new Promise((resolve) => spaceWaiters.push({ bytes, resolve }));
    },
    /**
     * Resolves when every worker has loaded and listens, or after `timeoutMs` (a worker that
     * cannot load keeps being replaced and shows in health; the broker still starts).
     */
    ready(timeoutMs = 30_000): Promise<void> {
      if (slots.every((s) => s.ready)) return Promise.resolve();
      return new Promise((resolve) => {
        readyWaiters.push(resolve);
        setTimeout(resolve, timeoutMs).unref();
      });
    },
    /** A `ContractSet`, or one as JSON text (what governance keeps: no clone of 1,000 schemas). */
    setContracts(set: ContractSet | string): void {
      contracts = set;
      const message = contractsMessage(set);
      for (const s of slots) if (s.alive) s.worker.postMessage(message);
      pump(true);
    },
    /** Where tallies, lost messages and observed verdicts go (the publish pipeline connects itself). */
    connect(h: PoolHandlers): void {
      handlers = h;
    },
    /** Hand over what waits for the window now (before a flush or a stop). */
    drain(): void {
      pump(true);
    },
    stats(): PoolStats {
      return {
        size: options.size,
        alive: slots.filter((s) => s.ready).length,
        queued: queue.size,
        inFlight,
        capacity: options.queueLength,
        queuedBytes: queue.bytes,
        inFlightBytes,
        capacityBytes: maxBytes,
        restarts,
        hung,
        busyMs: slots.map((s) => s.busyMs),
      };
    },
    async close(): Promise<void> {
      closed = true;
      if (windowTimer) clearTimeout(windowTimer);
      if (queue.size > 0) lose(queue.take(queue.size), "server stopping");
      for (const s of slots) if (s.timer) clearTimeout(s.timer);
      await Promise.all(slots.map((s) => s.worker.terminate()));
      for (const w of spaceWaiters.splice(0)) w.resolve();
      for (const w of readyWaiters.splice(0)) w();
    },
  };
}

export type ValidationPool = ReturnType<typeof createValidationPool>;
