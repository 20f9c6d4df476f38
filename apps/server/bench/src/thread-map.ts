import { readdirSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import worker_threads from "node:worker_threads";

/**
 * Which OS thread of the broker child is which worker thread. Node 20 names every thread "node"
 * in /proc/<pid>/task/<tid>/comm, so the bench cannot tell the validation workers from the store
 * writer from outside. A worker's thread is created inside `new Worker()` (uv_thread_create in
 * the constructor), so the task ids that appear across the constructor call are that worker's.
 * Installed before the server is imported, it sees every worker the server starts, without any
 * code in the workers themselves.
 */

export type ThreadRole = "validation" | "store" | "contracts" | "worker";

export interface MappedThread {
  tid: number;
  role: ThreadRole;
  /** The worker's script (file name, or "eval" for a TypeScript boot). */
  script: string;
  /** Worker.threadId. */
  threadId: number;
  /** More than one new task appeared across the constructor (a pool thread started alongside). */
  ambiguous: boolean;
}

const mapped: MappedThread[] = [];

function tids(): Set<number> {
  try {
    return new Set(readdirSync("/proc/self/task").map(Number));
  } catch {
    return new Set();
  }
}

function roleOf(script: string): ThreadRole {
  if (script.includes("validation-worker")) return "validation";
  if (script.includes("store-worker")) return "store";
  if (script.includes("load-worker") || script.includes("contracts") || script.includes("isolated"))
    return "contracts";
  return "worker";
}

export function installThreadMap(): void {
  const Original = worker_threads.Worker;
  class MappedWorker extends Original {
    constructor(filename: string | URL, options?: worker_threads.WorkerOptions) {
      const before = tids();
      super(filename, options);
      const script = options?.eval ? String(filename).slice(0, 200) : String(filename);
      const fresh = [...tids()].filter((t) => !before.has(t)).sort((a, b) => a - b);
      // The worker's own thread is the first one created; a libuv pool start can add more.
      if (fresh.length > 0)
        mapped.push({
          tid: fresh[0]!,
          role: roleOf(script),
          script: script.split("/").pop() ?? script,
          threadId: this.threadId,
          ambiguous: fresh.length > 1,
        });
    }
  }
  (worker_threads as { Worker: typeof Original }).Worker = MappedWorker;
  // ESM `import { Worker } from "node:worker_threads"` reads the builtin's exports: update them.
  syncBuiltinESMExports();
}

/** The workers seen so far (a replaced worker's dead thread stays in the list; its task is gone). */
export function threadMap(): MappedThread[] {
  return mapped.slice();
}
