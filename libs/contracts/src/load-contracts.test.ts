import { copyFileSync, cpSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LoadedContracts, loadContracts } from "./load-contracts.js";

const fixtures = fileURLToPath(new URL("../test-fixtures", import.meta.url));
const corpus = join(fixtures, "corpus");

/** Verdicts of the reference parser (@asyncapi/parser 3.6.3), from test-fixtures/corpus/README.md. */
const expectedOk = [
  "asyncapi-spec/streetlights-mqtt-2.0.0.yml",
  "asyncapi-spec/streetlights-mqtt-2.6.0.yml",
  "asyncapi-spec/streetlights-mqtt-3.0.0.yml",
  "asyncapi-spec/streetlights-mqtt-3.1.0.yml",
  "asyncapi-spec/oneof-asyncapi-3.0.0.yml",
  "asyncapi-spec/anyof-asyncapi-3.0.0.yml",
  "asyncapi-spec/application-headers-asyncapi-3.0.0.yml",
  "asyncapi-spec/correlation-id-asyncapi-3.0.0.yml",
  "parser-js/simple.yaml",
  "parser-js/circular-refs.yaml",
  "parser-js/nested-schemas.yaml",
  "third-party/fruugu-iot-devices-3.0.0.yaml",
];
const expectedInvalidRef = ["all", "asyncapi", "avro", "json", "openapi", "unknown"].map(
  (k) => `spec-json-schemas/streetlights-${k}-3.0.0.json`,
);

