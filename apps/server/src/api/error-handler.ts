import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import { createError } from "../errors.js";

/**
 * Errors at the HTTP edge: every failure leaves as `{error: {code, message}}` with a status.
 * A bad parameter is a 400 naming it and what is accepted; errors from the store about its
 * arguments (a cursor it cannot read, a window it cannot hold) are the caller's, so 400 too;
 * anything else is logged and answered 500 without internals.
 */

// Store codes that mean "the request asked for something impossible", not "the server failed".
const CALLER_CODES = new Set(["UNS_ERR_STORE_ARGUMENT", "UNS_ERR_STORE_CURSOR"]);

export function sendError(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.status(status).send({ error: { code, message } });
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** `querystring/limit must be <= 500`, with unknown parameters named and the accepted ones listed. */
function validationMessage(
  err: FastifyError & { validation: AjvError[]; validationContext?: string },
): string {
  const first = err.validation[0];
  const where = err.validationContext ?? "request";
  if (first?.keyword === "additionalProperties")
    return `${where}: unknown parameter "${String(first.params.additionalProperty)}"`;
  // The path of the object that lacks it, so a missing field inside an array item names the item.
  if (first?.keyword === "required")
    return `${where}${first.instancePath}/${String(first.params.missingProperty)} is required`;
  if (first?.keyword === "enum")
    return `${where}${first.instancePath} must be one of ${(first.params.allowedValues as unknown[]).join(", ")}`;
  return err.message;
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError & { validation?: AjvError[] }, request, reply) => {
    if (err.validation)
      return sendError(reply, 400, "UNS_ERR_API_VALIDATION", validationMessage(err as never));
    if (typeof err.code === "string" && CALLER_CODES.has(err.code))
      return sendError(reply, 400, "UNS_ERR_API_VALIDATION", err.message);
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) request.log.error({ err }, "request failed");
    const code =
      typeof err.code === "string" && err.code.startsWith("UNS_ERR_")
        ? err.code
        : status === 503
          ? "UNS_ERR_API_UNAVAILABLE"
          : status >= 500
            ? "UNS_ERR_API_INTERNAL"
            : "UNS_ERR_API_VALIDATION";
    return sendError(
      reply,
      status,
      code,
      status >= 500 && code === "UNS_ERR_API_INTERNAL" ? "internal error; see the server log" : err.message,
    );
  });

  // ajv coerces `limit=1e309` to Infinity and lets it through `maximum`; refuse it here, after
  // coercion and before any handler (a number parameter is always finite).
  app.addHook("preHandler", async (request) => {
    const q = request.query as Record<string, unknown> | undefined;
    if (!q || typeof q !== "object") return;
    for (const [key, value] of Object.entries(q))
      if (typeof value === "number" && !Number.isFinite(value))
        throw createError("UNS_ERR_API_VALIDATION", `querystring/${key} must be a finite number`, {
          statusCode: 400,
        });
  });
}
