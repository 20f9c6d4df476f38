import { ErrorReply } from "@uns/api-contract";
import type { TSchema } from "typebox";

/**
 * Fastify schema of a route that is not in the `operations` table (quality and alerts, which
 * also take a body): id, tag, summary, inputs, and the success and error replies.
 */
export function route(o: {
  operationId: string;
  tags: string[];
  summary: string;
  querystring?: TSchema;
  params?: TSchema;
  body?: TSchema;
  reply: TSchema;
  errors?: number[];
}) {
  const { reply, errors = [400, 500], ...rest } = o;
  return {
    ...rest,
    response: { 200: reply, ...Object.fromEntries(errors.map((e) => [e, ErrorReply])) },
  };
}
