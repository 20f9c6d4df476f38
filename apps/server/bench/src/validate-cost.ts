#!/usr/bin/env node
/**
 * What validating one bench payload costs, step by step, on one thread:
 * `node apps/server/bench/dist/validate-cost.js` (pin it with `taskset -c 0` for steady figures).
 * Puts the broker's per-message cost (`us/msg` in run.js's table) in proportion.
 */
import { fileURLToPath } from "node:url";
import { createValidator, findDuplicateKey, hasUtf8Bom, loadContracts } from "@uns/contracts";
import { weldPayload } from "./weld-payload.js";

const fixtures = fileURLToPath(new URL("../../test/fixtures/asyncapi/", import.meta.url));
const loaded = await loadContracts(fixtures);
const validator = createValidator(loaded.set);
const topic = "acme/plant-b/body-shop/line-01/cell-01/weld-spot";
const payload = weldPayload(1).bytes;
const decoder = new TextDecoder("utf-8", { fatal: true });
const text = decoder.decode(payload);
const check = validator.validate("weldSpot", topic, payload);
if (check.outcome !== "valid") throw new Error(`the bench payload is not valid: ${JSON.stringify(check)}`);

/** The same byte scan as exceedsDepth in libs/contracts (not exported), to time it alone. */
function depthScan(bytes: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === 0x5c) i++;
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x7b || b === 0x5b) {
      if (++depth > max) return true;
    } else if (b === 0x7d || b === 0x5d) depth--;
  }
  return false;
}

/** A cheaper guard: fewer than `max` opening brackets in total cannot nest deeper (memchr). */
function bracketBound(bytes: Buffer, max: number): boolean {
  let n = 0;
  for (const c of [0x7b, 0x5b]) {
    for (let i = bytes.indexOf(c); i >= 0; i = bytes.indexOf(c, i + 1)) if (++n > max) return true;
  }
  return false;
}

let sink = 0;
function time(name: string, fn: () => unknown): void {
  const n = 20_000;
  for (let i = 0; i < 2_000; i++) fn(); // warm-up (optimised code)
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if (fn()) sink++;
  const us = Number(process.hrtime.bigint() - t) / 1000 / n;
  process.stdout.write(`  ${name.padEnd(44)} ${us.toFixed(2).padStart(7)} us\n`);
}

process.stdout.write(`payload ${payload.length} bytes; per message:\n`);
time("TextDecoder (fatal) decode", () => decoder.decode(payload));
time("JSON.parse", () => JSON.parse(text));
const value = JSON.parse(text);
time("BOM check (3-byte compare)", () => hasUtf8Bom(payload));
time("duplicate-key check (colon tally, fast path)", () => findDuplicateKey(payload, text, value));
const dup = Buffer.from(`{"a":1,${text.slice(1)}`.replace('{"a":1,', '{"a":1,"a":2,'));
const dupText = dup.toString();
const dupValue = JSON.parse(dupText);
time("duplicate-key check (a repeat: exact scan)", () => findDuplicateKey(dup, dupText, dupValue));
time("depth check as in contracts (JS byte scan)", () => depthScan(payload, 64));
time("bracket count with Buffer.indexOf (memchr)", () => bracketBound(payload, 64));
time("validator.validate (all of the above + ajv)", () => validator.validate("weldSpot", topic, payload));
time("structuredClone of the payload bytes", () => structuredClone(payload));
if (sink < 0) process.stdout.write("");
