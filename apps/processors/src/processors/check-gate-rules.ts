import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { processorError } from "../errors.js";

/**
 * Check gate rules, in a file the plant edits (`models/check-gate.rules.yaml`):
 *
 *   name: check-gate-rules
 *   version: 1.0.0
 *   gate: weld-quality
 *   spotsPerBody: 24        # decide once this many results of a body arrived at a cell
 *   quietMs: 5000           # ... or when no result came for this long
 *   scrap:   { nokSpots: 3 }
 *   correct: { nokSpots: 1, suspectSpots: 3 }
 *
 * Scrap wins over correct, correct over continue.
 */
export interface CheckGateRules {
  name: string;
  version: string;
  gate: string;
  spotsPerBody: number;
  quietMs: number;
  scrap: { nokSpots: number };
  correct: { nokSpots: number; suspectSpots: number };
}

export function parseRules(text: string, file: string): CheckGateRules {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw processorError("UNS_ERR_RULES_INVALID", `${file}: not YAML: ${(err as Error).message}`);
  }
  const problems: string[] = [];
  const r = (raw ?? {}) as Record<string, unknown>;
  const str = (k: string, re: RegExp, hint: string) => {
    if (typeof r[k] !== "string" || !re.test(r[k] as string))
      problems.push(`${k} must be ${hint}, got ${JSON.stringify(r[k])}`);
  };
  str("name", /^[a-z0-9][a-z0-9_.-]{0,63}$/, "a lowercase id");
  str("version", /^\S{1,64}$/, "a version like 1.0.0");
  str("gate", /^[a-z0-9][a-z0-9_.-]{0,63}$/, "a lowercase id");
  const int = (v: unknown, where: string, min: number) => {
    if (!Number.isInteger(v) || (v as number) < min)
      problems.push(`${where} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  };
  int(r.spotsPerBody, "spotsPerBody", 1);
  int(r.quietMs ?? 5000, "quietMs", 10);
  const scrap = (r.scrap ?? {}) as Record<string, unknown>;
  const correct = (r.correct ?? {}) as Record<string, unknown>;
  int(scrap.nokSpots, "scrap.nokSpots", 1);
  int(correct.nokSpots, "correct.nokSpots", 1);
  int(correct.suspectSpots, "correct.suspectSpots", 1);
  if (problems.length > 0)
    throw processorError("UNS_ERR_RULES_INVALID", `${file}: ${problems.join("; ")}`, { details: problems });
  return {
    name: r.name as string,
    version: r.version as string,
    gate: r.gate as string,
    spotsPerBody: r.spotsPerBody as number,
    quietMs: (r.quietMs as number | undefined) ?? 5000,
    scrap: { nokSpots: scrap.nokSpots as number },
    correct: { nokSpots: correct.nokSpots as number, suspectSpots: correct.suspectSpots as number },
  };
}

export function readRules(file: string): CheckGateRules {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw processorError(
      "UNS_ERR_RULES_INVALID",
      `${file}: cannot read the rules: ${(err as Error).message}`,
    );
  }
  return parseRules(text, file);
}

export interface QualityResult {
  spot: { controller: string; seq: number; bodyId: string; spotId: string };
  predictedNuggetDiameter: number;
  anomalyScore: number;
  anomalyThreshold: number;
  anomaly: boolean;
  verdict: "ok" | "nok" | "suspect";
  model: { name: string; version: string };
  anomalyModel?: { name: string; version: string };
}

export interface Decision {
  gate: string;
  bodyId: string;
  decision: "continue" | "correct" | "scrap";
  reason: string;
  evidence: { kind: "weld-quality"; ref: string; value: number; threshold: number; description: string }[];
  decidedBy: { name: string; version: string };
  time: string;
}

/** The decision for one body from its weld-quality results; every result is cited as evidence. */
export function decide(
  rules: CheckGateRules,
  bodyId: string,
  results: readonly QualityResult[],
  now: Date,
): Decision {
  const nok = results.filter((r) => r.verdict === "nok");
  const suspect = results.filter((r) => r.verdict === "suspect");
  let decision: Decision["decision"] = "continue";
  let reason = `all ${results.length} spots predicted ok`;
  const names = (list: readonly QualityResult[]) => list.map((r) => r.spot.spotId).join(", ");
  if (nok.length >= rules.scrap.nokSpots) {
    decision = "scrap";
    reason = `${nok.length} of ${results.length} spots nok (scrap at ${rules.scrap.nokSpots}): ${names(nok)}`;
  } else if (nok.length >= rules.correct.nokSpots) {
    decision = "correct";
    reason = `${nok.length} of ${results.length} spots nok (rework at ${rules.correct.nokSpots}): ${names(nok)}`;
  } else if (suspect.length >= rules.correct.suspectSpots) {
    decision = "correct";
    reason = `${suspect.length} of ${results.length} spots suspect (rework at ${rules.correct.suspectSpots}): ${names(suspect)}`;
  } else if (suspect.length > 0) {
    reason = `${results.length - suspect.length} spots ok, ${suspect.length} suspect (below ${rules.correct.suspectSpots})`;
  }
  const evidence = results.map((r) => ({
    kind: "weld-quality" as const,
    ref: `${r.spot.controller}/${r.spot.seq}`,
    value: r.anomalyScore,
    threshold: r.anomalyThreshold,
    description:
      `${r.spot.spotId}: ${r.verdict}, nugget ${r.predictedNuggetDiameter} mm by ${r.model.name} ${r.model.version}, anomaly score ${r.anomalyScore} vs ${r.anomalyThreshold}${r.anomalyModel ? ` by ${r.anomalyModel.name} ${r.anomalyModel.version}` : ""}`.slice(
        0,
        500,
      ),
  }));
  return {
    gate: rules.gate,
    bodyId,
    decision,
    reason: reason.slice(0, 500),
    evidence,
    decidedBy: { name: rules.name, version: rules.version },
    time: now.toISOString(),
  };
}
