/**
 * Memory of every V8 isolate of a process, asked for over a BroadcastChannel (see footprint.ts).
 * `installProbe(role)` runs first in each worker thread (footprint.ts wraps the worker's entry);
 * the main thread asks with `sampleThreads()`. Node 20 has no `worker.getHeapStatistics()`, so
 * each isolate reports its own.
 */
import { getHeapSpaceStatistics, getHeapStatistics } from "node:v8";
import { BroadcastChannel, isMainThread, threadId } from "node:worker_threads";

const CHANNEL = "uns-footprint";

export interface IsolateMemory {
  role: string;
  threadId: number;
  /** Committed and resident heap pages of the isolate (bytes). */
  heapPhysical: number;
  heapUsed: number;
  /** New space (the young generation's semi-spaces), resident bytes. */
  newSpace: number;
  oldSpace: number;
  codeSpace: number;
  largeObjects: number;
  /** Memory outside the heap held by the isolate's objects (Buffers, ArrayBuffers), bytes. */
  external: number;
  /** V8's own malloc'd memory (compiler zones and the like), bytes. */
  malloced: number;
}

export function isolateMemory(role: string): IsolateMemory {
  const h = getHeapStatistics();
  const spaces = new Map(getHeapSpaceStatistics().map((s) => [s.space_name, s.physical_space_size]));
  const mu = process.memoryUsage();
  return {
    role,
    threadId,
    heapPhysical: h.total_physical_size,
    heapUsed: h.used_heap_size,
    newSpace: spaces.get("new_space") ?? 0,
    oldSpace: spaces.get("old_space") ?? 0,
    codeSpace: spaces.get("code_space") ?? 0,
    largeObjects: (spaces.get("large_object_space") ?? 0) + (spaces.get("new_large_object_space") ?? 0),
    external: mu.external,
    malloced: h.malloced_memory,
  };
}

/** In a worker: answer every sample request with this isolate's memory. */
export function installProbe(role: string): void {
  const bc = new BroadcastChannel(CHANNEL);
  // Never keeps a thread alive that would otherwise end (the initdb thread, the contract loader).
  bc.unref();
  bc.onmessage = (e) => {
    const m = (e as MessageEvent).data as { type: string; id: number };
    if (m?.type === "sample") bc.postMessage({ type: "memory", id: m.id, memory: isolateMemory(role) });
  };
}

let main: BroadcastChannel | null = null;
let nextId = 1;

/**
 * The main thread's isolate and every worker's that answers within `waitMs` (a worker busy in
 * a long synchronous step, PGlite's WASM, answers late and is left out of this sample).
 */
export async function sampleThreads(waitMs = 100): Promise<IsolateMemory[]> {
  if (!isMainThread) throw new Error("sampleThreads: main thread only");
  main ??= new BroadcastChannel(CHANNEL);
  main.unref();
  const id = nextId++;
  const out: IsolateMemory[] = [isolateMemory("main")];
  const channel = main;
  const onMessage = (e: Event) => {
    const m = (e as MessageEvent).data as { type: string; id: number; memory: IsolateMemory };
    if (m?.type === "memory" && m.id === id) out.push(m.memory);
  };
  channel.addEventListener("message", onMessage);
  channel.postMessage({ type: "sample", id });
  await new Promise((r) => setTimeout(r, waitMs));
  channel.removeEventListener("message", onMessage);
  return out;
}
