import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createValidator } from "@uns/contracts";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProcessorsRuntime, type ProcessorsRuntime } from "../src/runtime/runtime.js";
import { quietLogger, startPlant, type TestPlant, until } from "./helper.js";

let plant: TestPlant;
let publisher: MqttClient;
let runtime: ProcessorsRuntime;
const decisions: Record<string, unknown>[] = [];
const logs: string[] = [];
const CELL = "acme/neckarsulm/body-shop/line-01/cell-010";

/** A hand-made weld-quality result, as the weld quality processor would publish it. */
function result(bodyId: string, n: number, verdict: "ok" | "nok" | "suspect") {
  return {
    spot: {
      controller: "cell-010-r01-g01",
      seq: 1000 + n,
      bodyId,
      spotId: `S010-R01-${String(n).padStart(2, "0")}`,
    },
    predictedNuggetDiameter: verdict === "nok" ? 2.1 : 5.6,
    anomalyScore: verdict === "ok" ? 0.004 : 0.09,
    anomalyThreshold: 0.014,
    anomaly: verdict !== "ok",
    verdict,
    model: { name: "rsw-nugget-regression", version: "1.0.0" },
    anomalyModel: { name: "rsw-curve-autoencoder", version: "1.0.0" },
    inferenceTime: 0.01,
    time: new Date().toISOString(),
  };
}

async function body(
  bodyId: string,
  verdicts: ("ok" | "nok" | "suspect")[],
): Promise<Record<string, unknown>> {
  const before = decisions.length;
  for (const [i, v] of verdicts.entries())
    await publisher.publishAsync(`${CELL}/results/weld-quality`, JSON.stringify(result(bodyId, i + 1, v)), {
      qos: 1,
    });
  await until(() => decisions.length > before, 10_000, `decision for ${bodyId}`);
  return decisions.at(-1)!;
}

const six = (bad: Partial<Record<number, "nok" | "suspect">>) =>
  Array.from({ length: 6 }, (_, i) => bad[i] ?? ("ok" as const));

beforeAll(async () => {
  plant = await startPlant();
  // Six spots per body in this test.
  const rules = join(plant.dir, "check-gate.rules.yaml");
  writeFileSync(rules, readFileSync(rules, "utf8").replace("spotsPerBody: 24", "spotsPerBody: 6"));
  publisher = await plant.connect("processor", "test-results-publisher");
  const viewer = await plant.connect("viewer");
  viewer.on("message", (_t, payload) => decisions.push(JSON.parse(payload.toString())));
  await viewer.subscribeAsync(`${CELL}/results/check-gate`, { qos: 1 });
  runtime = await createProcessorsRuntime(plant.processorsConfig({ "weldQuality.enabled": false }), {
    logger: quietLogger(logs),
    contracts: await plant.contracts(),
  });
  await runtime.start();
}, 300_000);

afterAll(async () => {
  await runtime?.stop();
  await plant?.close();
}, 120_000);

describe("check gate", { timeout: 180_000 }, () => {
  it("decides continue, correct and scrap, citing every result as evidence, valid against its contract", async () => {
    const validator = createValidator(await plant.contracts());
    const ok = await body("NSU01-0000101", six({}));
    expect(ok).toMatchObject({ gate: "weld-quality", bodyId: "NSU01-0000101", decision: "continue" });
    expect(ok.decidedBy).toEqual({ name: "check-gate-rules", version: "1.0.0" });

    const correct = await body("NSU01-0000102", six({ 3: "nok" }));
    expect(correct.decision).toBe("correct");
    expect(correct.reason).toMatch(/1 of 6 spots nok.*S010-R01-04/);

    const suspects = await body("NSU01-0000103", six({ 0: "suspect", 1: "suspect", 2: "suspect" }));
    expect(suspects.decision).toBe("correct");
    expect(suspects.reason).toMatch(/3 of 6 spots suspect/);

    const scrap = await body("NSU01-0000104", six({ 0: "nok", 2: "nok", 5: "nok" }));
    expect(scrap.decision).toBe("scrap");

    for (const d of [ok, correct, suspects, scrap]) {
      expect(validator.validateValue("checkGateDecision", d).outcome).toBe("valid");
      const evidence = d.evidence as {
        kind: string;
        ref: string;
        description: string;
        value: number;
        threshold: number;
      }[];
      // Every input is cited: which spot, which model versions, which values against which thresholds.
      expect(evidence).toHaveLength(6);
      expect(evidence.map((e) => e.ref)).toEqual(
        [1, 2, 3, 4, 5, 6].map((n) => `cell-010-r01-g01/${1000 + n}`),
      );
      expect(evidence[0]!.description).toMatch(
        /rsw-nugget-regression 1\.0\.0.*rsw-curve-autoencoder 1\.0\.0/,
      );
      expect(evidence[0]!.threshold).toBe(0.014);
    }
  });

  it("reloads its rules on edit and keeps the last good rules when an edit is broken", async () => {
    const file = join(plant.dir, "check-gate.rules.yaml");
    const good = readFileSync(file, "utf8");
    // Stricter: one suspect spot means rework.
    writeFileSync(
      file,
      good.replace("suspectSpots: 3", "suspectSpots: 1").replace("version: 1.0.0", "version: 1.1.0"),
    );
    await until(() => runtime.checkGate!.rules().version === "1.1.0", 5000, "rules 1.1.0");
    const d = await body("NSU01-0000105", six({ 4: "suspect" }));
    expect(d.decision).toBe("correct");
    expect(d.decidedBy).toEqual({ name: "check-gate-rules", version: "1.1.0" });

    writeFileSync(file, "name: check-gate-rules\nversion: 2.0.0\ngate: weld-quality\nspotsPerBody: lots\n");
    await until(() => logs.some((l) => l.includes("UNS_ERR_RULES_INVALID")), 5000, "the refusal in the log");
    expect(logs.find((l) => l.includes("UNS_ERR_RULES_INVALID"))).toMatch(/spotsPerBody must be an integer/);
    expect(runtime.checkGate!.rules().version).toBe("1.1.0");
    const still = await body("NSU01-0000106", six({}));
    expect(still.decidedBy).toEqual({ name: "check-gate-rules", version: "1.1.0" });
  });
});

describe("check gate with the server gone", () => {
  it("stops within its shutdown timeout when decisions cannot be acknowledged", async () => {
    const other = await startPlant();
    const lines: string[] = [];
    const rt = await createProcessorsRuntime(
      other.processorsConfig({ "weldQuality.enabled": false, shutdownTimeoutMs: 500 }),
      {
        logger: quietLogger(lines),
        contracts: await plant.contracts(), // the same documents: parsed once
      },
    );
    await rt.start();
    const pub = await other.connect("processor", "early-results");
    for (const n of [1, 2, 3])
      await pub.publishAsync(
        `${CELL}/results/weld-quality`,
        JSON.stringify(result("NSU01-0000201", n, "ok")),
        { qos: 1 },
      );
    await until(() => (rt.checkGate!.status().openBodies as number) === 1, 10_000, "an open body");
    await other.close();
    const started = Date.now();
    await rt.stop(); // closes the open body: its decision cannot reach the server
    expect(Date.now() - started).toBeLessThan(5000);
    expect(lines.some((l) => l.includes("stopped before the server acknowledged 1 decisions"))).toBe(true);
  }, 180_000);
});
