import { describe, expect, it } from "vitest";
import { explainErrors } from "./explain-errors";
import { fate } from "./violation-detail-page";

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
    const doc = { temp: 80 };
    const text = (e: Parameters<typeof explainErrors>[0][number]) => explainErrors([e], doc).rows[0]!.text;
    expect(
      text({
        instancePath: "",
        keyword: "additionalProperties",
        message: "must NOT have additional properties",
        params: { additionalProperty: "temp" },
      }),
    ).toBe('/temp: expected no other properties; sent extra property "temp" = 80');
    expect(
      text({
        instancePath: "",
        keyword: "required",
        message: "must have required property 'spotId'",
        params: { missingProperty: "spotId" },
      }),
    ).toBe('/spotId: expected property "spotId"; sent nothing (absent)');
  });
});
