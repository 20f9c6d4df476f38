import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createError, errorCodes, isUnsError, UnsError } from "./errors.js";

describe("createError", () => {
  it("makes an UnsError with code, status, details and cause", () => {
    const cause = new Error("disk");
    const err = createError("UNS_ERR_TREE_READ", "cannot read", {
      cause,
      statusCode: 500,
      details: { file: "x" },
    });
    expect(err).toBeInstanceOf(UnsError);
    expect(err).toBeInstanceOf(Error);
    expect(isUnsError(err)).toBe(true);
    expect(err.code).toBe("UNS_ERR_TREE_READ");
    expect(err.statusCode).toBe(500);
    expect(err.details).toEqual({ file: "x" });
    expect(err.cause).toBe(cause);
    expect(err.message).toBe("cannot read");
  });

  it("leaves optional fields unset", () => {
    const err = createError("UNS_ERR_TREE_READ", "x");
    expect(err.statusCode).toBeUndefined();
    expect(err.details).toBeUndefined();
    expect(err.cause).toBeUndefined();
  });
});

describe("errorCodes", () => {
  it("names every code UNS_ERR_<AREA>_<WHAT> with a message and a fix", () => {
    for (const [code, info] of Object.entries(errorCodes)) {
      expect(code).toMatch(/^UNS_ERR_[A-Z]+_[A-Z0-9_]+$/);
      expect(info.message.length).toBeGreaterThan(10);
      expect(info.fix.length).toBeGreaterThan(10);
    }
  });

  it("registers every code the library's sources use", () => {
    const dir = new URL(".", import.meta.url);
    const used = new Set<string>();
    for (const name of readdirSync(dir)) {
      if (!name.endsWith(".ts") || name.endsWith(".test.ts")) continue;
      const text = readFileSync(new URL(name, dir), "utf8");
      for (const m of text.matchAll(/"(UNS_ERR_[A-Z0-9_]+)"/g)) used.add(m[1]!);
    }
    expect(used.size).toBeGreaterThan(10);
    const missing = [...used].filter((c) => !(c in errorCodes));
    expect(missing).toEqual([]);
  });
});
