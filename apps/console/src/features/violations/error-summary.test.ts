import { describe, expect, it } from "vitest";
import { errorSummary } from "./violations-page";

describe("errorSummary", () => {
  it("gives where and what for a table cell", () => {
    expect(errorSummary({ instancePath: "/curve/3", keyword: "type", message: "must be number" })).toBe(
      "/curve/3: must be number",
    );
    expect(
      errorSummary({
        instancePath: "",
        keyword: "additionalProperties",
        message: "must NOT have additional properties",
        params: { additionalProperty: "t" },
      }),
    ).toBe("/t: must NOT have additional properties");
    expect(errorSummary({ instancePath: "", keyword: "json", message: "Unexpected token" })).toBe(
      "(payload): Unexpected token",
    );
  });
});
