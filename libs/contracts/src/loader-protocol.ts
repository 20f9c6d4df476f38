import type { TransferredContracts } from "./contract-set.js";
import type { Diagnostic } from "./diagnostics.js";
import type { CacheStats } from "./load-cache.js";
import type { LoadedDocument, LoadLimits } from "./load-contracts.js";
import type { TopicTreeData } from "./topic-tree.js";

/** What the broker asks the loader thread (load-worker.ts). */
export type LoaderRequest =
  /** `relativeTo`: name files relative to this folder in everything returned. */
  | { kind: "contracts"; dir: string; limits: LoadLimits; relativeTo?: string; cacheDir?: string }
  | { kind: "tree"; dir: string; limits: LoadLimits };

/**
 * What the loader thread answers: `ready` once its code is loaded (the timeout starts then),
 * `pause` while it loads the AsyncAPI parser (the clock stops; `ready` again after it),
 * `progress` naming the file it starts on (for timeout messages), then the result.
 */
export type LoaderResponse =
  | { type: "ready" }
  | { type: "pause" }
  | { type: "progress"; file: string }
  | {
      type: "contracts";
      result: {
        set: TransferredContracts;
        documents: LoadedDocument[];
        diagnostics: Diagnostic[];
        cache?: CacheStats;
      };
    }
  | { type: "tree"; result: TopicTreeData }
  | { type: "error"; error: { code: string; message: string; details?: unknown } };
