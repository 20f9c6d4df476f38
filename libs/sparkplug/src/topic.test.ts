import { describe, expect, it } from "vitest";
import { certificateTopic, isSparkplugTopic, parseSparkplugTopic, sparkplugTopic } from "./topic.js";

describe("parseSparkplugTopic", () => {
  it("parses edge node, device and STATE topics", () => {
    expect(parseSparkplugTopic("spBv1.0/Plant1/NBIRTH/Welder01")).toEqual({
      ok: true,
      topic: { namespace: "spBv1.0", type: "NBIRTH", group: "Plant1", edgeNode: "Welder01" },
    });
    expect(parseSparkplugTopic("spBv1.0/Plant1/DDATA/Welder01/Gun1")).toEqual({
      ok: true,
      topic: { namespace: "spBv1.0", type: "DDATA", group: "Plant1", edgeNode: "Welder01", device: "Gun1" },
    });
    expect(parseSparkplugTopic("spBv1.0/STATE/scada-1")).toEqual({
      ok: true,
      topic: { namespace: "spBv1.0", type: "STATE", hostId: "scada-1" },
    });
  });

  const bad: [string, string, string][] = [
    ["spAv1.0/Plant1/NBIRTH/N", "topic-namespace", "tck-id-topic-structure-namespace-a"],
    ["spBv1.0/Plant1/NBIRTH", "topic-structure", "tck-id-topic-structure"],
    ["spBv1.0/Plant1/DDATA/N/D/extra", "topic-structure", "tck-id-topic-structure"],
    ["spBv1.0/Plant1/NFOO/N", "topic-message-type", "tck-id-topic-structure"],
    ["spBv1.0//NDATA/N", "topic-group-id", "tck-id-topic-structure-namespace-valid-group-id"],
    ["spBv1.0/Plant1/NDATA/", "topic-edge-node-id", "tck-id-topic-structure-namespace-valid-edge-node-id"],
    ["spBv1.0/Plant1/DDATA/N/", "topic-device-id", "tck-id-topic-structure-namespace-valid-device-id"],
    [
      "spBv1.0/Plant1/DDATA/N",
      "topic-device-id-required",
      "tck-id-topic-structure-namespace-device-id-associated-message-types",
    ],
    [
      "spBv1.0/Plant1/NDATA/N/D",
      "topic-device-id-forbidden",
      "tck-id-topic-structure-namespace-device-id-non-associated-message-types",
    ],
    ["spBv1.0/STATE/host/extra", "state-topic", "tck-id-host-topic-phid-birth-topic"],
    ["spBv1.0/STATE", "state-topic", "tck-id-host-topic-phid-birth-topic"],
  ];
  for (const [topic, rule, conformance] of bad) {
    it(`rejects ${JSON.stringify(topic)} as ${rule}`, () => {
      const r = parseSparkplugTopic(topic, 42);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.violation).toMatchObject({ rule, conformance, topic, time: 42, severity: "error" });
        expect(r.violation.message).toMatch(/^expected /);
      }
    });
  }

  it("recognises Sparkplug by the topic prefix and builds topics", () => {
    expect(isSparkplugTopic("spBv1.0/G/NDATA/N")).toBe(true);
    expect(isSparkplugTopic("acme/spBv1.0")).toBe(false);
    expect(sparkplugTopic("G", "DCMD", "N", "D")).toBe("spBv1.0/G/DCMD/N/D");
    expect(certificateTopic("G", "N")).toBe("$sparkplug/certificates/spBv1.0/G/NBIRTH/N");
    expect(certificateTopic("G", "N", "D")).toBe("$sparkplug/certificates/spBv1.0/G/DBIRTH/N/D");
  });
});
