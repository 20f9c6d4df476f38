/**
 * The one way to make an error in UNS, used by every package.
 *
 * Each package keeps a registry of its codes (`UNS_ERR_<AREA>_<WHAT>`, never reused) with what
 * each means, how to fix it and, where the error can reach the API, its HTTP status.
 * `defineErrors` turns a registry into a `createError` that accepts only those codes.
 * docs/errors.md is generated from the registries; a test keeps it complete.
 *
 * @example
 * const { createError } = defineErrors({
 *   UNS_ERR_TREE_INVALID: { message: "The topic tree is invalid.", fix: "Fix the file at the line given." },
 * });
 * throw createError("UNS_ERR_TREE_INVALID", "topics/tree.yaml:3:5 naming.maxDepth: must be an integer");
 */

export interface ErrorCodeInfo {
  /** What happened, in one sentence. */
  message: string;
  /** What the operator should do about it. */
  fix: string;
  /** HTTP status, when the error can reach the API. */
  status?: number;
}

export type ErrorRegistry = Record<string, ErrorCodeInfo>;

export interface CreateErrorOptions {
  cause?: unknown;
  details?: unknown;
  /** HTTP status; default the registry's. */
  statusCode?: number;
}

export class UnsError<Code extends string = string> extends Error {
  readonly code: Code;
  statusCode?: number;
  details?: unknown;

  constructor(code: Code, message: string, options: CreateErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "UnsError";
    this.code = code;
    if (options.statusCode !== undefined) this.statusCode = options.statusCode;
    if (options.details !== undefined) this.details = options.details;
  }
}

/** A `createError` that accepts the registry's codes only, with their HTTP status by default. */
export function defineErrors<const R extends ErrorRegistry>(registry: R) {
  return {
    codes: registry,
    createError(
      code: keyof R & string,
      message: string,
      options: CreateErrorOptions = {},
    ): UnsError<keyof R & string> {
      const statusCode = options.statusCode ?? registry[code]?.status;
      return new UnsError(code, message, statusCode === undefined ? options : { ...options, statusCode });
    },
  };
}

export function isUnsError(value: unknown): value is UnsError {
  return value instanceof UnsError;
}

/** The message, with the code appended when the message does not name it. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === "string" && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}

/**
 * Codes of the apps that the docs generator cannot import (apps do not import apps): the
 * console's and the simulator's. They live here so that docs/errors.md lists them too.
 */
export const clientErrorCodes = {
  UNS_ERR_CONSOLE_OFFLINE: {
    message: "The console cannot reach the UNS server.",
    fix: "Check that the server runs and that the browser reaches its HTTP port.",
  },
  UNS_ERR_CONSOLE_HTTP: {
    message: "The server answered the console with an error that carries no UNS code (a proxy in between?).",
    fix: "See the status in the message; check what sits between the browser and the server.",
  },
  UNS_ERR_SIM_USAGE: {
    message: "The simulator's command line is not understood.",
    fix: "Run `pnpm simulate -- --help`.",
  },
  UNS_ERR_SIM_CONFIG: {
    message: "The plant file given to the simulator is invalid; every problem is listed.",
    fix: "Correct the listed fields; apps/simulator/plant.example.yaml shows every field.",
  },
} as const satisfies ErrorRegistry;
