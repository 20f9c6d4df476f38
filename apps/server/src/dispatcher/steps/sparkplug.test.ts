import { describe, expect, it } from "vitest";
import { sparkplugOutcome } from "./sparkplug.js";

const base = {
  time: 1_700_000_000_000,
  clientId: "edge-1",
  username: "edge",
  topic: "spBv1.0/plant/NDATA/edge-1",
  payload: new Uint8Array([1, 2, 3]),
  policy: "enforce" as const,
};
const client = { id: "edge-1" };
const packet = { topic: base.topic, payload: Buffer.from([1, 2, 3]), qos: 0 as const, retain: false };
const identity = { username: "edge", clientId: "edge-1", roles: ["device"] };

describe("step 3: Sparkplug", () => {
  it("takes the Sparkplug rules' outcome when they give one", () => {
    const judged = {
      ...base,
      channel: null,
      contract: null,
      outcome: "invalid" as const,
      kind: "sparkplug",
      payloadSize: 3,
    };
    expect(sparkplugOutcome(() => judged, client, packet, identity, base)).toBe(judged);
  });
  it("is ungoverned and monitored without a verdict from them (or without a bridge)", () => {
    for (const judge of [() => null, undefined]) {
      expect(sparkplugOutcome(judge, client, packet, identity, base)).toMatchObject({
        outcome: "ungoverned",
        policy: "monitor",
        channel: null,
        payloadSize: 3,
      });
    }
  });
});
