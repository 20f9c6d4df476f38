import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureGovernance } from "../../../test/helper.js";
import { channelFor } from "./channel-policy.js";

describe("step 4: channel and policy", () => {
  let g: Awaited<ReturnType<typeof fixtureGovernance>>;
  beforeAll(async () => {
    g = await fixtureGovernance();
  });
  afterAll(() => g?.close());
  const decide = (topic: string, policy?: "monitor" | "enforce") =>
    channelFor(g.current, g.current.tree.classify(topic), topic, policy);

  it("finds the leaf's channel and the tree's policy", () => {
    const m = decide("acme/plant-a/body-shop/line-01/cell-01/weld-spot");
    expect(m.kind === "validate" && [m.channel.id, m.policy]).toEqual(["weldSpot", "monitor"]);
    const e = decide("acme/plant-b/body-shop/line-01/cell-01/weld-spot");
    expect(e.kind === "validate" && [e.channel.id, e.policy]).toEqual(["weldSpot", "enforce"]);
  });
  it("lets the caller force monitor (the server's own messages)", () => {
    const e = decide("acme/plant-b/body-shop/line-01/cell-01/weld-spot", "monitor");
    expect(e.policy).toBe("monitor");
  });
  it("records a leaf without a contract as ungoverned", () => {
    expect(decide("acme/plant-a/body-shop/line-01/cell-01/notes")).toEqual({
      kind: "record",
      policy: "monitor",
      channelId: null,
      judgement: { outcome: "ungoverned" },
    });
  });
});
