import { ErrorReply } from "@uns/api-contract";
import type { ModelChange, NewModelVersion, Store } from "@uns/store";
import type { FastifyInstance } from "fastify";

/**
 * The model registry's record is the compliance store. The inference processors are a separate
 * process (possibly on another host) and cannot open the store, so they read and write it here,
 * logged in with their own user (MQTT role `processor`, route role "processor"):
 *
 *   GET  /api/v1/internal/model-registry   every model: versions, live / canary / shadow, history
 *   POST /api/v1/internal/model-registry   {"versions": [...], "changes": [...]}, applied in order;
 *                                          a change already recorded (same id) is skipped
 *
 * HTTP rather than MQTT because a write must be answered: the processors drop a change from their
 * local cache only once the store has it (apps/processors/src/lifecycle/registry.ts).
 */
const version = {
  type: "object",
  additionalProperties: false,
  required: ["name", "version", "sha256", "kind", "manifestPath", "registeredAt"],
  properties: {
    name: { type: "string", minLength: 1, maxLength: 128 },
    version: { type: "string", minLength: 1, maxLength: 64 },
    sha256: { type: "string", maxLength: 128 },
    kind: { type: "string", maxLength: 64 },
    manifestPath: { type: "string", maxLength: 1024 },
    manifest: { type: "object", additionalProperties: true },
    metrics: { type: "object", additionalProperties: true },
    registeredAt: { type: "string", format: "date-time" },
  },
} as const;
const nullableText = (max: number) => ({ type: ["string", "null"], maxLength: max }) as const;
const change = {
  type: "object",
  additionalProperties: false,
  required: ["id", "name", "at", "action", "version", "previous", "reason", "by", "deployment"],
  properties: {
    id: { type: "string", minLength: 1, maxLength: 64 },
    name: { type: "string", minLength: 1, maxLength: 128 },
    at: { type: "string", format: "date-time" },
    action: { type: "string", minLength: 1, maxLength: 64 },
    version: nullableText(64),
    previous: nullableText(64),
    reason: { type: "string", maxLength: 1000 },
    by: { type: "string", minLength: 1, maxLength: 100 },
    deployment: {
      type: "object",
      additionalProperties: false,
      required: ["live", "canary", "shadow"],
      properties: {
        live: nullableText(64),
        shadow: nullableText(64),
        canary: {
          anyOf: [
            { type: "null" },
            {
              type: "object",
              additionalProperties: false,
              required: ["version", "share"],
              properties: {
                version: { type: "string", maxLength: 64 },
                share: { type: "number", exclusiveMinimum: 0, exclusiveMaximum: 1 },
              },
            },
          ],
        },
      },
    },
  },
} as const;

const errors = Object.fromEntries([400, 401, 403, 500, 503].map((c) => [c, ErrorReply]));

export function registerModelRegistryRoutes(app: FastifyInstance, store: Store): void {
  app.get(
    "/api/v1/internal/model-registry",
    {
      config: { role: "processor" },
      schema: {
        operationId: "readModelRegistry",
        tags: ["processors"],
        summary: "The model registry as the store holds it (for the inference processors at start)",
        response: {
          200: { type: "array", items: { type: "object", additionalProperties: true } },
          ...errors,
        },
      },
    },
    () => store.modelRegistry(),
  );
  app.post<{ Body: { versions?: NewModelVersion[]; changes?: ModelChange[] } }>(
    "/api/v1/internal/model-registry",
    {
      config: { role: "processor" },
      bodyLimit: 4 * 1024 * 1024,
      schema: {
        operationId: "writeModelRegistry",
        tags: ["processors"],
        summary: "Register model versions and record deployment changes (the inference processors only)",
        response: {
          200: {
            type: "object",
            required: ["versions", "changes"],
            properties: {
              versions: { type: "integer", description: "versions registered or updated" },
              changes: {
                type: "integer",
                description: "changes recorded (those already recorded are skipped)",
              },
            },
          },
          ...errors,
        },
        body: {
          type: "object",
          additionalProperties: false,
          properties: {
            versions: { type: "array", maxItems: 1000, items: version },
            changes: { type: "array", maxItems: 1000, items: change },
          },
        },
      },
    },
    async (req) => {
      // Versions first: a change names a version the same request may register.
      const versions = await store.registerModelVersions(req.body.versions ?? []);
      const changes = await store.recordModelChanges(req.body.changes ?? []);
      return { versions, changes };
    },
  );
}
