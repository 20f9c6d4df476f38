import { crc32, deflateSync } from "node:zlib";

/** PNG file signature [PNG spec 5.2]. */
export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface RgbImage {
  width: number;
  height: number;
  /** width x height x 3 bytes, row by row, R G B. */
  data: Uint8Array;
}

/**
 * Encodes an 8-bit RGB image as PNG with node:zlib, so the simulator needs no native image library.
 * Every scanline uses filter type 1 (Sub): on smooth panels it makes the deflate stream several
 * times smaller than no filter, at the cost of one subtraction per byte.
 */
export function encodePng(image: RgbImage, level = 3): Buffer {
  const { width, height, data } = image;
  if (data.length !== width * height * 3) {
    throw new Error(
      `image data has ${data.length} bytes, expected ${width * height * 3} for ${width}x${height} RGB`,
    );
  }
  const stride = width * 3;
  const raw = Buffer.allocUnsafe((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const src = y * stride;
    const dst = y * (stride + 1);
    raw[dst] = 1; // filter type Sub [PNG spec 9.2]
    for (let x = 0; x < 3 && x < stride; x++) raw[dst + 1 + x] = data[src + x]!;
    for (let x = 3; x < stride; x++) raw[dst + 1 + x] = (data[src + x]! - data[src + x - 3]!) & 0xff;
  }

  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: truecolour (RGB)
  ihdr[10] = 0; // compression: deflate
  ihdr[11] = 0; // filter method 0
  ihdr[12] = 0; // no interlace

  return Buffer.concat([
    PNG_SIGNATURE,
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw, { level })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** length, type, data, CRC-32 over type and data [PNG spec 5.3]. */
function chunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body, crc32(head.subarray(4, 8))) >>> 0, 0);
  return Buffer.concat([head, body, crc]);
}

/** Reads width, height, bit depth and colour type from a PNG's IHDR; throws if it is not a PNG. */
export function readPngHeader(file: Uint8Array): {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
} {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (buf.length < 33 || !buf.subarray(0, 8).equals(PNG_SIGNATURE))
    throw new Error("not a PNG: bad signature");
  if (buf.readUInt32BE(8) !== 13 || buf.toString("latin1", 12, 16) !== "IHDR")
    throw new Error("not a PNG: no IHDR first");
  const expected = crc32(buf.subarray(16, 29), crc32(buf.subarray(12, 16))) >>> 0;
  if (buf.readUInt32BE(29) !== expected) throw new Error("not a PNG: IHDR CRC mismatch");
  return {
    width: buf.readUInt32BE(16),
    height: buf.readUInt32BE(20),
    bitDepth: buf[24]!,
    colorType: buf[25]!,
  };
}
