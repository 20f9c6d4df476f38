import { describe, expect, it } from "vitest";
import { schemaOutline } from "./schema-outline";

describe("schemaOutline", () => {
  it("lists the fields of a payload schema with type, required and limits", () => {
    const rows = schemaOutline({
      type: "object",
      additionalProperties: false,
      required: ["spotId", "currentKA"],
      properties: {
        spotId: { type: "string", minLength: 1 },
        currentKA: { type: "number", minimum: 0, maximum: 30, description: "weld current, kA" },
        time: { type: "string", format: "date-time" },
        curve: { type: "array", items: { type: "number" }, maxItems: 1000 },
        state: { enum: ["running", "stopped"] },
      },
    });
    expect(rows.map((r) => [r.path, r.type, r.required, r.constraints.join(", ")])).toEqual([
      ["spotId", "string", true, "length ≥ 1"],
      ["currentKA", "number", true, "≥ 0, ≤ 30"],
      ["time", "string", false, "format date-time"],
      ["curve", "array of number", false, "items ≤ 1000"],
      ["state", "enum", false, 'one of "running", "stopped"'],
    ]);
    expect(rows[1]?.description).toBe("weld current, kA");
  });

  it("indents nested objects and array items", () => {
    const rows = schemaOutline({
      type: "object",
      properties: {
        pos: {
          type: "object",
          required: ["x"],
          properties: { x: { type: "number" }, y: { type: "number" } },
        },
        boxes: {
          type: "array",
          items: { type: "object", properties: { label: { type: "string", maxLength: 20 } } },
        },
      },
    });
    expect(rows.map((r) => [r.path, r.depth, r.required])).toEqual([
      ["pos", 0, false],
      ["pos.x", 1, true],
      ["pos.y", 1, false],
      ["boxes", 0, false],
      ["boxes[].label", 1, false],
    ]);
  });

  it("gives nothing for schemas that are not objects with properties", () => {
    expect(schemaOutline(null)).toEqual([]);
    expect(schemaOutline(true)).toEqual([]);
    expect(schemaOutline({ type: "string" })).toEqual([]);
  });
});
