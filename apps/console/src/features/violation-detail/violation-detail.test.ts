import { describe, expect, it } from "vitest";
import { errorWhat, fate } from "./violation-detail-page";

describe("violation detail wording", () => {
  it("says what the broker did with the message", () => {
    const topic = "acme/plant-b/x/weld-spot";
    expect(fate({ kind: "schema", policy: "enforce", topic })).toBe(
      `Quarantined: not delivered to subscribers; routed to $uns/quarantine/${topic}.`,
    );
    expect(fate({ kind: "schema", policy: "monitor", topic })).toMatch(/^Delivered to subscribers/);
    expect(fate({ kind: "acl", policy: "monitor", topic })).toBe(
      `Refused: not delivered; routed to $uns/refused/${topic} for admins.`,
    );
  });

  it("names the property for object keywords", () => {
    expect(
      errorWhat({
        instancePath: "",
        keyword: "additionalProperties",
        message: "must NOT have additional properties",
        params: { additionalProperty: "temp" },
      }),
    ).toBe('extra property "temp" is not allowed');
    expect(
      errorWhat({
        instancePath: "",
        keyword: "required",
        message: "must have required property 'spotId'",
        params: { missingProperty: "spotId" },
      }),
    ).toBe('missing property "spotId"');
    expect(errorWhat({ instancePath: "/currentKA", keyword: "maximum", message: "must be <= 30" })).toBe(
      "must be <= 30",
    );
  });
});
