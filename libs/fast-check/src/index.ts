/**
 * @uns/fast-check: judge a JSON payload against a JSON Schema without building it, natively,
 * with ajv's verdict. It only answers "valid" or "ask ajv": callers keep ajv as the reference
 * and re-check anything not valid there (for the error list, and so ajv's verdict wins).
 *
 * @example
 * const fc = createFastChecker();
 * const check = fc.compile(schema); // undefined: unsupported schema or no native build
 * if (check?.(payload, 64) === FAST_VALID) { ... } else { ...ajv... }
 */
import { loadNative } from "./native.js";
import { type CompileOptions, compileSchema } from "./program.js";

export { type Compiled, type CompileOptions, compileSchema } from "./program.js";
export { compilePattern, type Dfa } from "./regex-dfa.js";

/** A compiled schema: the raw native verdict (0 valid, 1 invalid, 2 unsure, 3 not strict JSON). */
export type FastCheck = (payload: Uint8Array, maxDepth: number) => number;

export interface FastChecker {
  /** Whether the native checker is in use, and why not. */
  readonly status: { native: true; path: string } | { native: false; reason: string };
  /** A checker for `schema`, or undefined when the schema (or the machine) needs ajv alone. */
  compile(schema: unknown, options?: CompileOptions): FastCheck | undefined;
}

/** Raw verdicts of a FastCheck: valid; invalid (strict JSON, fails the schema); 2 unsure and 3 not strict JSON follow. */
export const FAST_VALID = 0;
export const FAST_INVALID = 1;

export interface FastCheckerOptions {
  /** "off": never use the native checker (validation.fastPath in the server's config). */
  mode?: "auto" | "off";
}

/** The fast checker of this thread (the addon loads once per thread). */
export function createFastChecker(options: FastCheckerOptions = {}): FastChecker {
  if (options.mode === "off") {
    return { status: { native: false, reason: "validation.fastPath is off" }, compile: () => undefined };
  }
  const loaded = loadNative();
  if (!loaded.binding) return { status: { native: false, reason: loaded.reason }, compile: () => undefined };
  const binding = loaded.binding;
  return {
    status: { native: true, path: loaded.path },
    compile(schema, compileOptions) {
      const c = compileSchema(schema, compileOptions);
      if ("unsupported" in c) return undefined;
      const program = binding.compile(c.program);
      return (payload, maxDepth) => binding.check(program, payload, maxDepth);
    },
  };
}
