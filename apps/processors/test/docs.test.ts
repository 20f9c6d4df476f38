import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderReferenceDoc } from "../src/docs.js";

describe("docs/reference.md", () => {
  it("is what the settings and error registries generate (`node apps/processors/dist/main.js docs`)", () => {
    const file = readFileSync(new URL("../docs/reference.md", import.meta.url), "utf8");
    expect(file).toBe(renderReferenceDoc());
  });
});
