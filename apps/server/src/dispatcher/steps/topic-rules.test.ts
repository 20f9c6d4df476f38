import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureGovernance } from "../../../test/helper.js";
import { topicRuleError } from "./topic-rules.js";

describe("step 1: topic rules", () => {
  let g: Awaited<ReturnType<typeof fixtureGovernance>>;
  beforeAll(async () => {
    g = await fixtureGovernance();
  });
  afterAll(() => g?.close());
  const check = (topic: string) => topicRuleError(g.current.tree.classify(topic));

  it("lets a topic of the tree pass, and Sparkplug's namespace (judged later)", () => {
    expect(check("acme/plant-a/body-shop/line-01/cell-01/weld-spot")).toBeNull();
    expect(check("spBv1.0/plant/NDATA/edge-1")).toBeNull();
  });
  it("refuses the broker's $ namespace, citing the spec", () => {
    expect(check("$uns/violations/x")).toMatchObject({ keyword: "reserved", message: /MQTT-4\.7\.2-1/ });
  });
  it("refuses what breaks the naming rules or is outside the tree, saying why", () => {
    const upper = check("acme/Plant-A/x");
    expect(upper?.keyword).toBeTruthy();
    expect(upper?.message).toMatch(/\S/);
    expect(check("other/plant")).not.toBeNull();
  });
});
