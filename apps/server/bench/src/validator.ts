#!/usr/bin/env node
/**
 * CPU per message of payload validation (issue 14, target <= 10 us per 4 KB weld spot):
 * ajv alone (strict parse = depth scan, UTF-8 decode, JSON.parse, duplicate-name check, then ajv)
 * against the native fast path (the same validator with validation.fastPath auto), for the
 * bench's weld spot (test/fixtures/asyncapi/weld.yaml, what `pnpm bench` publishes) and for the
 * full weld-spot contract (asyncapi/weld-spot.yaml, its good-spot example). Rounds alternate
 * between the two; the median of the rounds is printed with the target beside it.
 *
 *   node apps/server/bench/dist/validator.js [--rounds 9] [--per-round 4000] [--json out.json]
 *
 * Pin it (`taskset -c 0`) for steadier figures. Thread CPU time, not wall time: the machine is shared.
 */
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createValidator, fastPathStatus, loadContracts, type Validator } from "@uns/contracts";
import { weldPayload } from "./weld-payload.js";

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "9" },
    "per-round": { type: "string", default: "4000" },
    json: { type: "string" },
  },
});
const rounds = Number(args.rounds);
const perRound = Number(args["per-round"]);
const TARGET_US = 10;

const fixtures = fileURLToPath(new URL("../../test/fixtures/asyncapi/", import.meta.url));
const contracts = fileURLToPath(new URL("../../../../asyncapi/", import.meta.url));

interface Case {
  name: string;
  validators: { ajv: Validator; fast: Validator };
  channel: string;
  topic: string;
  payload: Buffer;
}

async function caseFor(
  name: string,
  dir: string,
  channel: string,
  topic: string,
  payload?: Buffer,
): Promise<Case> {
  const { set } = await loadContracts(dir);
  const spec = set.channels.find((c) => c.id === channel);
  if (!spec) throw new Error(`no channel ${channel} in ${dir}`);
  const bytes = payload ?? Buffer.from(JSON.stringify(spec.messages[0]!.examples[0]));
  const validators = { ajv: createValidator(set, { fastPath: "off" }), fast: createValidator(set) };
  for (const [k, v] of Object.entries(validators)) {
    const r = v.validate(channel, topic, bytes);
    if (r.outcome !== "valid")
      throw new Error(`${name}: the payload is not valid (${k}): ${JSON.stringify(r)}`);
  }
  return { name, validators, channel, topic, payload: bytes };
}

/** CPU microseconds per call of `fn`, over `n` calls (user + system of this process). */
function cpuPerCall(n: number, fn: () => unknown): number {
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const status = fastPathStatus();
const cases = [
  await caseFor(
    "bench weld spot (fixtures/weld.yaml)",
    fixtures,
    "weldSpot",
    "acme/plant-b/body-shop/line-01/cell-01/weld-spot",
    weldPayload(1).bytes,
  ),
  await caseFor(
    "full weld spot (asyncapi/weld-spot.yaml)",
    contracts,
    "weldSpot",
    "acme/neckarsulm/body-shop/line-01/cell-010/weld-spot",
  ),
];

process.stdout.write(
  `payload validation, CPU us per message, median of ${rounds} alternating rounds x ${perRound} messages\n` +
    `fast path: ${status.native ? `native (${status.path})` : `unavailable: ${status.reason}`}\n` +
    `load average at start: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}\n\n`,
);
const results = [];
for (const c of cases) {
  const ajvRounds: number[] = [];
  const fastRounds: number[] = [];
  const nativeRounds: number[] = [];
  const run = (v: Validator) => () => v.validate(c.channel, c.topic, c.payload);
  // The native check alone (no channel lookup, topic check or result object around it).
  const check = c.validators.fast.fastChecks(c.channel)?.[0]?.check;
  const native = check ? () => check(c.payload, 64) : undefined;
  cpuPerCall(perRound, run(c.validators.ajv)); // warm-up: optimised code, compiled schemas
  cpuPerCall(perRound, run(c.validators.fast));
  if (native) cpuPerCall(perRound, native);
  for (let r = 0; r < rounds; r++) {
    ajvRounds.push(cpuPerCall(perRound, run(c.validators.ajv)));
    fastRounds.push(cpuPerCall(perRound, run(c.validators.fast)));
    if (native) nativeRounds.push(cpuPerCall(perRound, native));
  }
  const ajvUs = median(ajvRounds);
  const fastUs = median(fastRounds);
  const nativeUs = native ? median(nativeRounds) : null;
  const usesFast = check !== undefined;
  results.push({
    name: c.name,
    bytes: c.payload.length,
    ajvUs,
    fastUs,
    nativeUs,
    usesFast,
    ajvRounds,
    fastRounds,
    nativeRounds,
  });
  process.stdout.write(
    `${c.name}, ${c.payload.length} bytes${usesFast ? "" : " (schema not supported by the fast path: ajv)"}\n` +
      `  ajv (strict parse + validate) ${ajvUs.toFixed(2).padStart(7)} us\n` +
      `  fast path                     ${fastUs.toFixed(2).padStart(7)} us   target <= ${TARGET_US} us ` +
      `${fastUs <= TARGET_US ? "met" : "MISSED"}; ${(ajvUs / fastUs).toFixed(1)}x less than ajv\n` +
      (nativeUs === null ? "" : `    of which the native check  ${nativeUs.toFixed(2).padStart(7)} us\n`),
  );
}
if (args.json) {
  writeFileSync(
    args.json,
    JSON.stringify({ targetUs: TARGET_US, native: status.native, loadAverage: loadavg(), results }, null, 2),
  );
}
