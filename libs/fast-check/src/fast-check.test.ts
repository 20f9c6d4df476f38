import { execFileSync } from "node:child_process";
import { statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compilePattern, compileSchema, createFastChecker } from "./index.js";

const script = fileURLToPath(new URL("../scripts/build.mjs", import.meta.url));
const built = fileURLToPath(new URL("../build/fast_check.node", import.meta.url));

describe("native build", () => {
  it("never fails the install: without a compiler it says why, exits 0 and leaves a previous build alone", () => {
    const before = statSync(built, { throwIfNoEntry: false })?.mtimeMs;
    const out = execFileSync(process.execPath, [script], {
      env: { ...process.env, CXX: "/nonexistent/c++" },
      encoding: "utf8",
    });
    expect(out).toMatch(/native checker not built .*validation will use ajv only/);
    expect(statSync(built, { throwIfNoEntry: false })?.mtimeMs).toBe(before);
  });

  it("reports the path in use ('off' is ajv only)", () => {
    expect(createFastChecker({ mode: "off" }).status).toEqual({
      native: false,
      reason: "validation.fastPath is off",
    });
    const auto = createFastChecker().status;
    if (auto.native) expect(auto.path).toBe(built);
    else expect(auto.reason).toMatch(/fast_check\.node/);
  });
});

describe("compileSchema", () => {
  it("accepts the supported keywords and refuses anything else", () => {
    expect(
      compileSchema({ type: "object", properties: { a: { type: "integer", minimum: 0 } } }),
    ).toHaveProperty("program");
    expect(compileSchema({ type: "string", format: "uri" })).toEqual({ unsupported: "#/format: format uri" });
    expect(compileSchema({ exclusiveMinimum: true })).toHaveProperty("unsupported");
    expect(compileSchema({ items: [{ type: "string" }] })).toHaveProperty("unsupported");
    expect(compileSchema({ type: "strange" })).toHaveProperty("unsupported");
    // Unknown to ajv: ignored when the caller says so (ajv strict: false ignores it too).
    expect(compileSchema({ foo: 1 })).toHaveProperty("unsupported");
    expect(compileSchema({ foo: 1 }, { isKeyword: () => false })).toHaveProperty("program");
    expect(compileSchema({ $ref: "#/x" }, { isKeyword: () => false })).toHaveProperty("unsupported");
  });
});

describe("compilePattern", () => {
  const accepts = (p: string, s: string) => {
    const c = compilePattern(p);
    if (!("dfa" in c)) throw new Error(c.unsupported);
    let st = c.dfa.start;
    for (const ch of s) st = c.dfa.table[st * 129 + Math.min(ch.codePointAt(0)!, 128)]!;
    return c.dfa.accept[st] === 1;
  };
  it("builds DFAs with RE2's semantics for the subset", () => {
    expect(accepts("^line-[0-9]{2}$", "line-01")).toBe(true);
    expect(accepts("^line-[0-9]{2}$", "line-011")).toBe(false);
    expect(accepts("b+", "abba")).toBe(true);
    expect(accepts("^a.c$", "a😀c")).toBe(true);
    expect(accepts("^a.c$", "a\nc")).toBe(false);
    expect(accepts("^[^0-9]+$", "é")).toBe(true);
    expect(accepts("^\\w*$", "é")).toBe(false);
  });
  it("refuses what it does not model exactly", () => {
    for (const p of ["(a)", "a|b", "\\s", "\\bx", "[[:alpha:]]", "é", "a{,3}", "a**", "^a$b"]) {
      expect(compilePattern(p), p).toHaveProperty("unsupported");
    }
  });
});
