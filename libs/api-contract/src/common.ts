import { type Static, type TSchema, Type } from "typebox";

/**
 * Building blocks shared by the operations: the error reply, counts, the time window and the
 * filters. Query strings are checked here, before any handler or database sees them: a NUL
 * byte, year 0000 or an out-of-range number is a 400 naming the parameter, never a 500 with
 * PostgreSQL's text.
 */

/** Every error the API answers: `{error: {code, message}}`, the code from docs/errors.md. */
export const ErrorReply = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.String({
          pattern: "^UNS_ERR_[A-Z0-9_]+$",
          description: "A code listed in docs/errors.md",
        }),
        message: Type.String({ description: "What is wrong and, for a bad parameter, what is accepted" }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, description: "The error shape of every operation" },
);
export type ErrorReply = Static<typeof ErrorReply>;

// PostgreSQL refuses NUL in text; the schema refuses it first (JSON Schema patterns are ECMA regexes).
const NO_NUL = "^[^\\x00]*$";

/** A string parameter: bounded, and without NUL bytes. */
export const Text = (maxLength: number, description?: string) =>
  Type.String({ maxLength, pattern: NO_NUL, ...(description ? { description } : {}) });

/**
 * An ISO 8601 instant with a four-digit year from 0001 (PostgreSQL has no year 0).
 * `format: date-time` alone admits `0000-01-01T00:00:00Z`.
 */
export const Instant = (description: string) =>
  Type.String({ format: "date-time", pattern: "^(?!0000)[0-9]{4}-", description });

export const WindowQuery = {
  from: Type.Optional(Instant("Start of the window (ISO 8601); default: 24 h before `to`")),
  to: Type.Optional(Instant("End of the window (ISO 8601); default: now")),
};

export const FilterQuery = {
  topicPrefix: Type.Optional(Text(1024, "Topic subtree, e.g. acme/neckarsulm/ (plain prefix, no wildcards)")),
  channel: Type.Optional(Text(256, "AsyncAPI channel id")),
  clientId: Type.Optional(Text(256, "MQTT client id of the publisher")),
};

/** A bounded positive integer parameter (`limit=1e309` is out of range, not Infinity). */
export const Limit = (maximum: number, dflt: number) => Type.Integer({ minimum: 1, maximum, default: dflt });

/** A place in the plant (quality and alert filters); a prefix takes in everything below it. */
export const Scope = Type.String({
  maxLength: 512,
  description:
    "Path of the enterprise, site, area or line (acme/neckarsulm/body-shop/line-01); empty = everything",
});

export const Outcome = Type.Union([
  Type.Literal("valid"),
  Type.Literal("invalid"),
  Type.Literal("unvalidated"),
  Type.Literal("ungoverned"),
]);
export type Outcome = Static<typeof Outcome>;

export const countFields = {
  valid: Type.Integer(),
  invalid: Type.Integer(),
  unvalidated: Type.Integer(),
  ungoverned: Type.Integer(),
  total: Type.Integer(),
};
export const Counts = Type.Object(countFields, { additionalProperties: false });
export type Counts = Static<typeof Counts>;

/** The window an answer covers, as ISO 8601. */
export const windowFields = { from: Type.String(), to: Type.String() };

export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/** A JSON Schema (object or boolean form) as the contracts hold it. */
export type JSONSchema = { [key: string]: unknown } | boolean;
export const JsonSchema = Type.Unsafe<JSONSchema>({ description: "A JSON Schema (object or boolean)" });

/** One payload validation error (ajv's, trimmed). */
export const ValidationError = Type.Object(
  {
    instancePath: Type.String(),
    keyword: Type.String(),
    message: Type.String(),
    schemaPath: Type.Optional(Type.String()),
    // additionalProperties: without it Fastify's serializer writes every params object as {}.
    params: Type.Optional(
      Type.Unsafe<object>({
        type: "object",
        additionalProperties: true,
        description: "The keyword's parameters (ajv's params: limit, allowedValues, missingProperty, ...)",
      }),
    ),
  },
  { additionalProperties: false },
);
export type ValidationError = Static<typeof ValidationError>;

export const Policy = Type.Union([Type.Literal("monitor"), Type.Literal("enforce")]);
export type Policy = Static<typeof Policy>;
