import type { ModelManifest } from "../model/manifest.js";
import type { Detection } from "./detector.js";
import type { ImageRequest } from "./image-source.js";

/**
 * Messages between the splatter processor and its worker threads. A worker holds every loaded
 * model version by key (the live one, a canary, a shadow). A `score` request decodes the image
 * once and runs `keys[0]` (the version whose answer is published), replying at once; then, on the
 * same pixels, the other keys (shadow, or the live version beside a canary, for comparison),
 * replying a second time with `extra: true`. Unload is fire-and-forget.
 */
export type SplatterWorkerRequest =
  | { type: "load"; id: number; key: string; manifest: ModelManifest; bytes: Uint8Array }
  | { type: "unload"; key: string }
  | { type: "score"; id: number; keys: string[]; image: ImageRequest; root: string; maxBytes: number };

export interface ScoredBy {
  key: string;
  detections: Detection[];
  candidates: number;
  findMs: number;
  modelMs: number;
  /** This version failed on the image (the others may still have run). */
  error?: string;
}

export type SplatterWorkerResponse =
  | { id: number; ok: true; loaded: true }
  | {
      id: number;
      ok: true;
      /** The primary version's answer (extra: false), or the other versions' (extra: true). */
      extra: boolean;
      /** On the primary answer: a second reply with the extra versions follows. */
      more?: boolean;
      scored: ScoredBy[];
      /** read (+ checksum) and decode, ms; the same for every version. */
      timings: { readMs: number; decodeMs: number };
    }
  | { id: number; ok: false; code: string; message: string; more?: boolean };
