import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import sharp from "sharp";
import type { ImageEventPayload } from "../messages.js";
import { type FrameOptions, type FrameTruth, type RenderedFrame, renderFrame } from "./render.js";

/**
 * Writes rendered frames into an image store folder as a camera would (JPEG by default, PNG on
 * request) with the ground truth beside each image, and builds the `imageEvent` announcing it.
 * Frames are generated, never committed: the folder is the caller's (tests use a temp dir).
 */
export interface WrittenFrame {
  file: string;
  truthFile: string;
  truth: FrameTruth;
  event: ImageEventPayload;
}

export interface WriteFrameOptions extends FrameOptions {
  root: string;
  /** Path below the root, without extension. */
  name: string;
  format?: "jpeg" | "png";
  camera: string;
  station: string;
  bodyId: string;
  sequence: number;
  captureTime?: Date;
}

export async function encodeFrame(frame: RenderedFrame, format: "jpeg" | "png"): Promise<Buffer> {
  const raw = sharp(Buffer.from(frame.pixels.buffer, frame.pixels.byteOffset, frame.pixels.length), {
    raw: { width: frame.width, height: frame.height, channels: 1 },
  });
  // Quality 92 is typical of inspection cameras writing JPEG; PNG at a fast compression level.
  const grey = raw.toColourspace("b-w");
  return format === "jpeg"
    ? grey.jpeg({ quality: 92 }).toBuffer()
    : grey.png({ compressionLevel: 2 }).toBuffer();
}

export async function writeFrame(options: WriteFrameOptions): Promise<WrittenFrame> {
  const format = options.format ?? "jpeg";
  const frame = renderFrame(options);
  const bytes = await encodeFrame(frame, format);
  const file = join(resolve(options.root), `${options.name}.${format === "jpeg" ? "jpg" : "png"}`);
  const truthFile = join(resolve(options.root), `${options.name}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, bytes);
  writeFileSync(truthFile, `${JSON.stringify(frame.truth)}\n`);
  const event: ImageEventPayload = {
    eventId: `${options.station}-${options.camera}-${String(options.sequence).padStart(6, "0")}`,
    camera: options.camera,
    station: options.station,
    bodyId: options.bodyId,
    sequence: options.sequence,
    captureTime: (options.captureTime ?? new Date()).toISOString(),
    image: {
      uri: pathToFileURL(file).href,
      width: frame.width,
      height: frame.height,
      format,
      size: bytes.length,
      checksum: `sha256:${createHash("sha256").update(bytes).digest("hex")}`,
    },
    exposure: { time: 2.5, gain: 6 },
    groundTruth: pathToFileURL(truthFile).href,
  };
  return { file, truthFile, truth: frame.truth, event };
}
