import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { BAD_KINDS } from "../src/bad-traffic.js";
import { formatSummary, parseCliArgs, UsageError } from "../src/cli.js";
import { defaultPlantConfig } from "../src/default-plant.js";
import { loadPlantConfig, PlantConfigError, parsePlantConfig } from "../src/plant-config.js";
import { ROOT } from "./contracts.js";

describe("command line", () => {
  it("applies the documented defaults", () => {
    const { options, json, help, progressSeconds } = parseCliArgs([]);
    expect(options).toEqual({ url: "mqtt://localhost:1883", qos: 1, seed: "1" });
    expect({ json, help, progressSeconds }).toEqual({ json: false, help: false, progressSeconds: 5 });
  });

  it("reads every flag", () => {
    const { options } = parseCliArgs(
      [
        "--url",
        "mqtt://broker:1884",
        "--username",
        "sim",
        "--client-id",
        "plant",
        "--clients",
        "4",
        "--qos",
        "0",
        "--window",
        "64",
        "--rate",
        "max",
        "--count",
        "1000",
        "--duration",
        "2.5",
        "--seed",
        "abc",
        "--start-time",
        "2026-03-02T06:00:00Z",
        "--channels",
        "weldSpot,alarm",
        "--truth",
        "both",
        "--truth-file",
        "t.jsonl",
        "--image-dir",
        "imgs",
        "--bad-rate",
        "0.05",
        "--bad-kinds",
        "wrong-unit,outside-tree",
        "--config",
        "plant.yaml",
      ],
      { UNS_SIMULATOR_PASSWORD: "from-env" },
    );
    expect(options).toEqual({
      url: "mqtt://broker:1884",
      username: "sim",
      password: "from-env",
      clientId: "plant",
      clients: 4,
      qos: 0,
      window: 64,
      rate: "max",
      count: 1000,
      durationMs: 2500,
      seed: "abc",
      startTime: "2026-03-02T06:00:00Z",
      channels: ["weldSpot", "alarm"],
      truth: "both",
      truthFile: "t.jsonl",
      imageDir: "imgs",
      badRate: 0.05,
      badKinds: ["wrong-unit", "outside-tree"],
      config: "plant.yaml",
    });
  });

  it("lists every problem at once", () => {
    let error: unknown;
    try {
      parseCliArgs([
        "--qos",
        "2",
        "--rate",
        "fast",
        "--bad-kinds",
        "typo",
        "--channels",
        "nope",
        "--start-time",
        "soon",
      ]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as Error).message;
    for (const flag of ["--qos", "--rate", "--bad-kinds", "--channels", "--start-time"])
      expect(message).toContain(flag);
    expect(message).toContain(BAD_KINDS.join(", "));
    expect(() => parseCliArgs(["--unknown"])).toThrow(UsageError);
    // pnpm passes a leading "--" through to the script.
    expect(parseCliArgs(["--", "--count", "5"]).options.count).toBe(5);
  });

  it("prints a summary per kind", () => {
    const text = formatSummary({
      url: "mqtt://x:1883",
      clients: 1,
      qos: 1,
      seed: "1",
      sent: 10,
      acknowledged: 10,
      completed: 10,
      failed: 0,
      inFlight: 0,
      durationMs: 1000,
      rate: 10,
      byKind: {
        valid: { sent: 9, completed: 9, failed: 0 },
        "wrong-unit": { sent: 1, completed: 1, failed: 0 },
      },
      byChannel: { weldSpot: 10 },
      images: 0,
      truthRecords: 0,
      errors: [],
    });
    expect(text).toContain("10 sent, acknowledged 10 (PUBACK)");
    expect(text).toMatch(/wrong-unit\s+sent\s+1/);
  });
});

describe("plant config", () => {
  it("ships an example file equal to the built-in plant", () => {
    const file = join(ROOT, "apps/simulator/plant.example.yaml");
    expect(loadPlantConfig(file)).toEqual(defaultPlantConfig());
    expect(parse(readFileSync(file, "utf8")).enterprise).toBe("acme");
  });

  it("reports every problem with its place", () => {
    let error: unknown;
    try {
      parsePlantConfig({
        enterprise: "Acme",
        sites: [
          {
            id: "s",
            code: "S1",
            areas: [
              {
                id: "a",
                lines: [
                  {
                    id: "line-01",
                    cells: [{ id: "c1", robots: [{ id: "r01", programs: [99] }] }, { id: "c2" }],
                  },
                ],
              },
            ],
          },
        ],
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PlantConfigError);
    expect((error as PlantConfigError).problems.join("\n")).toMatch(/\/enterprise/);
    try {
      parsePlantConfig({
        enterprise: "acme",
        sites: [
          {
            id: "s",
            code: "S1",
            areas: [
              {
                id: "a",
                lines: [
                  {
                    id: "line-01",
                    cells: [{ id: "c1", robots: [{ id: "r01", programs: [99] }] }, { id: "c2" }],
                  },
                ],
              },
            ],
          },
        ],
      });
    } catch (e) {
      error = e;
    }
    const problems = (error as PlantConfigError).problems.join("\n");
    expect(problems).toContain("no program 99");
    expect(problems).toContain("cells/1: a cell needs robots");
  });
});
