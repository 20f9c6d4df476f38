import { join } from "node:path";
import {
  checkConsistency,
  createValidator,
  type Identity,
  loadAccess,
  loadContracts,
  loadTopicTree,
} from "@uns/contracts";
import { beforeAll, describe, expect, it } from "vitest";
import { BAD_KINDS } from "../src/bad-traffic.js";
import { createPlant } from "../src/plant.js";
import { createTraffic } from "../src/traffic.js";
import { ROOT } from "./contracts.js";

// The product's own governance (@uns/contracts: tree, access, AsyncAPI validation) applied to the
// repository's contracts and to simulated traffic, message by message, as the broker would.
let tree: ReturnType<typeof loadTopicTree>;
let access: ReturnType<typeof loadAccess>;
let validator: ReturnType<typeof createValidator>;
let set: Awaited<ReturnType<typeof loadContracts>>["set"];
let diagnostics: Awaited<ReturnType<typeof loadContracts>>["diagnostics"];

beforeAll(async () => {
  tree = loadTopicTree(join(ROOT, "topics"));
  access = loadAccess(join(ROOT, "topics"));
  ({ set, diagnostics } = await loadContracts(join(ROOT, "asyncapi")));
  validator = createValidator(set);
});

// The simulator speaks for every cell: the demo gives it the gateway role.
const device: Identity = { username: "simulator", clientId: "uns-sim-1-0", roles: ["gateway"] };

function verdict(topic: string, payload: Uint8Array): string {
  const c = tree.classify(topic);
  if (c.kind !== "leaf" || c.channel === null) return `topic:${c.kind}`;
  if (!access.canPublish(device, topic)) return "acl";
  const r = validator.validate(c.channel, topic, payload);
  return r.outcome === "valid" ? "valid" : `invalid:${r.kind}`;
}

describe("governed by @uns/contracts", () => {
  it("loads the contracts and the tree without errors or inconsistencies", () => {
    expect(diagnostics.filter((d) => d.severity === "error" || d.severity === "warning")).toEqual([]);
    expect(checkConsistency(tree, set)).toEqual([]);
  });

  it("accepts every simulated message at bad-rate 0", () => {
    const traffic = createTraffic(createPlant(), { seed: 21, startTime: Date.parse("2026-03-02T06:00:00Z") });
    const wrong: string[] = [];
    for (let i = 0; i < 4000; i++) {
      const m = traffic.next();
      const v = verdict(m.topic, m.payload);
      if (v !== "valid") wrong.push(`${m.topic}: ${v}`);
    }
    expect(wrong).toEqual([]);
  });

  it("refuses about 5 % of weld spots at bad-rate 0.05, each for the reason of its kind", () => {
    const traffic = createTraffic(createPlant(), {
      seed: 22,
      startTime: Date.parse("2026-03-02T06:00:00Z"),
      badRate: 0.05,
      badKinds: BAD_KINDS,
      channels: ["weldSpot"],
    });
    const expected: Record<string, string> = {
      valid: "valid",
      "missing-field": "invalid:schema",
      "wrong-type": "invalid:schema",
      "out-of-range": "invalid:schema",
      "wrong-unit": "invalid:schema",
      "extra-field": "invalid:schema",
      "malformed-json": "invalid:not-json",
      "outside-tree": "topic:refused",
      unauthorized: "acl",
    };
    let refused = 0;
    const n = 6000;
    for (let i = 0; i < n; i++) {
      const m = traffic.next();
      const v = verdict(m.topic, m.payload);
      expect(v, `${m.kind} on ${m.topic}`).toBe(expected[m.kind]);
      if (v !== "valid") refused++;
    }
    expect(refused / n).toBeGreaterThan(0.03);
    expect(refused / n).toBeLessThan(0.07);
  });
});
