import "./route-role.js";
import { realpath, stat } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import {
  ErrorReply,
  SplatterCamerasQuery,
  SplatterCamerasResponse,
  SplatterPreviewQuery,
} from "@uns/api-contract";
import type { Store } from "@uns/store";
import type { FastifyInstance } from "fastify";
import sharp from "sharp";
import { createError } from "../errors.js";
import { timeWindow } from "./compliance-routes.js";
import { autoBucket } from "./quality-routes.js";
import { route } from "./route-schema.js";

/**
 * The splatter stations in the console: a downscaled preview of an inspected image (the console
 * draws the boxes and zones over it), and the detection rate per camera over time. Images are
 * 20 MP and live in the image store, never in the database; the preview reads them from below
 * `quality.imageRoot` only (lexically and after symlinks), like the processor does.
 */
export interface SplatterRouteServices {
  store: Store;
  imageRoot: string;
  previewWidth: number;
}

const bad = (message: string) => createError("UNS_ERR_API_VALIDATION", message, { statusCode: 400 });

/** The file a preview request names, or an error naming why it is refused. */
export async function previewPath(uri: string, root: string): Promise<string> {
  let path: string;
  if (/^file:/i.test(uri)) {
    try {
      path = fileURLToPath(uri);
    } catch (err) {
      throw bad(`uri ${uri} is not a valid file: URI (${(err as Error).message})`);
    }
  } else if (/^[a-z][a-z0-9+.-]*:/i.test(uri))
    throw bad(`uri ${uri}: only file: URIs or paths below the image root are served`);
  else path = resolve(root, uri);
  const inside = (p: string, r: string) => {
    const rel = relative(r, p);
    return rel !== "" && rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
  };
  if (!inside(resolve(path), resolve(root)))
    throw bad(`uri ${uri} is outside the image root (quality.imageRoot); only images below it are served`);
  let real: string;
  try {
    real = await realpath(path);
    if (!(await stat(real)).isFile()) throw new Error("not a file");
  } catch (err) {
    throw createError(
      "UNS_ERR_API_NOT_FOUND",
      `no image at ${uri} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      { statusCode: 404 },
    );
  }
  const realRoot = await realpath(root).catch(() => resolve(root));
  if (!inside(real, realRoot))
    throw bad(`uri ${uri} leads outside the image root (quality.imageRoot) through a link; not served`);
  return real;
}

export function registerSplatterRoutes(app: FastifyInstance, s: SplatterRouteServices): void {
  app.get<{ Querystring: SplatterPreviewQuery }>(
    "/api/v1/quality/splatter/preview",
    {
      config: { role: "read" },
      schema: {
        operationId: "getSplatterPreview",
        summary: "A downscaled JPEG of an inspected image (from the image store), for the console",
        tags: ["quality"],
        querystring: SplatterPreviewQuery,
        response: {
          200: {
            description: "The preview, JPEG, at most quality.previewWidth px wide",
            content: { "image/jpeg": { schema: { type: "string", format: "binary" } } },
          },
          400: ErrorReply,
          404: ErrorReply,
          422: ErrorReply,
          500: ErrorReply,
        },
      },
    },
    async (req, reply) => {
      const path = await previewPath(req.query.uri, s.imageRoot);
      const width = Math.min(req.query.width ?? 960, s.previewWidth);
      let jpeg: Buffer;
      try {
        // JPEG shrink-on-load makes this a fraction of a full decode; `limitInputPixels` keeps
        // a hostile file from taking the server's memory (the station's frames are 20 MP).
        jpeg = await sharp(path, { limitInputPixels: 64e6, failOn: "truncated" })
          .resize({ width, withoutEnlargement: true })
          .jpeg({ quality: 80 })
          .toBuffer();
      } catch (err) {
        throw createError(
          "UNS_ERR_API_IMAGE_UNREADABLE",
          `${req.query.uri} cannot be read as an image (JPEG, PNG, TIFF up to 64 MP): ${(err as Error).message}`,
          { statusCode: 422 },
        );
      }
      return reply
        .header("content-type", "image/jpeg")
        .header("cache-control", "private, max-age=3600")
        .send(jpeg);
    },
  );

  app.get<{ Querystring: SplatterCamerasQuery }>(
    "/api/v1/quality/splatter/cameras",
    {
      config: { role: "read" },
      schema: route({
        operationId: "getSplatterCameras",
        summary:
          "Splatter detection rate per camera and cell (images with splatter / images scored), over time",
        tags: ["quality"],
        querystring: SplatterCamerasQuery,
        reply: SplatterCamerasResponse,
      }),
    },
    async (req) => {
      const w = timeWindow(req.query);
      const bucketSeconds = req.query.bucketSeconds ?? autoBucket(w.from, w.to);
      try {
        const cameras = await s.store.splatterRates({ ...w, scope: req.query.scope ?? "", bucketSeconds });
        return { from: w.from.toISOString(), to: w.to.toISOString(), bucketSeconds, cameras };
      } catch (err) {
        const e = err as Error & { code?: string };
        if (e.code === "UNS_ERR_STORE_ARGUMENT") throw bad(e.message);
        throw err;
      }
    },
  );
}
