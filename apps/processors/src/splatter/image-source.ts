import { createHash } from "node:crypto";
import { readFile, realpath, stat } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import sharp, { type Metadata } from "sharp";

/**
 * Reading an image for the splatter processor, in the order that keeps bad input cheap: the
 * reference must resolve inside the image root (lexically and after symlinks), the file must
 * exist and be no larger than the limit (checked with stat, before reading), its sha256 must be
 * the event's, its header must declare the expected size (before the full decode), and only then
 * is it decoded, to one grey byte per pixel.
 */
export interface ImageRequest {
  uri: string;
  checksum?: string;
  /** The size the event declares and the camera's frame size (both must hold). */
  width: number;
  height: number;
  frame?: { width: number; height: number } | null;
}

export interface ImageLimits {
  root: string;
  maxBytes: number;
}

export type ImageFailure = { ok: false; code: string; message: string };
export type ImageLoaded = {
  ok: true;
  pixels: Uint8Array;
  width: number;
  height: number;
  path: string;
  bytes: number;
  readMs: number;
  decodeMs: number;
};

const fail = (code: string, message: string): ImageFailure => ({ ok: false, code, message });

export async function resolveImagePath(uri: string, root: string): Promise<string | ImageFailure> {
  let path: string;
  if (/^file:/i.test(uri)) {
    try {
      path = fileURLToPath(uri);
    } catch (err) {
      return fail(
        "UNS_ERR_IMAGE_PATH",
        `image URI ${uri} is not a valid file: URI (${(err as Error).message})`,
      );
    }
  } else if (/^[a-z][a-z0-9+.-]*:/i.test(uri)) {
    return fail(
      "UNS_ERR_IMAGE_PATH",
      `image URI ${uri}: only file: URIs or paths below the image root ${root} are read`,
    );
  } else path = resolve(root, uri);
  const inside = (p: string, r: string) => {
    const rel = relative(r, p);
    return rel !== "" && !rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel);
  };
  if (!inside(resolve(path), resolve(root)))
    return fail(
      "UNS_ERR_IMAGE_PATH",
      `image ${path} is outside the image root ${root}; only files below it are read`,
    );
  let real: string;
  try {
    real = await realpath(path);
  } catch (err) {
    return fail(
      "UNS_ERR_IMAGE_MISSING",
      `image ${path} cannot be found (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  // A symlink inside the root must not lead out of it.
  if (!inside(real, await realpath(root).catch(() => resolve(root))))
    return fail("UNS_ERR_IMAGE_PATH", `image ${path} resolves to ${real}, outside the image root ${root}`);
  return real;
}

export async function loadImage(
  request: ImageRequest,
  limits: ImageLimits,
): Promise<ImageLoaded | ImageFailure> {
  const t0 = performance.now();
  const path = await resolveImagePath(request.uri, limits.root);
  if (typeof path !== "string") return path;
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) return fail("UNS_ERR_IMAGE_MISSING", `image ${path} is not a file`);
    size = s.size;
  } catch (err) {
    return fail("UNS_ERR_IMAGE_MISSING", `image ${path} cannot be read (${(err as Error).message})`);
  }
  if (size > limits.maxBytes)
    return fail(
      "UNS_ERR_IMAGE_TOO_LARGE",
      `image ${path} is ${size} bytes, more than the limit of ${limits.maxBytes} (splatter.maxImageBytes); not decoded`,
    );
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    return fail("UNS_ERR_IMAGE_MISSING", `image ${path} cannot be read (${(err as Error).message})`);
  }
  if (request.checksum) {
    const sha = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    if (sha !== request.checksum)
      return fail(
        "UNS_ERR_IMAGE_CHECKSUM",
        `image ${path} has ${sha}, the event says ${request.checksum} (${bytes.length} bytes read)`,
      );
  }
  const readMs = performance.now() - t0;
  const t1 = performance.now();
  let meta: Metadata;
  try {
    meta = await sharp(bytes).metadata();
  } catch (err) {
    return fail(
      "UNS_ERR_IMAGE_DECODE",
      `${path} is not a decodable image (JPEG, PNG, TIFF): ${(err as Error).message}`,
    );
  }
  const expected = [
    { what: "the event declares", w: request.width, h: request.height },
    ...(request.frame
      ? [{ what: "the camera's frame in the zone map is", w: request.frame.width, h: request.frame.height }]
      : []),
  ];
  for (const e of expected)
    if (meta.width !== e.w || meta.height !== e.h)
      return fail(
        "UNS_ERR_IMAGE_SIZE",
        `image ${path} is ${meta.width} x ${meta.height} px; ${e.what} ${e.w} x ${e.h}`,
      );
  try {
    // failOn "truncated": a cut-off JPEG or PNG is an error, not a grey-filled frame.
    // Inspection cameras write 8-bit grey: then the decoded pixels are used as they are (no
    // colourspace pass over 20 M pixels); colour or 16-bit images are converted to 8-bit grey.
    // sequentialRead: libvips streams the JPEG top to bottom instead of keeping random access.
    const decoder = () =>
      sharp(bytes, {
        failOn: "truncated",
        limitInputPixels: request.width * request.height + 1,
        sequentialRead: true,
      });
    const asIs = meta.channels === 1 && meta.depth === "uchar";
    let { data, info } = await (asIs ? decoder() : decoder().toColourspace("b-w"))
      .raw()
      .toBuffer({ resolveWithObject: true });
    // A grey file with an embedded colour profile still comes out as sRGB from libvips: convert it.
    if (asIs && info.channels !== 1)
      ({ data, info } = await decoder().toColourspace("b-w").raw().toBuffer({ resolveWithObject: true }));
    if (info.channels !== 1)
      return fail("UNS_ERR_IMAGE_DECODE", `${path} decoded to ${info.channels} channels, expected grey`);
    return {
      ok: true,
      pixels: new Uint8Array(data.buffer, data.byteOffset, data.length),
      width: info.width,
      height: info.height,
      path,
      bytes: bytes.length,
      readMs,
      decodeMs: performance.now() - t1,
    };
  } catch (err) {
    return fail(
      "UNS_ERR_IMAGE_DECODE",
      `${path} cannot be decoded (truncated or corrupt): ${(err as Error).message}`,
    );
  }
}
