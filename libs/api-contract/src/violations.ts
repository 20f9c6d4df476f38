import { type Static, Type } from "typebox";
import {
  FilterQuery,
  JsonSchema,
  Limit,
  Nullable,
  Text,
  ValidationError,
  WindowQuery,
  windowFields,
} from "./common.js";

/** Schemas of the violation operations: the list, the kinds, one violation in full. */

const strict = { additionalProperties: false } as const;

export const ViolationsQuery = Type.Object(
  {
    ...WindowQuery,
    ...FilterQuery,
    kind: Type.Optional(Text(64)),
    cursor: Type.Optional(
      Type.String({
        maxLength: 512,
        pattern: "^[A-Za-z0-9_-]+$",
        description: "nextCursor of the previous page",
      }),
    ),
    limit: Type.Optional(Limit(500, 50)),
  },
  strict,
);
export type ViolationsQuery = Static<typeof ViolationsQuery>;

const violationItemFields = {
  id: Type.String({ description: "bigint as a decimal string" }),
  time: Type.String({ description: "ISO 8601" }),
  clientId: Type.String(),
  username: Nullable(Type.String()),
  topic: Type.String(),
  channel: Nullable(Type.String()),
  contractFile: Nullable(Type.String()),
  contractVersion: Nullable(Type.String()),
  messageName: Nullable(Type.String()),
  kind: Type.String(),
  policy: Type.String(),
  errors: Type.Array(ValidationError),
  payloadSize: Type.Integer(),
  payloadTruncated: Type.Boolean(),
};
export const ViolationItem = Type.Object(violationItemFields, strict);
export type ViolationItem = Static<typeof ViolationItem>;

export const ViolationPage = Type.Object(
  {
    items: Type.Array(ViolationItem),
    nextCursor: Nullable(Type.String({ description: "Pass as `cursor` for the next (older) page" })),
  },
  strict,
);
export type ViolationPage = Static<typeof ViolationPage>;

export const KindsQuery = Type.Object({ ...WindowQuery }, strict);
export type KindsQuery = Static<typeof KindsQuery>;
export const ViolationKindsResponse = Type.Object(
  {
    ...windowFields,
    kinds: Type.Array(Type.Object({ kind: Type.String(), count: Type.Integer() }, strict), {
      description: "Kinds present in the window, most frequent first",
    }),
  },
  strict,
);
export type ViolationKindsResponse = Static<typeof ViolationKindsResponse>;

export const ViolationParams = Type.Object(
  { id: Type.String({ pattern: "^[0-9]{1,18}$", description: "Violation id" }) },
  strict,
);

export const ViolationDetail = Type.Object(
  {
    ...violationItemFields,
    payloadBase64: Type.String({ description: "The stored (possibly capped) payload" }),
    payloadText: Type.Optional(Type.String({ description: "The payload as text when it is valid UTF-8" })),
  },
  strict,
);
export type ViolationDetail = Static<typeof ViolationDetail>;

export const SimilarViolations = Type.Object(
  {
    channel: Nullable(Type.String()),
    kind: Type.String(),
    error: Nullable(Type.Object({ instancePath: Type.String(), keyword: Type.String() }, strict)),
    total: Type.Integer(),
    clients: Type.Integer(),
    topics: Type.Integer(),
    groups: Type.Array(
      Type.Object(
        { clientId: Type.String(), topic: Type.String(), count: Type.Integer(), lastTime: Type.String() },
        strict,
      ),
    ),
  },
  strict,
);
export type SimilarViolations = Static<typeof SimilarViolations>;

export const ViolationDetailResponse = Type.Object(
  {
    violation: ViolationDetail,
    channel: Nullable(
      Type.Object(
        {
          id: Type.String(),
          address: Nullable(Type.String()),
          file: Type.String(),
          version: Type.String(),
          title: Type.String(),
          messages: Type.Array(Type.Object({ name: Type.String(), payload: Nullable(JsonSchema) }, strict)),
        },
        strict,
      ),
    ),
    similar: Nullable(SimilarViolations),
  },
  strict,
);
export type ViolationDetailResponse = Static<typeof ViolationDetailResponse>;

/** A violation as pushed on the event stream (no id: it is not yet in the database). */
export const LiveViolation = Type.Object({
  time: Type.String(),
  clientId: Type.String(),
  username: Nullable(Type.String()),
  topic: Type.String(),
  channel: Nullable(Type.String()),
  kind: Type.Optional(Type.String()),
  policy: Type.String(),
  errors: Type.Array(
    Type.Object({ instancePath: Type.String(), keyword: Type.String(), message: Type.String() }),
  ),
});
export type LiveViolation = Static<typeof LiveViolation>;
