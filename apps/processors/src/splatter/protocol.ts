import type { ModelManifest } from "../model/manifest.js";
import type { Detection } from "./detector.js";
import type { ImageRequest } from "./image-source.js";

/** Messages between the splatter processor and its worker thread. */
export type SplatterWorkerRequest =
  | { type: "load"; id: number; manifest: ModelManifest; bytes: Uint8Array }
  | { type: "score"; id: number; image: ImageRequest; root: string; maxBytes: number };

export type SplatterWorkerResponse =
  | { id: number; ok: true; loaded: true }
  | {
      id: number;
      ok: true;
      detections: Detection[];
      candidates: number;
      /** read + decode + find + model, ms. */
      timings: { readMs: number; decodeMs: number; findMs: number; modelMs: number };
    }
  | { id: number; ok: false; code: string; message: string };
