import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { inflateSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_PLANT_INPUT } from "../src/default-plant.js";
import { createImageStore } from "../src/image-store.js";
import type { ImageEventPayload } from "../src/messages.js";
import { createPlant } from "../src/plant.js";
import { encodePng, PNG_SIGNATURE, readPngHeader } from "../src/png.js";
import { createTraffic } from "../src/traffic.js";

const dir = mkdtempSync(join(tmpdir(), "uns-sim-png-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Decodes our own PNGs (8-bit RGB, filters None/Sub) to check the pixels survive the trip. */
function decode(png: Buffer): { width: number; height: number; data: Buffer } {
  const { width, height } = readPngHeader(png);
  const idat: Buffer[] = [];
  for (let o = 8; o < png.length; ) {
    const len = png.readUInt32BE(o);
    const type = png.toString("latin1", o + 4, o + 8);
    if (type === "IDAT") idat.push(png.subarray(o + 8, o + 8 + len));
    o += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 3;
  const data = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x]!;
      data[y * stride + x] = filter === 1 && x >= 3 ? (v + data[y * stride + x - 3]!) & 0xff : v;
    }
  }
  return { width, height, data };
}

describe("PNG encoder", () => {
  it("writes a PNG signature, an IHDR with the size, and pixels that decode back", () => {
    const width = 37;
    const height = 11;
    const data = new Uint8Array(width * height * 3).map((_, i) => (i * 7) % 256);
    const png = encodePng({ width, height, data });
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(png.toString("latin1", 12, 16)).toBe("IHDR");
    expect(readPngHeader(png)).toEqual({ width, height, bitDepth: 8, colorType: 2 });
    expect(png.toString("latin1", png.length - 8, png.length - 4)).toBe("IEND");
    expect(decode(png).data.equals(Buffer.from(data))).toBe(true);
  });

  it("rejects data of the wrong size, and readPngHeader rejects what is not a PNG", () => {
    expect(() => encodePng({ width: 2, height: 2, data: new Uint8Array(5) })).toThrow(/expected 12/);
    expect(() => readPngHeader(Buffer.from("GIF89a............................"))).toThrow(/signature/);
  });
});

describe("camera images", () => {
  it("are written to the image store, referenced by the event, with boxes around the splatter", () => {
    const config = structuredClone(DEFAULT_PLANT_INPUT) as Record<string, unknown>;
    // Many expulsions so that splatter shows up in the first images.
    config.process = { faults: { expulsion: 0.3 } };
    const traffic = createTraffic(createPlant(config), {
      seed: 9,
      startTime: Date.parse("2026-03-02T06:00:00Z"),
      imageStore: createImageStore(dir),
      channels: ["imageEvent"],
    });
    let splatter = 0;
    for (let i = 0; i < 24; i++) {
      const m = traffic.next();
      const event = JSON.parse(m.payload.toString()) as ImageEventPayload;
      const file = fileURLToPath(event.image.uri);
      expect(existsSync(file)).toBe(true);
      const png = readFileSync(file);
      expect(readPngHeader(png)).toMatchObject({ width: event.image.width, height: event.image.height });
      expect(event.image.size).toBe(png.length);
      expect(event.image.checksum).toBe(`sha256:${createHash("sha256").update(png).digest("hex")}`);
      const truth = JSON.parse(readFileSync(fileURLToPath(event.groundTruth), "utf8"));
      expect(truth.bodyId).toBe(event.bodyId);
      expect(truth.spots.length).toBeGreaterThan(0);
      const { data, width } = decode(png);
      for (const box of truth.splatter) {
        expect(box.x + box.width).toBeLessThanOrEqual(event.image.width);
        expect(box.y + box.height).toBeLessThanOrEqual(event.image.height);
        // A speck is bright: the box holds pixels far brighter than the panel.
        let brightest = 0;
        for (let y = box.y; y < box.y + box.height; y++) {
          for (let x = box.x; x < box.x + box.width; x++)
            brightest = Math.max(brightest, data[(y * width + x) * 3]!);
        }
        expect(brightest).toBeGreaterThan(215);
        splatter++;
      }
    }
    expect(splatter).toBeGreaterThan(0);
  });
});
