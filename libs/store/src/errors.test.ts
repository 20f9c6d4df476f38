import { readdir, readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { storeErrorCodes } from "./index.js";

describe("storeErrorCodes", () => {
  it("lists every code the package uses, each with a message and a fix", async () => {
    const dir = new URL(".", import.meta.url);
    const used = new Set<string>();
    for (const name of await readdir(dir)) {
      if (!name.endsWith(".ts") || name.endsWith(".test.ts") || name === "errors.ts") continue;
      const text = await readFile(new URL(name, dir), "utf8");
      for (const m of text.matchAll(/UNS_ERR_STORE_[A-Z_]+/g)) used.add(m[0]);
    }
    expect(used.size).toBeGreaterThan(5);
    for (const code of used) expect(storeErrorCodes, code).toHaveProperty(code);
    for (const [code, entry] of Object.entries(storeErrorCodes)) {
      expect(code).toMatch(/^UNS_ERR_STORE_[A-Z_]+$/);
      expect(entry.message.length, code).toBeGreaterThan(10);
      expect(entry.fix.length, code).toBeGreaterThan(10);
    }
  });
});
