import {
  createFastChecker,
  FAST_INVALID,
  FAST_VALID,
  type FastCheck,
  type FastChecker,
} from "@uns/fast-check";
import { Ajv, type Options as AjvOptions, type ErrorObject, type ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { extractParameters, type ParsedAddress, parseAddress } from "./channel-address.js";
import type { ChannelSpec, ContractSet, JSONSchema, MessageSpec } from "./contract-set.js";
import { findDuplicateKey, hasUtf8Bom } from "./json-strict.js";
import { ajvRegExpEngine } from "./linear-regex.js";
import { createLru } from "./lru.js";
import { classifySchemaFormat, dialectOf } from "./schema-convert.js";

/** One problem with a payload or topic, in ajv's shape (docs/design.md, Validation). */
export interface ValidationError {
  instancePath: string;
  keyword: string;
  message: string;
  schemaPath?: string;
  params?: object;
}

export type ValidationKind = "schema" | "not-json" | "unsupported-format" | "topic-parameter" | "too-large";

export type ValidationResult =
  | { outcome: "valid"; message: string }
  | {
      outcome: "invalid";
      kind: ValidationKind;
      /** The message whose errors are reported (the closest one when several were tried). */
      message?: string;
      errors: ValidationError[];
      /** Names of the messages the payload was checked against. */
      tried?: string[];
    };

export interface ValidatorOptions {
  /** Payloads larger than this many bytes are refused (kind "too-large") without parsing (default: no limit). */
  maxPayloadBytes?: number;
  /** Payloads nested deeper than this many arrays/objects are refused before parsing (default 64). */
  maxDepth?: number;
  /** At most this many errors are reported per result (default 50). */
  maxErrors?: number;
  /** Entries in the per channel+topic cache of topic parameter verdicts (default 50 000). */
  topicCacheEntries?: number;
  /**
   * "auto" (default): payloads are first judged by the native checker compiled from each schema
   * it fully supports (@uns/fast-check); only what it does not call valid goes through
   * JSON.parse and ajv, whose verdict stands. "off": ajv only.
   */
  fastPath?: "auto" | "off";
}

/** Which payload checker a validator built with `fastPath` uses on this machine, and why. */
export function fastPathStatus(fastPath: "auto" | "off" = "auto"): FastChecker["status"] {
  return createFastChecker({ mode: fastPath }).status;
}

export interface Validator {
  /** The contract set version this validator was built for. */
  readonly version: string;
  /**
   * Validate a PUBLISH payload for a channel: topic parameters first, then the payload against
   * each message of the channel (valid when any matches). Never throws.
   *
   * @example
   * const v = createValidator(set);
   * v.validate("weldSpot", "acme/neckarsulm/body-shop/line-01/cell-02/weld-spot", payload)
   * // { outcome: "valid", message: "weldSpot" }
   */
  validate(channelId: string, topic: string, payload: Uint8Array): ValidationResult;
  /** Validate an already parsed value (e.g. a message example); optionally against one message only. */
  validateValue(channelId: string, value: unknown, messageName?: string): ValidationResult;
  hasChannel(channelId: string): boolean;
  /**
   * The native checkers the payloads of a channel meet first, in message order; undefined when
   * the channel is checked by ajv alone. For the differential test and the bench.
   */
  fastChecks(channelId: string): Array<{ name: string; check: FastCheck }> | undefined;
  /**
   * `validate`'s verdict when the native checker reaches it alone (the payload is valid), else
   * undefined: the channel is ajv-only, the topic or size is refused, or the payload needs ajv's
   * judgement. Never parses the payload; for judging on the broker's event loop.
   */
  validateFast(channelId: string, topic: string, payload: Uint8Array): ValidationResult | undefined;
}

type Dialect = "draft-07" | "2019-09" | "2020-12";

interface CompiledMessage {
  spec: MessageSpec;
  /** Set when the message can be checked. */
  fn?: ValidateFunction;
  /** Set when it cannot: unsupported format or a schema that does not compile. */
  problem?: ValidationError;
  /** The native checker for the payload schema, when it supports every keyword in it. */
  fast?: FastCheck;
}

interface CompiledChannel {
  spec: ChannelSpec;
  address: ParsedAddress | null;
  parameters: Array<{ name: string; fn: ValidateFunction }>;
  messages: CompiledMessage[];
  /** A message without payload schema accepts anything. */
  openMessage?: string;
  /** Some message has a compiled payload schema, so payloads are worth parsing. */
  checkable: boolean;
  /** Set when a parameter schema does not compile: every message on the channel is unverifiable. */
  broken?: ValidationResult;
  /** Every message has a native checker: payloads are judged by them first (in message order). */
  fast?: Array<{ name: string; check: FastCheck }>;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Build a validator for a contract set. Channels are compiled with ajv on first use and kept;
 * build a new validator when the set's version changes.
 */
export function createValidator(set: ContractSet, options: ValidatorOptions = {}): Validator {
  const maxDepth = options.maxDepth ?? 64;
  const maxErrors = options.maxErrors ?? 50;
  const maxPayloadBytes = options.maxPayloadBytes ?? Number.POSITIVE_INFINITY;
  const fastChecker = createFastChecker({ mode: options.fastPath ?? "auto" });
  const specs = new Map(set.channels.map((c) => [c.id, c]));
  const compiled = new Map<string, CompiledChannel>();
  const instances = new Map<string, Ajv>();
  // Topics repeat far more than payloads do, so the topic parameter verdict is memoised.
  // Hot path: read with peek (no reordering on a hit), so the cap evicts the oldest entry;
  // the working set of a plant is far below it, and a miss only costs a recomputation.
  const topicVerdicts = createLru<string, ValidationResult | null>(options.topicCacheEntries ?? 50_000);

  function ajvFor(dialect: Dialect, coerce = false): Ajv {
    const key = `${dialect}${coerce ? "+coerce" : ""}`;
    let ajv = instances.get(key);
    if (!ajv) {
      // logger: false because unknown formats and keywords (allowed by strict: false) would
      // otherwise be printed by ajv on every compile.
      const opts: AjvOptions = {
        allErrors: true,
        strict: false,
        validateFormats: true,
        logger: false,
        coerceTypes: coerce,
        // `pattern` / `patternProperties` (payloads and topic parameters) in linear time: a
        // backtracking pattern in a contract must not stall a worker (enforce traffic waits on it).
        code: { regExp: ajvRegExpEngine },
      };
      ajv =
        dialect === "2020-12" ? new Ajv2020(opts) : dialect === "2019-09" ? new Ajv2019(opts) : new Ajv(opts);
      addFormats.default(ajv);
      instances.set(key, ajv);
    }
    return ajv;
  }

  function compileSchema(schema: JSONSchema, dialect: Dialect, coerce = false): ValidateFunction {
    // The dialect picks the ajv class; `$schema` itself goes, as ajv knows only its own meta-schemas.
    let body = schema;
    if (typeof schema === "object" && "$schema" in schema) {
      const { $schema: _ignored, ...rest } = schema;
      body = rest;
    }
    return ajvFor(dialect, coerce).compile(body);
  }

  function compileChannel(spec: ChannelSpec): CompiledChannel {
    const ch: CompiledChannel = {
      spec,
      address: spec.address === null ? null : parseAddress(spec.address),
      parameters: [],
      messages: [],
      checkable: false,
    };
    for (const [name, schema] of Object.entries(spec.parameters)) {
      if (schema === null) continue;
      try {
        // Topic levels are strings; coerce so a 2.x `type: integer` parameter accepts "42".
        // Ajv cannot coerce a root value, hence the wrapper object.
        const fn = compileSchema({ type: "object", properties: { value: schema } }, "draft-07", true);
        ch.parameters.push({ name, fn });
      } catch (e) {
        ch.broken = {
          outcome: "invalid",
          kind: "unsupported-format",
          errors: [
            {
              instancePath: "",
              keyword: "schema-compile",
              message: `the schema of topic parameter "${name}" does not compile: ${(e as Error).message}`,
              params: { parameter: name },
            },
          ],
        };
      }
    }
    for (const m of spec.messages) {
      const entry: CompiledMessage = { spec: m };
      if (!m.supported) {
        entry.problem = {
          instancePath: "",
          keyword: "unsupported-format",
          message: `message "${m.name}": ${m.unsupportedReason ?? `schemaFormat ${m.schemaFormat} is not supported`}`,
          params: { message: m.name, schemaFormat: m.schemaFormat },
        };
      } else if (m.payload === null) {
        ch.openMessage ??= m.name;
      } else {
        const format = classifySchemaFormat(m.schemaFormat);
        const fallback: Dialect = format.kind === "json-schema" ? format.dialect : "draft-07";
        try {
          const dialect = dialectOf(m.payload, fallback);
          entry.fn = compileSchema(m.payload, dialect);
          const ajv = ajvFor(dialect);
          entry.fast = fastChecker.compile(m.payload, { isKeyword: (k) => ajv.getKeyword(k) !== false });
        } catch (e) {
          entry.problem = {
            instancePath: "",
            keyword: "schema-compile",
            message: `message "${m.name}": the payload schema does not compile: ${(e as Error).message}`,
            params: { message: m.name },
          };
        }
      }
      ch.messages.push(entry);
    }
    ch.checkable = ch.messages.some((m) => m.fn !== undefined);
    if (ch.messages.length > 0 && ch.messages.every((m) => m.fn && m.fast)) {
      ch.fast = ch.messages.map((m) => ({ name: m.spec.name, check: m.fast! }));
    }
    return ch;
  }

  function get(channelId: string): CompiledChannel | undefined {
    let ch = compiled.get(channelId);
    if (!ch) {
      const spec = specs.get(channelId);
      if (!spec) return undefined;
      ch = compileChannel(spec);
      compiled.set(channelId, ch);
    }
    return ch;
  }

  function unknownChannel(channelId: string): ValidationResult {
    return {
      outcome: "invalid",
      kind: "unsupported-format",
      errors: [
        {
          instancePath: "",
          keyword: "channel",
          message: `no channel "${channelId}" in contract set ${set.version.slice(0, 12)}`,
          params: { channel: channelId },
        },
      ],
    };
  }

  function checkTopic(ch: CompiledChannel, topic: string): ValidationResult | undefined {
    if (ch.address === null || ch.address.parameters.length === 0) return undefined;
    const key = `${ch.spec.id}\u0000${topic}`;
    const cached = topicVerdicts.peek(key);
    if (cached !== undefined) return cached ?? undefined;
    const verdict = checkTopicUncached(ch, ch.address, topic);
    topicVerdicts.set(key, verdict ?? null);
    return verdict;
  }

  function checkTopicUncached(
    ch: CompiledChannel,
    address: ParsedAddress,
    topic: string,
  ): ValidationResult | undefined {
    const values = extractParameters(address, topic.split("/"));
    if (values === null) {
      return {
        outcome: "invalid",
        kind: "topic-parameter",
        errors: [
          {
            instancePath: "",
            keyword: "address",
            message: `topic "${topic}" does not have the shape of the channel address "${ch.spec.address}"`,
            params: { address: ch.spec.address },
          },
        ],
      };
    }
    const errors: ValidationError[] = [];
    for (const { name, fn } of ch.parameters) {
      const value = values[name];
      if (value === undefined) continue;
      if (fn({ value })) continue;
      for (const e of fn.errors ?? []) {
        errors.push({
          instancePath: "",
          keyword: e.keyword,
          message: `topic parameter "${name}" value "${value}" ${e.message ?? "is not valid"}`,
          schemaPath: e.schemaPath.replace(/^#\/properties\/value/, "#"),
          params: { ...e.params, parameter: name, value },
        });
      }
    }
    return errors.length
      ? { outcome: "invalid", kind: "topic-parameter", errors: errors.slice(0, maxErrors) }
      : undefined;
  }

  function checkValue(ch: CompiledChannel, value: unknown, only?: string): ValidationResult {
    const candidates = only === undefined ? ch.messages : ch.messages.filter((m) => m.spec.name === only);
    if (candidates.length === 0) {
      // A channel without messages constrains nothing; an unknown `only` is a caller mistake.
      return only === undefined
        ? { outcome: "valid", message: "" }
        : {
            outcome: "invalid",
            kind: "unsupported-format",
            errors: [
              {
                instancePath: "",
                keyword: "message",
                message: `channel "${ch.spec.id}" has no message "${only}"`,
              },
            ],
          };
    }
    let best: { name: string; errors: ErrorObject[] } | undefined;
    let open: string | undefined;
    const tried: string[] = [];
    const problems: CompiledMessage[] = [];
    for (const m of candidates) {
      if (!m.fn) {
        if (m.problem) problems.push(m);
        else open ??= m.spec.name; // no payload schema: accepts anything
        continue;
      }
      tried.push(m.spec.name);
      if (m.fn(value)) return { outcome: "valid", message: m.spec.name };
      // ajv reuses fn.errors on the next call, so keep a copy.
      const errors = m.fn.errors ?? [];
      if (!best || errors.length < best.errors.length) best = { name: m.spec.name, errors: [...errors] };
    }
    if (open !== undefined) return { outcome: "valid", message: open };
    if (problems.length > 0) {
      // Some message could not be checked and none of the others matched: the payload may well
      // be that message, so it cannot be called invalid against a schema.
      return {
        outcome: "invalid",
        kind: "unsupported-format",
        ...(problems.length === 1 ? { message: problems[0]!.spec.name } : {}),
        errors: problems.slice(0, maxErrors).map((m) => m.problem!),
        tried,
      };
    }
    return {
      outcome: "invalid",
      kind: "schema",
      message: best!.name,
      errors: best!.errors.slice(0, maxErrors).map(toValidationError),
      tried,
    };
  }

  return {
    version: set.version,
    hasChannel: (id) => specs.has(id),
    fastChecks: (id) => get(id)?.fast,
    validateFast(channelId, topic, payload) {
      const ch = get(channelId);
      if (!ch?.fast || ch.broken || !ch.checkable || payload.byteLength > maxPayloadBytes) return undefined;
      if (checkTopic(ch, topic)) return undefined;
      // In message order, as `validate` does: an undecided message stops the walk.
      for (const f of ch.fast) {
        const v = f.check(payload, maxDepth);
        if (v === FAST_VALID) return { outcome: "valid", message: f.name };
        if (v !== FAST_INVALID) return undefined;
      }
      return undefined;
    },
    validate(channelId, topic, payload) {
      const ch = get(channelId);
      if (!ch) return unknownChannel(channelId);
      if (ch.broken) return ch.broken;
      const topicProblem = checkTopic(ch, topic);
      if (topicProblem) return topicProblem;
      // Nothing to check the payload against (no messages, or none with a usable schema): no parse.
      if (!ch.checkable) return checkValue(ch, undefined);
      if (payload.byteLength > maxPayloadBytes) {
        return {
          outcome: "invalid",
          kind: "too-large",
          errors: [
            {
              instancePath: "",
              keyword: "maxPayloadBytes",
              message: `the payload is ${payload.byteLength} bytes; at most ${maxPayloadBytes} are validated`,
              params: { limit: maxPayloadBytes, size: payload.byteLength },
            },
          ],
        };
      }

      if (ch.fast) {
        // The native checker's "valid" is ajv's "valid" (the differential test in
        // libs/fast-check proves it); for anything else ajv judges, for its error list. The
        // first message that matches wins, as in checkValue, so an undecided one stops here.
        for (const f of ch.fast) {
          const v = f.check(payload, maxDepth);
          if (v === FAST_VALID) return { outcome: "valid", message: f.name };
          if (v !== FAST_INVALID) break;
        }
      }
      const parsed = parsePayload(payload, maxDepth);
      if (!parsed.ok) {
        // A message without payload schema accepts even a payload that is not JSON.
        if (ch.openMessage !== undefined) return { outcome: "valid", message: ch.openMessage };
        return { outcome: "invalid", kind: "not-json", errors: [parsed.error] };
      }
      return checkValue(ch, parsed.value);
    },
    validateValue(channelId, value, messageName) {
      const ch = get(channelId);
      if (!ch) return unknownChannel(channelId);
      if (ch.broken) return ch.broken;
      return checkValue(ch, value, messageName);
    },
  };
}

function toValidationError(e: ErrorObject): ValidationError {
  return {
    instancePath: e.instancePath,
    keyword: e.keyword,
    message: e.message ?? e.keyword,
    schemaPath: e.schemaPath,
    params: e.params,
  };
}

type Parsed = { ok: true; value: unknown } | { ok: false; error: ValidationError };

/**
 * Decode and parse a payload: nesting depth first (a byte scan, cheaper than the parse it
 * guards), then strict UTF-8 (RFC 8259 section 8.1: JSON exchanged between systems is UTF-8),
 * then JSON.parse.
 */
export function parsePayload(payload: Uint8Array, maxDepth: number): Parsed {
  if (payload.length === 0) {
    return {
      ok: false,
      error: { instancePath: "", keyword: "json", message: "the payload is empty; expected a JSON document" },
    };
  }
  if (exceedsDepth(payload, maxDepth)) {
    return {
      ok: false,
      error: {
        instancePath: "",
        keyword: "depth",
        message: `the payload is nested deeper than ${maxDepth} levels of arrays/objects`,
        params: { maxDepth },
      },
    };
  }
  if (hasUtf8Bom(payload)) {
    return {
      ok: false,
      error: {
        instancePath: "",
        keyword: "bom",
        message:
          "the payload starts with a UTF-8 byte order mark (EF BB BF); JSON on the wire must not (RFC 8259 section 8.1) and other parsers refuse it: send the JSON without it",
      },
    };
  }
  let text: string;
  try {
    text = decoder.decode(payload);
  } catch {
    return {
      ok: false,
      error: {
        instancePath: "",
        keyword: "utf8",
        message: `the payload is not valid UTF-8 (first bad byte at offset ${firstInvalidUtf8(payload)}); JSON must be UTF-8 (RFC 8259 section 8.1)`,
        params: { offset: firstInvalidUtf8(payload) },
      },
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const position = /position (\d+)/.exec(message)?.[1];
    return {
      ok: false,
      error: {
        instancePath: "",
        keyword: "json",
        message: `the payload is not valid JSON: ${message}`,
        ...(position === undefined ? {} : { params: { position: Number(position) } }),
      },
    };
  }
  const duplicate = findDuplicateKey(payload, text, value);
  if (duplicate !== undefined) {
    return {
      ok: false,
      error: {
        instancePath: duplicate.slice(0, duplicate.lastIndexOf("/")),
        keyword: "duplicate-key",
        message: `the payload repeats the member name at ${duplicate}; JSON readers disagree on which value wins, so names must be unique in each object (RFC 7493 section 2.3)`,
        params: { pointer: duplicate },
      },
    };
  }
  return { ok: true, value };
}

/** Does the JSON text nest arrays/objects deeper than `max`? Brackets inside strings do not count. */
/** Occurrences of `byte` in `bytes`, counting no further than `limit`. */
function countByte(bytes: Uint8Array, byte: number, limit: number): number {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let n = 0;
  for (let at = buf.indexOf(byte); at !== -1 && n < limit; at = buf.indexOf(byte, at + 1)) n++;
  return n;
}

export function exceedsDepth(bytes: Uint8Array, max: number): boolean {
  if (bytes.length <= max) return false; // needs at least max+1 opening brackets
  // Fast path: too few brackets in all to nest that deep (indexOf is native, the walk below is not;
  // about 50 times cheaper on a 4 KB weld spot).
  if (countByte(bytes, 0x7b, max + 1) + countByte(bytes, 0x5b, max + 1) <= max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) {
      inString = true;
    } else if (b === 0x7b || b === 0x5b) {
      if (++depth > max) return true;
    } else if (b === 0x7d || b === 0x5d) {
      depth--;
    }
  }
  return false;
}

/** Offset of the first byte that breaks UTF-8 (RFC 3629 section 4), for the error message. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let n: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      n = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      n = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 3;
      min = 0x10000;
    } else return i;
    let cp = b & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return bytes.length;
}
