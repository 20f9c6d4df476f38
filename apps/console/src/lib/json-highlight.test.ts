import { describe, expect, it } from "vitest";
import { errorTarget, escapePointer, highlightPayload, pointerTokens, prettyLines } from "./json-highlight";

const text = (lines: { indent: number; segments: { text: string }[] }[]) =>
  lines.map((l) => "  ".repeat(l.indent) + l.segments.map((s) => s.text).join("")).join("\n");

/** The text of the lines an error marks. */
function marked(value: unknown, errors: Parameters<typeof highlightPayload>[1], which = 0): string[] {
  return highlightPayload(value, errors)
    .filter((l) => l.errors.includes(which))
    .map((l) =>
      l.segments
        .map((s) => s.text)
        .join("")
        .trim(),
    );
}

/** The tokens an error marks (the `<mark>`s on screen). */
function marks(value: unknown, errors: Parameters<typeof highlightPayload>[1], which = 0): string[] {
  return highlightPayload(value, errors).flatMap((l) =>
    l.segments.filter((_, j) => l.segmentErrors[j]?.includes(which)).map((s) => s.text),
  );
}

const spot = {
  spotId: "s-1",
  time: "2026-11-22T10:00:00Z",
  currentKA: 45.5,
  weldTimeMs: 300,
  curve: [1, 2, "x", 4],
};

describe("prettyLines", () => {
  it("prints like JSON.stringify(value, null, 2)", () => {
    const v = { a: 1, b: [true, null, "s"], c: { d: {} }, e: [] };
    expect(text(prettyLines(v))).toBe(JSON.stringify(v, null, 2));
  });

  it("gives every line the JSON Pointer of its value", () => {
    expect(prettyLines({ a: [1], "x/y": 2 }).map((l) => l.path)).toEqual([
      "",
      "/a",
      "/a/0",
      "/a",
      "/x~1y",
      "",
    ]);
  });

  it("packs long arrays of numbers ten to a line, each value still addressable", () => {
    const curve = Array.from({ length: 400 }, (_, i) => i);
    const lines = prettyLines({ curve });
    expect(lines).toHaveLength(2 + 2 + 40);
    expect(lines[2]?.segments.filter((s) => s.role === "number").map((s) => s.path)).toEqual(
      Array.from({ length: 10 }, (_, i) => `/curve/${i}`),
    );
    expect(JSON.parse(text(lines))).toEqual({ curve });
  });
});

describe("JSON Pointer", () => {
  it("escapes ~ and / (RFC 6901)", () => {
    expect(escapePointer("a/b~c")).toBe("a~1b~0c");
    expect(pointerTokens("/a~1b~0c/3")).toEqual(["a/b~c", "3"]);
    expect(pointerTokens("")).toEqual([]);
  });
});

describe("errorTarget", () => {
  it("points at the value for value keywords", () => {
    expect(errorTarget({ instancePath: "/currentKA", keyword: "maximum" })).toEqual({
      path: "/currentKA",
      mode: "value",
    });
  });

  it("points at the extra property, not its parent, for additionalProperties", () => {
    expect(
      errorTarget({
        instancePath: "",
        keyword: "additionalProperties",
        params: { additionalProperty: "temp" },
      }),
    ).toEqual({
      path: "/temp",
      mode: "value",
      detail: "temp",
    });
    expect(
      errorTarget({
        instancePath: "/meta",
        keyword: "additionalProperties",
        params: { additionalProperty: "a/b" },
      }).path,
    ).toBe("/meta/a~1b");
  });

  it("points at the object a required property is missing from", () => {
    expect(
      errorTarget({ instancePath: "/pos", keyword: "required", params: { missingProperty: "x" } }),
    ).toEqual({ path: "/pos", mode: "missing", detail: "x" });
  });
});

describe("highlightPayload", () => {
  it("marks a failing top-level field: /currentKA", () => {
    expect(marked(spot, [{ instancePath: "/currentKA", keyword: "maximum" }])).toEqual([
      '"currentKA": 45.5,',
    ]);
    expect(marks(spot, [{ instancePath: "/currentKA", keyword: "maximum" }])).toEqual([
      '"currentKA"',
      "45.5",
    ]);
  });

  it("marks one element of an array: /curve/2", () => {
    expect(marked(spot, [{ instancePath: "/curve/2", keyword: "type" }])).toEqual(['"x",']);
  });

  it("marks one element of a packed array, and only that token", () => {
    const v = { curve: Array.from({ length: 40 }, (_, i) => i * 1.5) };
    const lines = highlightPayload(v, [{ instancePath: "/curve/13", keyword: "maximum" }]);
    const hit = lines.filter((l) => l.errors.length);
    expect(hit).toHaveLength(1);
    expect(marks(v, [{ instancePath: "/curve/13", keyword: "maximum" }])).toEqual(["19.5"]);
  });

  it("marks the extra property of an additionalProperties error, not the whole object", () => {
    const v = { ...spot, temperature: 20 };
    const e = [
      { instancePath: "", keyword: "additionalProperties", params: { additionalProperty: "temperature" } },
    ];
    expect(marked(v, e)).toEqual(['"temperature": 20']);
  });

  it("marks a whole array or object when it fails as a whole", () => {
    const v = { curve: [1, 2, 3], meta: { a: 1 } };
    expect(marked(v, [{ instancePath: "/curve", keyword: "maxItems" }])).toEqual([
      '"curve": [',
      "1,",
      "2,",
      "3",
      "],",
    ]);
    expect(marked(v, [{ instancePath: "/meta", keyword: "type" }])).toEqual(['"meta": {', '"a": 1', "}"]);
  });

  it("marks only the opening line of an object that lacks a required property", () => {
    const v = { pos: { y: 1 }, other: 2 };
    expect(
      marked(v, [{ instancePath: "/pos", keyword: "required", params: { missingProperty: "x" } }]),
    ).toEqual(['"pos": {']);
    expect(
      marked(v, [{ instancePath: "", keyword: "required", params: { missingProperty: "spotId" } }]),
    ).toEqual(["{"]);
  });

  it("falls back to the nearest existing parent for a path the payload does not have", () => {
    expect(marked(spot, [{ instancePath: "/curve/99", keyword: "type" }])).toEqual(['"curve": [']);
  });

  it("marks the whole document for a root type error", () => {
    expect(marked([1, 2], [{ instancePath: "", keyword: "type" }])).toEqual(["[", "1,", "2", "]"]);
    expect(marked("text", [{ instancePath: "", keyword: "type" }])).toEqual(['"text"']);
  });

  it("numbers several errors separately", () => {
    const lines = highlightPayload(spot, [
      { instancePath: "/currentKA", keyword: "maximum" },
      { instancePath: "/curve/2", keyword: "type" },
    ]);
    expect(lines.find((l) => l.path === "/currentKA")?.errors).toEqual([0]);
    expect(lines.find((l) => l.path === "/curve/2")?.errors).toEqual([1]);
    expect(lines.find((l) => l.path === "/spotId")?.errors).toEqual([]);
  });

  it("handles keys with / and ~", () => {
    const v = { "a/b": 1, "c~d": 2 };
    expect(marked(v, [{ instancePath: "/a~1b", keyword: "type" }])).toEqual(['"a/b": 1,']);
    expect(
      marked(v, [
        { instancePath: "", keyword: "additionalProperties", params: { additionalProperty: "c~d" } },
      ]),
    ).toEqual(['"c~d": 2']);
  });
});
