import { type Static, Type } from "typebox";
import { Nullable } from "./common.js";

/**
 * The model registry's record as the store keeps it and as the inference processors read and
 * write it (GET / POST /api/v1/internal/model-registry, role `processor`). One definition for the
 * store (libs/store/src/model-registry.ts), the route and the processors' cache
 * (apps/processors/src/lifecycle/registry.ts).
 */
const strict = { additionalProperties: false } as const;
const Version = Type.String({ minLength: 1, maxLength: 64 });

/** A model version as the processors registered it (at start, or when a deploy loads it). */
export const ModelVersionRecord = Type.Object(
  {
    version: Version,
    manifestPath: Type.String({ maxLength: 1024 }),
    sha256: Type.String({ maxLength: 128 }),
    kind: Type.String({ maxLength: 64 }),
    /** The manifest's summary: input channel and contract version, threshold, seed, training data. */
    manifest: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    metrics: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    registeredAt: Type.String({ format: "date-time" }),
  },
  strict,
);
export type ModelVersionRecord = Static<typeof ModelVersionRecord>;

export const NewModelVersion = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 128 }), ...ModelVersionRecord.properties },
  strict,
);
export type NewModelVersion = Static<typeof NewModelVersion>;

export const ModelDeployment = Type.Object(
  {
    live: Nullable(Version),
    canary: Nullable(
      Type.Object(
        { version: Version, share: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }) },
        strict,
      ),
    ),
    shadow: Nullable(Version),
  },
  strict,
);
export type ModelDeployment = Static<typeof ModelDeployment>;

const historyFields = {
  at: Type.String({ format: "date-time" }),
  action: Type.String({ minLength: 1, maxLength: 64 }),
  version: Nullable(Version),
  previous: Nullable(Version),
  reason: Type.String({ maxLength: 1000 }),
  by: Type.String({
    minLength: 1,
    maxLength: 100,
    description: "Who made the change: the API user, or `processors` for a start or an automatic rollback",
  }),
};
export const ModelHistoryEntry = Type.Object(historyFields, strict);
export type ModelHistoryEntry = Static<typeof ModelHistoryEntry>;

/** One change, as the processors send it: the entry, the deployment it left and its revision. */
export const ModelChange = Type.Object(
  {
    id: Type.String({
      minLength: 1,
      maxLength: 64,
      description: "Made by the processors; a change sent twice is recorded once",
    }),
    name: Type.String({ minLength: 1, maxLength: 128 }),
    ...historyFields,
    deployment: ModelDeployment,
    revision: Type.Integer({
      minimum: 1,
      description:
        "The model's revision this change makes: accepted only while the store is at revision - 1 (compare-and-set), so a change made on a stale view is refused (409)",
    }),
  },
  strict,
);
export type ModelChange = Static<typeof ModelChange>;

/** A model in the registry: its versions, its deployment, its revision and its history (oldest first). */
export const ModelRegistryRecord = Type.Object(
  {
    name: Type.String(),
    versions: Type.Record(Type.String(), ModelVersionRecord),
    ...ModelDeployment.properties,
    revision: Type.Integer({ minimum: 0, description: "Changes recorded so far; 0: none" }),
    history: Type.Array(ModelHistoryEntry),
  },
  strict,
);
export type ModelRegistryRecord = Static<typeof ModelRegistryRecord>;

export const ModelRegistryResponse = Type.Array(ModelRegistryRecord);
export type ModelRegistryResponse = Static<typeof ModelRegistryResponse>;

export const ModelRegistryWriteBody = Type.Object(
  {
    versions: Type.Optional(Type.Array(NewModelVersion, { maxItems: 1000 })),
    changes: Type.Optional(Type.Array(ModelChange, { maxItems: 1000 })),
  },
  strict,
);
export type ModelRegistryWriteBody = Static<typeof ModelRegistryWriteBody>;

export const ModelRegistryWriteResponse = Type.Object(
  {
    versions: Type.Integer({ description: "Versions registered or updated" }),
    changes: Type.Integer({ description: "Changes recorded (those already recorded are skipped)" }),
  },
  strict,
);
export type ModelRegistryWriteResponse = Static<typeof ModelRegistryWriteResponse>;

/** Whether the processors' local cache of the registry is in step with the store (their status). */
export const ModelRegistrySync = Type.Object(
  {
    inSync: Type.Boolean({ description: "The store answered and has every change the processors made" }),
    record: Type.Union([Type.Literal("store"), Type.Literal("cache"), Type.Literal("file")]),
    url: Nullable(Type.String()),
    pending: Type.Integer({ description: "Versions and changes waiting in the cache for the store" }),
    lastSyncAt: Nullable(Type.String({ format: "date-time" })),
    lastError: Nullable(Type.String()),
    lastErrorAt: Nullable(Type.String({ format: "date-time" })),
    conflicts: Type.Integer({ description: "Changes the store refused as made on a stale view" }),
  },
  strict,
);
export type ModelRegistrySync = Static<typeof ModelRegistrySync>;
