import {
  ErrorReply,
  ModelRegistryResponse,
  ModelRegistryWriteBody,
  ModelRegistryWriteResponse,
} from "@uns/api-contract";
import type { Store } from "@uns/store";
import type { FastifyInstance } from "fastify";

/**
 * The model registry's record is the compliance store. The inference processors are a separate
 * process (possibly on another host) and cannot open the store, so they read and write it here,
 * logged in with their own user (MQTT role `processor`, route role "processor"):
 *
 *   GET  /api/v1/internal/model-registry   every model: versions, live / canary / shadow, history
 *   POST /api/v1/internal/model-registry   {"versions": [...], "changes": [...]}, applied in order;
 *                                          a change already recorded (same id) is skipped; one
 *                                          made on a stale revision is refused (409), see
 *                                          recordModelChanges in libs/store/src/model-registry.ts
 *
 * HTTP rather than MQTT because a write must be answered: the processors drop a change from their
 * local cache only once the store has it (apps/processors/src/lifecycle/registry.ts).
 */
const errors = Object.fromEntries([400, 401, 403, 409, 500, 503].map((c) => [c, ErrorReply]));

export function registerModelRegistryRoutes(app: FastifyInstance, store: Store): void {
  app.get(
    "/api/v1/internal/model-registry",
    {
      config: { role: "processor" },
      schema: {
        operationId: "readModelRegistry",
        tags: ["processors"],
        summary: "The model registry as the store holds it (for the inference processors at start)",
        response: { 200: ModelRegistryResponse, ...errors },
      },
    },
    () => store.modelRegistry(),
  );
  app.post<{ Body: ModelRegistryWriteBody }>(
    "/api/v1/internal/model-registry",
    {
      config: { role: "processor" },
      bodyLimit: 4 * 1024 * 1024,
      schema: {
        operationId: "writeModelRegistry",
        tags: ["processors"],
        summary: "Register model versions and record deployment changes (the inference processors only)",
        response: { 200: ModelRegistryWriteResponse, ...errors },
        body: ModelRegistryWriteBody,
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
