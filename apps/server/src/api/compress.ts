import { promisify } from "node:util";
import { gzip as gzipCb } from "node:zlib";
import type { FastifyReply, FastifyRequest } from "fastify";

const gzip = promisify(gzipCb);

/** Smaller replies are sent as they are: compressing them costs more than it saves. */
const MIN_BYTES = 8 * 1024;

/**
 * An `onSend` hook for a route with large JSON replies (the topic tree with 50,000 topics): gzip
 * when the client accepts it. Per route, not for the whole API, so the event streams are never
 * buffered by a compressor. gzip runs on libuv's thread pool, not on the event loop.
 */
export async function gzipLargeJson(
  req: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
): Promise<unknown> {
  if (typeof payload !== "string" || payload.length < MIN_BYTES) return payload;
  if (!/\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""))) return payload;
  reply.header("content-encoding", "gzip");
  reply.header("vary", "accept-encoding");
  reply.removeHeader("content-length");
  return gzip(payload, { level: 4 });
}
