import { Ajv, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import type { FastifyInstance } from "fastify";
import type { TSchema } from "typebox";
import { createError } from "../errors.js";

/**
 * Test mode: every JSON reply is checked against the route's response schema before it is sent.
 * Fastify's serializer drops what a schema does not name and does not check types, so a route
 * that returns the wrong thing would otherwise go unnoticed; here it is a 500 naming the path.
 */
export function checkResponses(app: FastifyInstance): void {
  const ajv = new Ajv({ allErrors: true, strict: false });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  const compiled = new WeakMap<object, ValidateFunction>();
  app.addHook("preSerialization", async (request, reply, payload) => {
    const schemas = request.routeOptions.schema?.response as Record<string, TSchema> | undefined;
    const schema = schemas?.[reply.statusCode] ?? schemas?.[`${Math.floor(reply.statusCode / 100)}xx`];
    if (!schema) return payload;
    let check = compiled.get(schema);
    if (!check) {
      check = ajv.compile(JSON.parse(JSON.stringify(schema)));
      compiled.set(schema, check);
    }
    if (!check(payload)) {
      throw createError(
        "UNS_ERR_API_RESPONSE_INVALID",
        `${request.method} ${request.routeOptions.url} answered ${reply.statusCode} with a body its schema refuses: ${ajv.errorsText(check.errors)}`,
        { statusCode: 500 },
      );
    }
    return payload;
  });
}
