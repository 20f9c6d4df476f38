import { describe, expect, it } from "vitest";
import { decodeSparkplug } from "./decode.js";
import {
  createHostApplication,
  rebirthCommand,
  SparkplugHostIdError,
  statePayload,
  stateTopic,
} from "./host-application.js";
import { createSparkplugTracker } from "./tracker.js";

describe("host application helpers", () => {
  it("builds the STATE topic and the Sparkplug 3.0 JSON payload", () => {
    expect(stateTopic("uns-1")).toBe("spBv1.0/STATE/uns-1");
    expect(JSON.parse(statePayload(true, 1234))).toEqual({ online: true, timestamp: 1234 });
    expect(() => stateTopic("a/b")).toThrow(SparkplugHostIdError);
    expect(() => stateTopic("")).toThrow(/expected a non-empty string without/);
  });

  it("builds an NCMD Node Control/Rebirth = true, QoS 0, not retained", () => {
    const cmd = rebirthCommand("Plant1", "Welder01", { timestamp: 42 });
    expect(cmd).toMatchObject({ topic: "spBv1.0/Plant1/NCMD/Welder01", qos: 0, retain: false });
    const r = decodeSparkplug(cmd.payload);
    expect(r.ok && r.payload).toMatchObject({
      timestamp: 42,
      metrics: [{ name: "Node Control/Rebirth", datatype: "Boolean", value: true, timestamp: 42 }],
    });
  });

  it("gives birth and death STATE messages that the tracker accepts", () => {
    const host = createHostApplication({ hostId: "uns", now: () => 7 });
    const birth = host.birth();
    expect(birth).toEqual({
      topic: "spBv1.0/STATE/uns",
      payload: '{"online":true,"timestamp":7}',
      qos: 1,
      retain: true,
    });
    expect(host.death(8).payload).toBe('{"online":false,"timestamp":8}');
    expect(host.isOwnState("spBv1.0/STATE/uns")).toBe(true);

    const tracker = createSparkplugTracker({ reorderWindowMs: 0, rebirthMinIntervalMs: 0, hostId: "uns" });
    const r = tracker.onMessage({ ...birth, payload: Buffer.from(birth.payload) });
    expect(r.violations).toEqual([]);
    expect(r.republishState).toBeUndefined();
    const d = host.death();
    expect(tracker.onMessage({ ...d, payload: Buffer.from(d.payload) }).republishState).toBe(true);

    const ncmd = host.rebirthCommand("G", "N");
    expect(tracker.onMessage({ ...ncmd, clientId: null }).violations).toEqual([]);
  });
});
