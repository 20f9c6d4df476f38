import { describe, expect, it } from "vitest";
import { addressParameters, defaultParameter, topicFromAddress } from "./address";

describe("topics from a channel address", () => {
  const address = "{enterprise}/{site}/body-shop/{line}/weld-spot";
  it("lists the parameters in order", () => {
    expect(addressParameters(address)).toEqual(["enterprise", "site", "line"]);
  });
  it("fills them in", () => {
    expect(topicFromAddress(address, { enterprise: "acme", site: "plant-a", line: "line-01" })).toEqual({
      topic: "acme/plant-a/body-shop/line-01/weld-spot",
      problems: [],
    });
  });
  it("names an empty parameter, a slash and a wildcard", () => {
    const r = topicFromAddress(address, { enterprise: "acme", site: "a/b", line: "#" });
    expect(r.problems).toEqual([
      '{site} holds "/", "+" or "#": one topic level, no wildcards',
      '{line} holds "/", "+" or "#": one topic level, no wildcards',
    ]);
    expect(topicFromAddress(address, {}).problems).toHaveLength(3);
  });
  it("takes a first value from the parameter's schema", () => {
    expect(defaultParameter({ enum: ["acme"] })).toBe("acme");
    expect(defaultParameter({ pattern: "^x$" })).toBe("");
    expect(defaultParameter(null)).toBe("");
  });
});
