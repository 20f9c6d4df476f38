import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { encodePng, type RgbImage } from "./png.js";

export interface StoredImage {
  uri: string;
  size: number;
  /** `sha256:<hex>` of the file. */
  checksum: string;
  truthUri: string;
}

/**
 * A local image store: a directory where cameras put their images; events carry `file:` URIs.
 * Each image gets a JSON file beside it with its ground truth. Writes are synchronous on purpose:
 * the image event must not be published before its image exists.
 */
export interface ImageStore {
  readonly dir: string;
  /** Number of images written. */
  readonly written: number;
  put(relativePath: string, image: RgbImage, truth: unknown): StoredImage;
}

export function createImageStore(dir: string): ImageStore {
  const root = resolve(dir);
  let written = 0;
  return {
    dir: root,
    get written() {
      return written;
    },
    put(relativePath, image, truth) {
      const file = join(root, `${relativePath}.png`);
      const truthFile = join(root, `${relativePath}.json`);
      mkdirSync(dirname(file), { recursive: true });
      const png = encodePng(image);
      writeFileSync(file, png);
      writeFileSync(truthFile, `${JSON.stringify(truth, null, 2)}\n`);
      written++;
      return {
        uri: pathToFileURL(file).href,
        size: png.length,
        checksum: `sha256:${createHash("sha256").update(png).digest("hex")}`,
        truthUri: pathToFileURL(truthFile).href,
      };
    },
  };
}