describe("loadContracts on the third-party corpus", () => {
  // Each document alone in a folder: the corpus repeats channel ids across documents, which in
  // one folder would (rightly) fail as duplicates.
  const results = new Map<string, LoadedContracts>();
  const dirs: string[] = [];

  beforeAll(async () => {
    for (const rel of [...expectedOk, ...expectedInvalidRef]) {
      const dir = mkdtempSync(join(tmpdir(), "uns-corpus-"));
      dirs.push(dir);
      copyFileSync(join(corpus, rel), join(dir, basename(rel)));
      results.set(rel, await loadContracts(dir));
    }
  }, 120_000);
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("accepts the 12 documents the reference parser accepts", () => {
    for (const rel of expectedOk) {
      const r = results.get(rel)!;
      const errors = r.diagnostics.filter((d) => d.severity === "error");
      expect(errors, rel).toEqual([]);
      expect(r.documents[0]!.ok, rel).toBe(true);
      expect(r.set.channels.length, rel).toBeGreaterThan(0);
    }
  });

  it("fails the 6 documents with unresolvable external $refs, with invalid-ref and a 1-based line", () => {
    for (const rel of expectedInvalidRef) {
      const r = results.get(rel)!;
      expect(r.documents[0]!.ok, rel).toBe(false);
      expect(r.documents[0]!.channels, rel).toEqual([]);
      expect(r.set.channels, rel).toEqual([]);
      const errors = r.diagnostics.filter((d) => d.severity === "error");
      expect(errors.length, rel).toBeGreaterThan(0);
      for (const e of errors) {
        expect(e.code, rel).toBe("invalid-ref");
        expect(e.line, rel).toBeGreaterThan(1);
        expect(e.path, rel).toMatch(/^\$\./);
      }
    }
    // streetlights-asyncapi-3.0.0.json: the $ref is on line 121 (the parser says 120, 0-based).
    const e = results
      .get("spec-json-schemas/streetlights-asyncapi-3.0.0.json")!
      .diagnostics.find((d) => d.code === "invalid-ref")!;
    expect(e).toMatchObject({
      line: 121,
      path: "$.components.messages.AsyncAPI-UserSignedUpV3.payload.$ref",
    });
  });

  it("keeps warnings without failing the document", () => {
    const r = results.get("asyncapi-spec/streetlights-mqtt-2.6.0.yml")!;
    expect(r.diagnostics.filter((d) => d.severity === "warning").length).toBeGreaterThan(0);
    expect(r.documents[0]!.ok).toBe(true);
  });

  it("reads 2.x channels by name, with parameter schemas", () => {
    const r = results.get("asyncapi-spec/streetlights-mqtt-2.6.0.yml")!;
    const ch = r.set.channels.find((c) => c.id.endsWith("lighting/measured"))!;
    expect(ch).toMatchObject({
      id: "smartylighting/streetlights/1/0/event/{streetlightId}/lighting/measured",
      address: "smartylighting/streetlights/1/0/event/{streetlightId}/lighting/measured",
      filter: "smartylighting/streetlights/1/0/event/+/lighting/measured",
      title: "Streetlights MQTT API",
      version: "1.0.0",
      parameters: { streetlightId: { type: "string" } },
      description: "The topic on which measured values may be produced and consumed.",
    });
    expect(ch.messages).toEqual([
      expect.objectContaining({
        name: "lightMeasured",
        title: "Light measured",
        contentType: "application/json",
        supported: true,
      }),
    ]);
    expect(r.documents[0]).toMatchObject({
      asyncapiVersion: "2.6.0",
      title: "Streetlights MQTT API",
      version: "1.0.0",
    });
  });

  it("reads 3.0 and 3.1 channels by id, with parameters as string schemas", () => {
    for (const rel of [
      "asyncapi-spec/streetlights-mqtt-3.0.0.yml",
      "asyncapi-spec/streetlights-mqtt-3.1.0.yml",
    ]) {
      const r = results.get(rel)!;
      expect(r.set.channels.map((c) => c.id)).toEqual([
        "lightingMeasured",
        "lightTurnOn",
        "lightTurnOff",
        "lightsDim",
      ]);
      expect(r.set.channels[0]!.parameters.streetlightId).toMatchObject({ type: "string" });
      expect(r.set.channels[1]!.messages[0]!.name).toBe("turnOn");
    }
    expect(results.get("asyncapi-spec/streetlights-mqtt-3.1.0.yml")!.documents[0]!.asyncapiVersion).toBe(
      "3.1.0",
    );
  });

  it("keeps every message of a channel", () => {
    const r = results.get("asyncapi-spec/oneof-asyncapi-3.0.0.yml")!;
    expect(r.set.channels.find((c) => c.id === "test2")!.messages.map((m) => m.name)).toEqual([
      "objectWithKey",
      "objectWithKey2",
    ]);
    expect(r.set.channels.find((c) => c.id === "test")!.messages[0]!.payload).toMatchObject({
      oneOf: [{}, {}],
    });
  });

  it("strips parser annotations and $id, so the set is plain JSON", () => {
    const r = results.get("parser-js/nested-schemas.yaml")!;
    const text = JSON.stringify(r.set);
    expect(text).not.toContain("x-parser-");
    expect(text).not.toContain('"$id"');
    expect(JSON.parse(text)).toEqual(r.set);
    expect(structuredClone(r.set)).toEqual(r.set);
  });

  it("skips schema fragments that are not documents", async () => {
    const dir = mkdtempSync(join(tmpdir(), "uns-corpus-"));
    try {
      for (const f of readdirSync(join(corpus, "parser-js/schema-fragments"))) {
        copyFileSync(join(corpus, "parser-js/schema-fragments", f), join(dir, f));
      }
      const r = await loadContracts(dir);
      expect(r.documents).toEqual([]);
      expect(r.diagnostics.map((d) => [d.severity, d.code])).toEqual([
        ["info", "UNS_ERR_CONTRACT_NOT_A_DOCUMENT"],
        ["info", "UNS_ERR_CONTRACT_NOT_A_DOCUMENT"],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("loadContracts on our fixtures", () => {
  let good: LoadedContracts;
  let broken: LoadedContracts;
  let brokenDir: string;
  beforeAll(async () => {
    good = await loadContracts(join(fixtures, "asyncapi/good"));
    // The YAML syntax error is written here rather than kept as a fixture, so that the repo's
    // formatter never has to parse it.
    brokenDir = mkdtempSync(join(tmpdir(), "uns-broken-"));
    cpSync(join(fixtures, "asyncapi/broken"), brokenDir, { recursive: true });
    writeFileSync(
      join(brokenDir, "broken-yaml.yaml"),
      "asyncapi: 3.0.0\ninfo:\n  title: Broken\n  version: 1.0.0\nchannels:\n  a: { address: [unclosed\n",
    );
    broken = await loadContracts(brokenDir);
  }, 60_000);
  afterAll(() => rmSync(brokenDir, { recursive: true, force: true }));

  it("loads documents with metadata and a hash", () => {
    expect(
      good.documents.map((d) => [basename(d.file), d.ok, d.asyncapiVersion, d.title, d.version]),
    ).toEqual([
      ["plant-v3.yaml", true, "3.0.0", "Body shop", "2.1.0"],
      ["press-v2.yaml", true, "2.6.0", "Press shop", "1.0.0"],
    ]);
    expect(good.documents[0]!.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(good.documents[0]!.channels).toEqual([
      "weldSpot",
      "imageEvent",
      "weldQuality",
      "energy",
      "recipe",
      "paintStatus",
    ]);
    expect(good.set.version).toMatch(/^[0-9a-f]{64}$/);
    // sub-folders are not loaded: common/ holds a fragment referenced by $ref
    expect(good.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  });

  it("resolves relative file $refs", () => {
    const spot = good.set.channels.find((c) => c.id === "weldSpot")!.messages[0]!;
    expect(spot.payload).toMatchObject({
      required: ["spotId", "current", "time"],
      properties: { spotId: { pattern: "^S[0-9]+$" } },
    });
    expect(spot.examples).toHaveLength(2);
  });

  it("turns 3.0 parameter enums into string schemas", () => {
    const ch = good.set.channels.find((c) => c.id === "weldSpot")!;
    expect(ch.parameters.cell).toMatchObject({ type: "string", enum: ["cell-01", "cell-02"] });
    expect(good.set.channels.find((c) => c.id === "imageEvent")!.parameters).toEqual({
      line: null,
      cell: null,
    });
  });

  it("marks Avro payloads unsupported, naming the format", () => {
    const m = good.set.channels.find((c) => c.id === "weldQuality")!.messages[0]!;
    expect(m).toMatchObject({
      supported: false,
      payload: null,
      schemaFormat: "application/vnd.apache.avro;version=1.9.0",
    });
    expect(m.unsupportedReason).toContain("Avro");
  });

  it("converts OpenAPI nullable and circular schemas", () => {
    expect(good.set.channels.find((c) => c.id === "energy")!.messages[0]!.payload).toEqual({
      type: "object",
      required: ["kwh"],
      properties: { kwh: { type: ["number", "null"] } },
    });
    const recipe = good.set.channels.find((c) => c.id === "recipe")!.messages[0]!;
    expect(recipe.supported).toBe(true);
    expect(recipe.payload).toMatchObject({
      $ref: "#/$defs/Step",
      $defs: { Step: { properties: { steps: { items: { $ref: "#/$defs/Step" } } } } },
    });
  });

  it("reports a YAML syntax error with its line and fails only that document", () => {
    const doc = broken.documents.find((d) => d.file.endsWith("broken-yaml.yaml"))!;
    expect(doc.ok).toBe(false);
    const diag = broken.diagnostics.find(
      (d) => d.file.endsWith("broken-yaml.yaml") && d.severity === "error",
    )!;
    expect(diag.line).toBeGreaterThanOrEqual(6);
    expect(diag.line).toBeLessThanOrEqual(7);
    expect(diag.column).toBeGreaterThanOrEqual(1);
    expect(broken.documents.find((d) => d.file.endsWith("dup-a.yaml"))!.ok).toBe(true);
  });

  it("refuses a duplicate channel id, naming both files, and drops the later document", () => {
    const dup = broken.diagnostics.find((d) => d.code === "UNS_ERR_CONTRACT_DUPLICATE_CHANNEL")!;
    expect(dup).toMatchObject({ severity: "error", path: "$.channels.status", line: 7 });
    expect(dup.file).toMatch(/dup-b\.yaml$/);
    expect(dup.message).toMatch(/dup-a\.yaml/);
    expect(broken.documents.find((d) => d.file.endsWith("dup-b.yaml"))).toMatchObject({
      ok: false,
      channels: [],
    });
    expect(broken.set.channels.map((c) => [c.id, c.address])).toEqual([["status", "a/status"]]);
  });

  it("changes the set version when a document changes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "uns-version-"));
    try {
      const doc = (v: string) =>
        `asyncapi: 3.0.0\ninfo: { title: T, version: ${v} }\nchannels: { c: { address: a/b } }\n`;
      writeFileSync(join(dir, "a.yaml"), doc("1.0.0"));
      const first = await loadContracts(dir);
      expect((await loadContracts(dir)).set.version).toBe(first.set.version);
      writeFileSync(join(dir, "a.yaml"), doc("1.0.1"));
      expect((await loadContracts(dir)).set.version).not.toBe(first.set.version);
      expect(statSync(join(dir, "a.yaml")).isFile()).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("throws UNS_ERR_CONTRACT_READ for a missing folder", async () => {
    await expect(loadContracts("/nonexistent-dir")).rejects.toMatchObject({ code: "UNS_ERR_CONTRACT_READ" });
  });
});
