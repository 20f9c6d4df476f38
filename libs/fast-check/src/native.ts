import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** The addon's surface (native/fast_check.cc). */
export interface NativeBinding {
  compile(program: Uint8Array): object;
  /** 0 valid, 1 invalid, 2 unsure, 3 not strict JSON (see Verdict in native/strings.h). */
  check(program: object, payload: Uint8Array, maxDepth: number): number;
}

export type NativeStatus = { binding: NativeBinding; path: string } | { binding: null; reason: string };

let cached: NativeStatus | undefined;

/** Load build/fast_check.node once per thread; null with the reason when it is missing or broken. */
export function loadNative(): NativeStatus {
  if (cached) return cached;
  const file = fileURLToPath(new URL("../build/fast_check.node", import.meta.url));
  if (!existsSync(file)) {
    cached = {
      binding: null,
      reason: `${file} is not built (no C++ compiler at install; build it with: node libs/fast-check/scripts/build.mjs)`,
    };
    return cached;
  }
  try {
    const binding = createRequire(import.meta.url)(file) as NativeBinding;
    cached = { binding, path: file };
  } catch (e) {
    cached = { binding: null, reason: `${file} does not load: ${(e as Error).message}` };
  }
  return cached;
}
