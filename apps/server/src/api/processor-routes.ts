import { ErrorReply } from "@uns/api-contract";
import type { Store } from "@uns/store";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { createError } from "../errors.js";
import { audit } from "./auth/audit.js";

/**
 * Inference processors and their models, relayed from the processors' own control interface
 * (`processors.url`, apps/processors/src/runtime/control-server.ts): the processors are separate
 * MQTT clients, possibly on another host. Status and changes are relayed (503 when they do not
 * answer); the model list is read from the store, where the processors record the registry.
 */
// What the processors answer is their own document (apps/processors/README.md), relayed as is.
const relayed = {
  description: "As the processors answer it (apps/processors/src/runtime/control-server.ts)",
};
const replies = {
  200: relayed,
  400: ErrorReply,
  404: ErrorReply,
  409: ErrorReply,
  500: ErrorReply,
  503: ErrorReply,
};

/** The processors' own view of their models (serving, online), or null when they do not answer. */
async function processorsModels(
  url: string,
): Promise<{ name: string; serving: unknown; online: unknown[] }[] | null> {
  if (!url) return null;
  try {
    const res = await fetch(`${url.replace(/\/$/, "")}/models`, { signal: AbortSignal.timeout(2000) });
    return res.ok ? ((await res.json()) as { name: string; serving: unknown; online: unknown[] }[]) : null;
  } catch {
    return null;
  }
}

/** The logged-in user who asks for a model change, recorded by the processors as `by`. */
function actorOf(req: FastifyRequest): string {
  const caller = (req as unknown as { caller?: { username?: string } | null }).caller;
  return caller?.username ?? "anonymous";
}

export function registerProcessorRoutes(app: FastifyInstance, url: string, store: Store): void {
  async function relay(
    reply: FastifyReply,
    path: string,
    init?: { method: "POST"; body: unknown },
  ): Promise<{ status: number; text: string }> {
    if (!url)
      throw createError("UNS_ERR_API_UNAVAILABLE", "no processors are configured (processors.url is empty)", {
        statusCode: 503,
      });
    let res: Response;
    try {
      res = await fetch(`${url.replace(/\/$/, "")}${path}`, {
        method: init?.method ?? "GET",
        headers: init ? { "content-type": "application/json" } : undefined,
        body: init ? JSON.stringify(init.body ?? {}) : undefined,
        signal: AbortSignal.timeout(5000),
      });
    } catch (cause) {
      throw createError(
        "UNS_ERR_API_UNAVAILABLE",
        `the processors at ${url} do not answer: ${(cause as Error).message}`,
        {
          statusCode: 503,
          cause,
        },
      );
    }
    const text = await res.text();
    reply.status(res.status).header("content-type", "application/json").send(text);
    return { status: res.status, text };
  }

  // Reading needs the read role (the console's Models page for viewers); changes stay admin.
  app.get(
    "/api/v1/processors",
    {
      config: { role: "read" },
      schema: {
        operationId: "listProcessors",
        tags: ["processors"],
        response: replies,
        summary:
          "Inference processors: up, connected, received, published, invalid, errors, queue, lag, rate, drift",
      },
    },
    (_req, reply) => relay(reply, "/processors"),
  );
  app.get(
    "/api/v1/models",
    {
      config: { role: "read" },
      schema: {
        operationId: "listModels",
        tags: ["processors"],
        response: replies,
        summary:
          "Models from the store's registry: versions with training and held-out metrics, live / canary / shadow, history of changes; plus what the processors serve now and their online accuracy (`processors`: up | unreachable)",
      },
    },
    async () => {
      // The store is the record (versions, deployment, history); what the processors serve right
      // now and their online figures are added when they answer, so the page works without them.
      const [records, live] = await Promise.all([store.modelRegistry(), processorsModels(url)]);
      const byName = new Map((live ?? []).map((m) => [m.name, m]));
      return records.map((r) => ({
        ...r,
        serving: byName.get(r.name)?.serving ?? null,
        online: byName.get(r.name)?.online ?? [],
        processors: live ? "up" : "unreachable",
      }));
    },
  );
  app.post<{
    Params: { name: string; action: "deploy" | "promote" | "rollback" };
    Body: Record<string, unknown>;
  }>(
    "/api/v1/models/:name/:action",
    {
      config: { role: "admin" },
      schema: {
        operationId: "changeModel",
        tags: ["processors"],
        response: replies,
        summary: "Deploy a version (live, canary with a share, shadow), promote the canary, or roll back",
        params: {
          type: "object",
          required: ["name", "action"],
          properties: {
            name: { type: "string", pattern: "^[a-z0-9][a-z0-9_.-]{0,63}$" },
            action: { type: "string", enum: ["deploy", "promote", "rollback"] },
          },
        },
        body: {
          type: "object",
          additionalProperties: false,
          properties: {
            version: { type: "string", maxLength: 64 },
            mode: { type: "string", enum: ["live", "canary", "shadow"] },
            share: { type: "number", exclusiveMinimum: 0, exclusiveMaximum: 1 },
            reason: { type: "string", maxLength: 500 },
          },
        },
      },
    },
    async (req, reply) => {
      const { name, action } = req.params;
      // Who did it comes from the login, never from the body (the schema has no actor).
      const target = `/models/${encodeURIComponent(name)}/${action}`;
      let answer: { status: number; text: string } | null = null;
      try {
        answer = await relay(reply, target, { method: "POST", body: { ...req.body, actor: actorOf(req) } });
      } finally {
        // The processors keep the registry; the server's audit log records every change asked of it
        // (accepted, refused by the processors, or not delivered), so model changes sit beside the
        // other admin actions in the store.
        const status = answer?.status ?? 503;
        await audit(store, req, {
          action: `model.${action}`,
          target: name,
          outcome: status < 300 ? "ok" : status < 500 ? "refused" : "failed",
          details: { ...req.body, status },
        });
      }
      return reply;
    },
  );
}
