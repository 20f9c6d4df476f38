import { RE2JS } from "re2js";

/**
 * Regular expressions written by operators (topic tree patterns, contract `pattern` keywords)
 * run in RE2JS, a linear-time engine: V8's backtracking engine lets a pattern such as
 * `^(a+)+$` take seconds per topic level, doubling with each character, on the broker's event
 * loop. RE2 has no backreferences or lookaround; a pattern that needs them is refused at load.
 */
export interface LinearRegex {
  readonly source: string;
  /** Like `RegExp.prototype.test`: true when the pattern matches anywhere in `input`. */
  test(input: string): boolean;
  /** `/source/`: ajv tells compiled patterns apart by it. */
  toString(): string;
}

/**
 * Compile a pattern for the linear-time engine. Throws an Error whose message says what RE2
 * does not accept (the caller names the file and path).
 *
 * @example
 * compileLinearRegex("^line-[0-9]{2}$").test("line-01") // true
 * compileLinearRegex("(a)\\1") // throws: backreferences are not supported
 */
export function compileLinearRegex(source: string): LinearRegex {
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (e) {
    const detail = (e as Error).message.replace(/^error parsing regexp: /, "");
    throw new Error(
      `${detail} (patterns run in a linear-time RE2 engine: no backreferences, lookahead or lookbehind)`,
    );
  }
  // toString is the identity ajv deduplicates compiled patterns by (usePattern's scope key):
  // without it every pattern of a schema would share the first one.
  return { source, test: (input) => re.test(input), toString: () => `/${source}/` };
}

/**
 * An ajv `code.regExp` engine backed by RE2JS, so `pattern` and `patternProperties` in contract
 * schemas cannot stall a validation worker either. ajv calls it with the pattern and its flags
 * ("u"); RE2 is always Unicode-aware, so the flag changes nothing.
 */
export const ajvRegExpEngine = Object.assign(
  (pattern: string, _flags: string) => compileLinearRegex(pattern),
  {
    code: "compileLinearRegex",
  },
);
