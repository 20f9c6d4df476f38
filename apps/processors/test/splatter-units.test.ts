import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { renderFrame } from "@uns/simulator";
import { afterAll, describe, expect, it } from "vitest";
import { listVersions } from "../src/lifecycle/model-slot.js";
import { checkManifest, readModel } from "../src/model/manifest.js";
import { findCandidates, matches } from "../src/splatter/candidates.js";
import { createDetector } from "../src/splatter/detector.js";
import { decideSplatter } from "../src/splatter/gate.js";
import { resolveImagePath } from "../src/splatter/image-source.js";
import {
  CENTRE,
  CONTEXT,
  FEATURES,
  featureCount,
  GRID,
  type PatchLayout,
  transposedRows,
  transposition,
} from "../src/splatter/patch-features.js";
import { trainSplatter } from "../src/splatter/train.js";
import { parseZoneMap } from "../src/splatter/zones.js";
import { ROOT } from "./helper.js";

const dir = mkdtempSync(join(tmpdir(), "uns-splatter-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MAP = `
name: splatter-zones
version: 1.0.0
gate: splatter-inspection
cameras:
  cam-01:
    width: 100
    height: 100
    mmPerPixel: 0.1
    zones:
      - { id: z1, name: flange, mustBeClean: true, x: 0, y: 0, width: 50, height: 100 }
      - { id: z2, name: floor, mustBeClean: false, x: 50, y: 0, width: 50, height: 100 }
`;

describe("zone map", () => {
  it("lists every problem of a broken map", () => {
    const broken = MAP.replace("mustBeClean: false", "mustBeClean: maybe").replace(
      "x: 50, y: 0, width: 50",
      "x: 50, y: 0, width: 80",
    );
    expect(() => parseZoneMap(broken, "zones.yaml")).toThrow(
      /zones\[1\]\.mustBeClean must be true or false; .*zones\[1\] reaches outside the 100 x 100 frame/,
    );
  });
});

describe("image root", () => {
  const root = join(dir, "images");
  mkdirSync(root);
  writeFileSync(join(dir, "secret.jpg"), "x");
  writeFileSync(join(root, "ok.jpg"), "x");
  symlinkSync(join(dir, "secret.jpg"), join(root, "link.jpg"));

  it("reads below the root, refuses symlinks leading out of it and other schemes", async () => {
    expect(await resolveImagePath(pathToFileURL(join(root, "ok.jpg")).href, root)).toBe(join(root, "ok.jpg"));
    expect(await resolveImagePath(pathToFileURL(join(root, "link.jpg")).href, root)).toMatchObject({
      code: "UNS_ERR_IMAGE_PATH",
      message: expect.stringMatching(/resolves to .*secret\.jpg, outside the image root/),
    });
    expect(await resolveImagePath("https://example.com/a.jpg", root)).toMatchObject({
      code: "UNS_ERR_IMAGE_PATH",
    });
    expect(await resolveImagePath(pathToFileURL(root).href, root)).toMatchObject({
      code: "UNS_ERR_IMAGE_PATH",
    });
  });
});

describe("splatter gate decision", () => {
  const map = parseZoneMap(MAP, "zones.yaml");
  const base = { camera: "cam-01", bodyId: "BODY-000001", model: { name: "m", version: "1.0.0" } };
  it("grinds only must-be-clean zones, and never passes an image nobody scored", () => {
    const box = (x: number) => ({ score: 0.9, x, y: 10, width: 6, height: 6 });
    expect(
      decideSplatter(map, "BODY-000001", [{ ...base, eventId: "e1", detections: [box(70)] }], new Date())
        .decision,
    ).toBe("continue");
    const d = decideSplatter(
      map,
      "BODY-000001",
      [{ ...base, eventId: "e1", detections: [box(10), box(70)] }],
      new Date(),
    );
    expect(d).toMatchObject({
      decision: "correct",
      evidence: [{ kind: "splatter-detection", ref: "e1", value: 0.9 }],
    });
    expect(d.evidence).toHaveLength(1);
    const failed = decideSplatter(
      map,
      "BODY-000001",
      [
        {
          ...base,
          eventId: "e2",
          detections: [],
          status: "failed",
          error: { code: "UNS_ERR_IMAGE_DECODE", message: "truncated" },
        },
      ],
      new Date(),
    );
    expect(failed).toMatchObject({ decision: "correct", evidence: [{ kind: "image-event", ref: "e2" }] });
  });
});

/** sha256 of the pixels of renderFrame({ seed: "golden", 1368 x 912, splatter 6, clutter 4 }). */
const GOLDEN_FRAME_SHA256 = "521afa5e94114ec97fd3aec85456750611271dc67e4c514981afe54bf7178e84";

describe("simulated frames", () => {
  it("are reproducible from the seed, and splatter has its physical size through mm per pixel", () => {
    const a = renderFrame({ seed: "s1", width: 400, height: 300, splatter: 4 });
    const b = renderFrame({ seed: "s1", width: 400, height: 300, splatter: 4 });
    expect(Buffer.from(a.pixels).equals(Buffer.from(b.pixels))).toBe(true);
    expect(a.truth).toEqual(b.truth);
    expect(
      Buffer.from(renderFrame({ seed: "s2", width: 400, height: 300 }).pixels).equals(Buffer.from(a.pixels)),
    ).toBe(false);
    // The drawing itself is pinned: a change to it changes what the models were trained on.
    const golden = renderFrame({ seed: "golden", width: 1368, height: 912, splatter: 6, clutter: 4 });
    expect(createHash("sha256").update(golden.pixels).digest("hex")).toBe(GOLDEN_FRAME_SHA256);
    const fine = renderFrame({ seed: "s1", width: 800, height: 600, splatter: 4, mmPerPixel: 0.05 });
    for (const [i, s] of a.truth.splatter.entries()) {
      expect(fine.truth.splatter[i]!.diameterMm).toBe(s.diameterMm);
      // Twice the pixels per mm: about twice the box (plus the fixed 1 px margin).
      expect(fine.truth.splatter[i]!.width).toBeGreaterThan(s.width * 1.6);
    }
  });

  it("name the dark fixture beyond the panel edge in the truth", () => {
    const mean = (f: ReturnType<typeof renderFrame>, inside: boolean) => {
      const b = f.truth.fixture!;
      let sum = 0;
      let n = 0;
      for (let y = 0; y < f.height; y += 4)
        for (let x = 0; x < f.width; x += 4) {
          const inBox = x >= b.x && x < b.x + b.width && y >= b.y && y < b.y + b.height;
          if (inBox === inside) {
            sum += f.pixels[y * f.width + x]!;
            n++;
          }
        }
      return sum / n;
    };
    let withEdge = 0;
    for (let i = 0; i < 12; i++) {
      const f = renderFrame({ seed: `fixture/${i}`, width: 684, height: 456 });
      if (!f.truth.fixture) continue;
      withEdge++;
      // 35 % of the light (+10) beyond the edge: far darker than the panel.
      expect(mean(f, true)).toBeLessThan(mean(f, false) * 0.6);
    }
    expect(withEdge).toBeGreaterThan(3);
  });
});

describe("candidate finder", () => {
  /** A flat grey panel with a weld spot (dark annulus, 60 px) and a bead touching its rim. */
  function panel() {
    const w = 400;
    const h = 300;
    const p = new Uint8Array(w * h).fill(120);
    const disc = (cx: number, cy: number, r: number, v: number) => {
      for (let y = Math.floor(cy - r); y <= cy + r; y++)
        for (let x = Math.floor(cx - r); x <= cx + r; x++)
          if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) p[y * w + x] = v;
    };
    disc(150, 150, 30, 60);
    disc(150, 150, 18, 150);
    // The bead: a dark oxide blob with a bright highlight, its edge on the spot's rim.
    disc(188, 150, 8, 35);
    disc(186, 148, 3, 250);
    return { p, w, h, bead: { x: 180, y: 142, width: 17, height: 17 } };
  }

  it("splits a bead out of the weld spot it touches instead of dropping both as too large", () => {
    const { p, w, h, bead } = panel();
    const set = findCandidates(p, w, h, { threshold: 26 });
    expect(set.features.length).toBe(set.candidates.length * FEATURES);
    const hit = set.candidates.filter((c) => matches(c, bead));
    expect(hit.length).toBeGreaterThanOrEqual(1);
    // The spot alone (no bead) is not turned into a bead-sized candidate where the bead was.
    const clean = panel();
    for (let y = 140; y < 160; y++) for (let x = 180; x < 197; x++) clean.p[y * w + x] = 120;
    const none = findCandidates(clean.p, w, h, { threshold: 26 });
    expect(none.candidates.filter((c) => matches(c, bead))).toEqual([]);
  });
});

describe("dark-relative features (patch.darkRelative)", () => {
  /** A 0.9 mm bead (dark core 70 levels deep, highlight +120) on a flat surface of grey `bg`. */
  function bead(bg: number) {
    const w = 120;
    const h = 120;
    const p = new Uint8Array(w * h).fill(bg);
    const disc = (cx: number, cy: number, r: number, dv: number) => {
      for (let y = Math.floor(cy - r); y <= cy + r; y++)
        for (let x = Math.floor(cx - r); x <= cx + r; x++)
          if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) p[y * w + x] = Math.max(0, Math.min(255, bg + dv));
    };
    disc(60, 60, 5, -70);
    disc(58, 58, 1.5, 120);
    return findCandidates(p, w, h, { threshold: 26, layout: { darkRelative: true } }).features;
  }
  const centre = GRID * GRID + (CENTRE / 2 + 1) * CENTRE + CENTRE / 2 + 1; // inside the dark core
  const darkContrast = FEATURES - 5;

  it("show a bead on the dark fixture (clipped at black) about as dark as on the panel", () => {
    const panel = bead(120);
    const fixture = bead(30);
    // Fixed-scale features: the core on the fixture would be -30/64 = -0.47 against -70/64.
    // (The background of a cell is the mean around it, which the bead itself pulls down a little.)
    expect(panel[centre]).toBeLessThan(-0.95);
    expect(fixture[centre]).toBeLessThan(-0.9);
    expect(fixture[darkContrast]).toBeGreaterThan(0.9);
    // The manifest says which features a model was trained on, and only as true or false.
    const model = readModel(join(ROOT, "models", "splatter-patch-classifier", "3.0.0", "manifest.json"));
    expect(model.manifest.patch?.darkRelative).toBe(true);
    expect(
      checkManifest({ ...model.manifest, patch: { ...model.manifest.patch, darkRelative: "yes" } }),
    ).toEqual([`"patch.darkRelative" must be true or false`]);
    // Above the background nothing changes: the highlight keeps the fixed scale.
    expect(Math.max(...fixture.subarray(GRID * GRID, GRID * GRID + CENTRE * CENTRE))).toBeCloseTo(
      120 / 64,
      1,
    );
  });
});

describe("context grid (patch.context)", () => {
  /** A bead on a flat panel of grey 120, and the same place where a sealant line ends. */
  function scene(withLine: boolean) {
    const w = 200;
    const h = 200;
    const p = new Uint8Array(w * h).fill(120);
    if (withLine) for (let y = 96; y < 106; y++) for (let x = 0; x < 100; x++) p[y * w + x] = 40;
    else for (let y = 96; y < 106; y++) for (let x = 90; x < 100; x++) p[y * w + x] = 40;
    const layout: PatchLayout = { darkRelative: true, context: { ...CONTEXT } };
    const set = findCandidates(p, w, h, { threshold: 26, layout });
    const near = set.candidates.findIndex(
      (c) => c.x <= 100 && c.x + c.width >= 90 && c.y <= 106 && c.y + c.height >= 96,
    );
    expect(near).toBeGreaterThanOrEqual(0);
    const n = featureCount(layout);
    return {
      base: set.features.slice(near * n, near * n + FEATURES),
      context: set.features.slice(near * n + FEATURES, (near + 1) * n),
    };
  }

  it("appends 12 x 12 means over 96 px after the base features, which stay as they were", () => {
    expect(featureCount({ context: { ...CONTEXT } })).toBe(FEATURES + 144);
    const w = 100;
    const p = new Uint8Array(w * w).fill(120);
    for (let y = 45; y < 55; y++) for (let x = 45; x < 55; x++) p[y * w + x] = 40;
    const plain = findCandidates(p, w, w, { threshold: 26, layout: { darkRelative: true } });
    const wide = findCandidates(p, w, w, {
      threshold: 26,
      layout: { darkRelative: true, context: { ...CONTEXT } },
    });
    expect(wide.candidates).toEqual(plain.candidates);
    expect(Array.from(wide.features.subarray(0, FEATURES))).toEqual(
      Array.from(plain.features.subarray(0, FEATURES)),
    );
  });

  it("shows a sealant line going on beyond the 48 px patch, where a blob shows flat panel", () => {
    const line = scene(true);
    const blob = scene(false);
    // The leftmost context column (40-48 px left of the centre): the line crosses it, the blob's
    // scene is flat panel there.
    const column = (c: Float32Array) =>
      Math.min(...Array.from({ length: CONTEXT.grid }, (_, y) => c[y * CONTEXT.grid]!));
    expect(column(line.context)).toBeLessThan(-0.5);
    expect(column(blob.context)).toBeGreaterThan(-0.05);
  });

  it("is checked in the manifest, and a detector refuses a model whose feature count does not fit", async () => {
    const model = readModel(join(ROOT, "models", "splatter-patch-classifier", "3.0.0", "manifest.json"));
    const patch = model.manifest.patch!;
    expect(checkManifest({ ...model.manifest, patch: { ...patch, context: { size: 96, grid: 7 } } })).toEqual(
      [`"patch.context" must be { size, grid }: whole pixels, size a multiple of grid (e.g. 96, 12)`],
    );
    await expect(
      createDetector({ ...model.manifest, patch: { ...patch, context: { ...CONTEXT } } }, model.bytes),
    ).rejects.toThrow(/needs a patch-classifier whose "patch.features" is 983/);
  });
});

describe("splatter training", () => {
  it("gives byte-identical files for the same seed and different ones for another seed", async () => {
    // A handful of tiles keeps this quick; `pnpm train:splatter` uses 1440.
    const run = (seed: string) =>
      trainSplatter({ seed, outDir: mkdtempSync(join(dir, "train-")), tiles: 4, epochs: 1 });
    const a = await run("s1");
    const b = await run("s1");
    const c = await run("s2");
    const sha = (d: string, f: string) =>
      createHash("sha256")
        .update(readFileSync(join(d, f)))
        .digest("hex");
    for (const f of ["model.onnx", "manifest.json"]) expect(sha(a.dir, f)).toBe(sha(b.dir, f));
    expect(a.manifest.sha256).toBe(sha(a.dir, "model.onnx"));
    expect(c.manifest.sha256).not.toBe(a.manifest.sha256);
  }, 120_000);
});

describe("transposed patches (test-time augmentation)", () => {
  /** A simulated tile and the same pixels transposed (x <-> y). */
  function tileAndTranspose() {
    const a = renderFrame({ seed: "transpose", width: 1368, height: 912, splatter: 8, clutter: 4 });
    const t = new Uint8Array(a.pixels.length);
    for (let y = 0; y < a.height; y++)
      for (let x = 0; x < a.width; x++) t[x * a.height + y] = a.pixels[y * a.width + x]!;
    return { a, t, tw: a.height, th: a.width };
  }
  const key = (c: { x: number; y: number; width: number; height: number }) =>
    `${c.x},${c.y},${c.width},${c.height}`;

  it("turn a candidate's features (context grid included) into those the finder gives on the transposed image", () => {
    const { a, t, tw, th } = tileAndTranspose();
    const layout: PatchLayout = { darkRelative: true, context: { ...CONTEXT } };
    const n = featureCount(layout);
    const plain = findCandidates(a.pixels, a.width, a.height, { threshold: 26, layout });
    const turned = findCandidates(t, tw, th, { threshold: 26, layout });
    const at = new Map(turned.candidates.map((c, i) => [key(c), i]));
    expect(plain.candidates.length).toBeGreaterThan(20);
    expect(turned.candidates.length).toBe(plain.candidates.length);
    const rows = plain.candidates.map((_, i) => i);
    const mine = transposedRows(plain.features, rows, layout);
    for (const [i, c] of plain.candidates.entries()) {
      const j = at.get(key({ x: c.y, y: c.x, width: c.height, height: c.width }));
      expect(j).toBeDefined();
      const theirs = turned.features.subarray(j! * n, (j! + 1) * n);
      for (let f = 0; f < n; f++) expect(mine[i * n + f]).toBeCloseTo(theirs[f]!, 4);
    }
    // The transpose undoes itself, with and without the context grid.
    for (const l of [layout, {}]) {
      const from = transposition(l);
      expect(from.length).toBe(featureCount(l));
      expect(from.every((k, i) => from[k] === i)).toBe(true);
    }
  });

  it("make a model with a full transpose band score an image and its transpose alike", async () => {
    const { a, t, tw, th } = tileAndTranspose();
    const name = "splatter-patch-classifier";
    const version = listVersions(join(ROOT, "models"), name)[0]!;
    const model = readModel(join(ROOT, "models", name, version, "manifest.json"));
    const patch = model.manifest.patch!;
    // Threshold 0 keeps every candidate, so scores can be compared box by box.
    const scoresOf = async (band: [number, number] | undefined) => {
      const detector = await createDetector(
        { ...model.manifest, threshold: 0, patch: { ...patch, transposeBand: band } },
        model.bytes,
      );
      const one = await detector.detect(a.pixels, a.width, a.height);
      const other = await detector.detect(t, tw, th);
      const byBox = new Map(
        other.detections.map((d) => [key({ x: d.y, y: d.x, width: d.height, height: d.width }), d.score]),
      );
      return one.detections.map((d) => [d.score, byBox.get(key(d))]);
    };
    // Averaging a patch with its transpose is symmetric: both images give the same scores.
    const averaged = await scoresOf([0, 1]);
    expect(averaged.length).toBeGreaterThan(20);
    for (const [s, u] of averaged) expect(Math.abs(s! - u!)).toBeLessThanOrEqual(0.0011);
    // One run is not: the light comes from one side, and the model knows it.
    const plain = await scoresOf(undefined);
    expect(plain.some(([s, u]) => u === undefined || Math.abs(s! - u) > 0.01)).toBe(true);
  });
});
