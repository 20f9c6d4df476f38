import { createHash } from "node:crypto";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadContractsIsolated } from "./isolated-loader.js";
import { type LoadContractsOptions, type LoadedContracts, loadContracts } from "./load-contracts.js";

/** A document whose payload is a schema in a referenced file, and one on its own with a warning. */
const spotDoc = `asyncapi: 3.0.0
info: { title: Spots, version: 1.0.0 }
channels:
  spot:
    address: acme/{line}/spot
    parameters: { line: { description: the line } }
    messages:
      spot: { payload: { $ref: "./schemas/spot.yaml" } }
operations:
  publishSpot: { action: send, channel: { $ref: "#/channels/spot" } }
`;
const spotSchema = (maximum: number) =>
  `type: object\nrequired: [current]\nproperties:\n  current: { type: number, maximum: ${maximum} }\n`;
const lineDoc = `asyncapi: 3.0.0
info: { title: Line, version: 2.0.0 }
channels:
  line:
    address: acme/{line}/state
    messages:
      state: { payload: { type: object, properties: { running: { type: boolean } } } }
operations: {}
`;

describe("contract cache (contracts.cache)", () => {
  let root: string;
  let dir: string;
  let cacheDir: string;
  let cold: LoadedContracts;
  let coldPauses = 0;

  const load = (extra: LoadContractsOptions = {}) => {
    const counts = { pauses: 0 };
    return loadContracts(dir, { cacheDir, onPause: () => counts.pauses++, ...extra }).then((r) => ({
      ...r,
      pauses: counts.pauses,
    }));
  };
  const entries = () => readdirSync(cacheDir).filter((n) => n.endsWith(".json"));
  /** What the broker and the console get: everything but the cache's own counts. */
  const visible = ({ set, documents, diagnostics }: LoadedContracts) => ({ set, documents, diagnostics });

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "uns-cache-"));
    dir = join(root, "asyncapi");
    cacheDir = join(root, "data", "contract-cache");
    mkdirSync(join(dir, "schemas"), { recursive: true });
    writeFileSync(join(dir, "spot.yaml"), spotDoc);
    writeFileSync(join(dir, "schemas", "spot.yaml"), spotSchema(20_000));
    writeFileSync(join(dir, "line.yaml"), lineDoc);
    const r = await load();
    cold = r;
    coldPauses = r.pauses;
  }, 120_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("parses every document on the first load and keeps one entry per document", () => {
    expect(cold.cache).toEqual({ hits: 0, misses: 2, warnings: [] });
    expect(coldPauses).toBe(1);
    expect(entries()).toHaveLength(2);
    expect(cold.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    // The diagnostics the console shows (here: a newer AsyncAPI version exists) are kept.
    expect(cold.diagnostics.filter((d) => d.code === "asyncapi-latest-version").length).toBe(2);
    const spot = cold.set.channels.find((c) => c.id === "spot")!;
    expect(spot.messages[0]!.payload).toMatchObject({ properties: { current: { maximum: 20_000 } } });
  });

  it("serves unchanged documents from the cache, with the same result, without loading the parser", async () => {
    const warm = await load();
    expect(warm.cache).toEqual({ hits: 2, misses: 0, warnings: [] });
    expect(warm.pauses).toBe(0);
    expect(visible(warm)).toEqual(visible(cold));
  });

  it("parses a changed document again, and only that one", async () => {
    writeFileSync(join(dir, "line.yaml"), lineDoc.replace("2.0.0", "2.1.0"));
    const r = await load();
    expect(r.cache).toMatchObject({ hits: 1, misses: 1 });
    expect(r.documents.find((d) => d.file.endsWith("line.yaml"))!.version).toBe("2.1.0");
    expect(r.set.version).not.toBe(cold.set.version);
  }, 60_000);

  it("parses a document again when a file it references changes", async () => {
    writeFileSync(join(dir, "schemas", "spot.yaml"), spotSchema(15_000));
    const r = await load();
    expect(r.cache).toMatchObject({ hits: 1, misses: 1 });
    const spot = r.set.channels.find((c) => c.id === "spot")!;
    expect(spot.messages[0]!.payload).toMatchObject({ properties: { current: { maximum: 15_000 } } });
  }, 60_000);

  it("parses a document again when a referenced file that was missing appears", async () => {
    writeFileSync(
      join(dir, "gap.yaml"),
      spotDoc.replace("./schemas/spot.yaml", "./schemas/later.yaml").replace(/spot/g, "gap"),
    );
    const broken = await load();
    const errs = broken.diagnostics.filter((d) => d.file.endsWith("gap.yaml") && d.severity === "error");
    expect(errs.length).toBeGreaterThan(0);
    // The broken verdict is cached too: unchanged, it is not parsed again.
    expect((await load()).cache).toMatchObject({ hits: 3, misses: 0 });
    writeFileSync(join(dir, "schemas", "later.yaml"), spotSchema(10_000));
    const fixed = await load();
    expect(fixed.cache).toMatchObject({ hits: 2, misses: 1 });
    expect(fixed.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(fixed.set.channels.map((c) => c.id).sort()).toEqual(["gap", "line", "spot"]);
    rmSync(join(dir, "gap.yaml"));
  }, 60_000);

  it("serves a copy of the folder elsewhere from the same entries, naming the copy's files", async () => {
    const copy = join(root, "elsewhere", "contracts");
    cpSync(dir, copy, { recursive: true });
    // A broken document whose diagnostics name a referenced file by its absolute path.
    writeFileSync(
      join(copy, "gap.yaml"),
      spotDoc.replace("./schemas/spot.yaml", "./schemas/nowhere.yaml").replace(/spot/g, "gap"),
    );
    const fresh = await loadContracts(copy);
    await loadContracts(copy, { cacheDir });
    const moved = join(root, "moved");
    cpSync(copy, moved, { recursive: true });
    const fromCopy = await loadContracts(moved, { cacheDir });
    expect(fromCopy.cache).toMatchObject({ hits: 3, misses: 0 });
    const expected = await loadContracts(moved);
    expect(visible(fromCopy)).toEqual(visible(expected));
    expect(JSON.stringify(fromCopy)).not.toContain(copy);
    expect(visible(expected)).not.toEqual(visible(fresh));
  }, 120_000);

  it("ignores a corrupt, foreign or doctored entry with a warning, parses, and replaces it", async () => {
    const own = join(root, "corrupt-cache");
    const loadOwn = () => loadContracts(dir, { cacheDir: own });
    await loadOwn();
    const before = await loadOwn();
    expect(before.cache).toMatchObject({ hits: 2, misses: 0 });
    const [a, b] = readdirSync(own).sort();
    const pathA = join(own, a!);
    const pathB = join(own, b!);
    const textA = readFileSync(pathA, "utf8");
    const textB = readFileSync(pathB, "utf8");
    const nl = textA.indexOf("\n");
    const header = JSON.parse(textA.slice(0, nl)) as { sha256: string };
    expect(header.sha256).toMatch(/^[0-9a-f]{64}$/);
    const cases: [string, string, RegExp][] = [
      ["truncated", textA.slice(0, Math.floor(textA.length / 2)), /checksum|no header|not JSON/],
      ["not a cache file", "hello\nworld", /not JSON|not a uns-contract-cache/],
      ["another format", `${JSON.stringify({ format: "x/1" })}\n{}`, /not a uns-contract-cache/],
      // Another document's entry under this name: its key says so.
      ["foreign", textB, /another document/],
      // A changed body under the original header: the checksum says so.
      [
        "doctored",
        `${textA.slice(0, nl + 1)}${textA.slice(nl + 1).replace(/"ok":(true|false)/, '"ok":null')}`,
        /checksum/,
      ],
      // A right checksum over a body of the wrong shape: the shape check says so.
      [
        "wrong shape",
        `${JSON.stringify({ ...JSON.parse(textA.slice(0, nl)), sha256: sha('{"channels":7}') })}\n{"channels":7}`,
        /shape/,
      ],
    ];
    for (const [name, content, why] of cases) {
      writeFileSync(pathA, content);
      const r = await loadOwn();
      expect(r.cache!.misses, name).toBe(1);
      expect(r.cache!.warnings, name).toHaveLength(1);
      expect(r.cache!.warnings[0], name).toMatch(why);
      expect(visible(r), name).toEqual(visible(before));
      // Replaced by a good entry: the next load hits.
      expect(readFileSync(pathA, "utf8"), name).toBe(textA);
    }
    expect((await loadOwn()).cache).toEqual({ hits: 2, misses: 0, warnings: [] });
  }, 120_000);

  it("loads without a cache it cannot write, saying why", async () => {
    const file = join(root, "not-a-folder");
    writeFileSync(file, "x");
    const r = await loadContracts(dir, { cacheDir: join(file, "cache") });
    expect(r.cache!.warnings.join("\n")).toMatch(/cannot be created/);
    expect(visible(r)).toEqual(visible(await load()));
  }, 60_000);

  it("keeps at most maxEntries entries, the least recently used going first", async () => {
    const old = new Date("2000-01-01T00:00:00Z");
    for (let i = 0; i < 3; i++) {
      const file = join(cacheDir, `${String(i).repeat(64)}.json`);
      writeFileSync(file, "old");
      utimesSync(file, old, old);
    }
    const { openContractCache } = await import("./load-cache.js");
    const c = openContractCache({ dir: cacheDir, maxEntries: 3 });
    c.finish();
    expect(entries()).toHaveLength(3);
    expect((await load()).cache).toMatchObject({ hits: 2 });
  });

  it("works through the loader thread, and does not cache a document that references a URL", async () => {
    const server: Server = createServer((_req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ type: "object", properties: { a: { type: "string" } } }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const remoteDir = join(root, "remote");
    mkdirSync(remoteDir);
    writeFileSync(join(remoteDir, "r.yaml"), spotDoc.replace("./schemas/spot.yaml", `http://${host}/s.json`));
    const remoteCache = join(root, "remote-cache");
    try {
      for (let i = 0; i < 2; i++) {
        const r = await loadContractsIsolated(remoteDir, {
          cacheDir: remoteCache,
          allowedRefHosts: [host],
          standby: false,
          timeoutMs: 120_000,
        });
        expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
        expect(r.cache).toEqual({ hits: 0, misses: 1, warnings: [] });
      }
      expect(readdirSync(remoteCache)).toEqual([]);
      const local = await loadContractsIsolated(dir, { cacheDir, standby: false, timeoutMs: 120_000 });
      expect(local.cache).toEqual({ hits: 2, misses: 0, warnings: [] });
      expect(local.set.channels.map((c) => c.id).sort()).toEqual(["line", "spot"]);
    } finally {
      server.close();
    }
  }, 240_000);
});

function sha(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
