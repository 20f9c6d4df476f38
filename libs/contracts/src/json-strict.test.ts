import { describe, expect, it } from "vitest";
import type { MessageSpec } from "./contract-set.js";
import { findDuplicateKey, hasUtf8Bom } from "./json-strict.js";
import { createValidator } from "./validator.js";

const enc = new TextEncoder();

function validator(payload: MessageSpec["payload"], parameters: Record<string, unknown> = { p: null }) {
  return createValidator({
    version: "test",
    channels: [
      {
        id: "c",
        file: "t.yaml",
        title: "T",
        version: "1",
        address: "t/{p}",
        filter: "t/+",
        parameters: parameters as Record<string, MessageSpec["payload"]>,
        messages: [
          {
            name: "m",
            contentType: "application/json",
            schemaFormat: "application/vnd.aai.asyncapi;version=3.0.0",
            payload,
            supported: true,
            examples: [],
          },
        ],
      },
    ],
  });
}

function dup(text: string) {
  return findDuplicateKey(enc.encode(text), text, JSON.parse(text));
}

describe("payloads other JSON readers would read differently are refused (RFC 8259 8.1, RFC 7493 2.3)", () => {
  const v = validator({ type: "object" });

  it("refuses a payload with a UTF-8 byte order mark (JSON.parse after TextDecoder accepts it)", () => {
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode('{"a":1}')]);
    expect(hasUtf8Bom(withBom)).toBe(true);
    expect(v.validate("c", "t/x", withBom)).toMatchObject({
      outcome: "invalid",
      kind: "not-json",
      errors: [
        expect.objectContaining({ keyword: "bom", message: expect.stringMatching(/byte order mark/) }),
      ],
    });
    expect(v.validate("c", "t/x", enc.encode('{"a":1}'))).toMatchObject({ outcome: "valid" });
  });

  it("refuses a repeated member name and names where it is (JSON.parse keeps the last silently)", () => {
    expect(v.validate("c", "t/x", enc.encode('{"ok":true,"ok":false}'))).toMatchObject({
      outcome: "invalid",
      kind: "not-json",
      errors: [expect.objectContaining({ keyword: "duplicate-key", params: { pointer: "/ok" } })],
    });
    expect(dup('{"a":{"b":[1,{"c":1,"d":2,"c":3}]}}')).toBe("/a/b/1/c");
    expect(dup('[{"x":1},{"x":2,"y":{"z":1,"z":1}}]')).toBe("/1/y/z");
    expect(dup('{"a/b~c":1,"a/b~c":2}')).toBe("/a~1b~0c");
  });

  it("does not mistake colons in names and values, or escapes, for repeats", () => {
    for (const text of [
      '{"at":"2026-12-01T21:24:39Z","a:b":"c:d:e","n":[1,2,{"t":"x:y"}]}',
      '{"esc":"\\u003a\\u003A","q":"say \\"a\\":1"}',
      '{"lit":"\\\\u003a","other":1}', // a backslash then u003a: no colon in the value
      '{"a":{},"b":[],"c":{"a":1}}',
      "42",
      '"a:b"',
    ]) {
      expect(dup(text), text).toBeUndefined();
    }
    // A repeat hidden behind escaped colons is still found.
    expect(dup('{"a":1,"a":2,"x":"\\u003a"}')).toBe("/a");
    expect(dup('{"a":"\\u003a","a":"\\u003a"}')).toBe("/a");
  });
});

describe("contract patterns run in linear time", () => {
  it("evaluates a catastrophic payload pattern quickly", () => {
    const v = validator({ type: "object", properties: { s: { type: "string", pattern: "^(a+)+$" } } });
    const started = performance.now();
    const r = v.validate("c", "t/x", enc.encode(JSON.stringify({ s: `${"a".repeat(28)}!` })));
    expect(performance.now() - started).toBeLessThan(500);
    expect(r).toMatchObject({ outcome: "invalid", kind: "schema" });
    expect(v.validate("c", "t/x", enc.encode('{"s":"aaa"}'))).toMatchObject({ outcome: "valid" });
  });

  it("keeps each pattern of a schema apart (ajv deduplicates compiled patterns by their text)", () => {
    const v = validator({
      type: "object",
      properties: {
        code: { type: "string", pattern: "^[A-Z0-9][A-Z0-9-]{1,63}$" },
        sum: { type: "string", pattern: "^sha256:[0-9a-f]{64}$" },
      },
    });
    const ok = { code: "E-1234", sum: `sha256:${"a".repeat(64)}` };
    expect(v.validate("c", "t/x", enc.encode(JSON.stringify(ok)))).toMatchObject({ outcome: "valid" });
    expect(v.validate("c", "t/x", enc.encode(JSON.stringify({ ...ok, sum: "md5:x" })))).toMatchObject({
      outcome: "invalid",
      errors: [expect.objectContaining({ instancePath: "/sum", keyword: "pattern" })],
    });
  });

  it("evaluates a catastrophic topic parameter pattern quickly", () => {
    const v = validator(null, { p: { type: "string", pattern: "^(a+)+$" } });
    const started = performance.now();
    const r = v.validate("c", `t/${"a".repeat(28)}!`, enc.encode("{}"));
    expect(performance.now() - started).toBeLessThan(500);
    expect(r).toMatchObject({ outcome: "invalid", kind: "topic-parameter" });
  });

  it("reports a pattern the linear engine cannot run as a schema that does not compile", () => {
    const v = validator({ type: "string", pattern: "^(a)\\1$" });
    expect(v.validate("c", "t/x", enc.encode('"aa"'))).toMatchObject({
      outcome: "invalid",
      kind: "unsupported-format",
      errors: [expect.objectContaining({ keyword: "schema-compile", message: expect.stringMatching(/RE2/) })],
    });
  });
});
