import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, eventually, startTestServer, type TestServer, weldSpot } from "./helper.js";

const TOPIC = "acme/plant-a/body-shop/line-01/cell-01/weld-spot";

describe("contracts and topics: refused at start when broken, hot reload without dropping connections", () => {
  it("refuses to start on a broken AsyncAPI document and names the file and line", async () => {
    const err = await startTestServer({}, (dir) => {
      writeFileSync(
        join(dir, "asyncapi", "broken.yaml"),
        "asyncapi: 3.0.0\ninfo:\n  title: broken\n  version: 1.0.0\nchannels:\n  x:\n    address: a/b\n    messages:\n      m:\n        payload:\n          $ref: '#/components/schemas/missing'\n",
      );
    }).then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    expect(err).not.toBeNull();
    expect(err!.code).toBe("UNS_ERR_CONTRACTS_INVALID");
    expect(err!.message).toMatch(/broken\.yaml:\d+/);
  });

  describe("on a running server", () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer();
    });
    afterAll(async () => t?.close());

    it("applies a contract edit without a restart, keeps the last good one on a broken edit, and reports it", async () => {
      const pub = await t.connect("device", { clientId: "reload-pub" });
      const sub = await t.connect("viewer");
      const got = collect(sub);
      await sub.subscribeAsync(TOPIC, { qos: 1 });
      const file = join(t.dir, "asyncapi", "weld.yaml");
      const original = readFileSync(file, "utf8");

      // Tighten the contract: currents above 20 kA become invalid.
      writeFileSync(file, original.replace("maximum: 30", "maximum: 20"));
      await eventually(
        () =>
          t
            .api<{ reloads: { ok: boolean; part: string }[] }>("/api/v1/contracts")
            .then((r) => r.body.reloads),
        (r) => r.some((x) => x.ok && x.part === "contracts"),
      );
      await pub.publishAsync(TOPIC, JSON.stringify(weldSpot({ currentKA: 25 })), { qos: 1 });
      await eventually(
        () =>
          t
            .api<{ items: unknown[] }>("/api/v1/violations?clientId=reload-pub")
            .then((r) => r.body.items.length),
        (n) => n === 1,
      );

      // A broken edit: the last good version stays in force and the failure is reported.
      writeFileSync(file, `${original}\n  broken: [\n`);
      const reloads = await eventually(
        () =>
          t
            .api<{ reloads: { ok: boolean; message: string }[] }>("/api/v1/contracts")
            .then((r) => r.body.reloads),
        (r) => r.some((x) => !x.ok),
      );
      expect(reloads.find((x) => !x.ok)!.message).toMatch(/weld\.yaml/);
      await pub.publishAsync(TOPIC, JSON.stringify(weldSpot({ currentKA: 25 })), { qos: 1 });
      await eventually(
        () =>
          t
            .api<{ items: unknown[] }>("/api/v1/violations?clientId=reload-pub")
            .then((r) => r.body.items.length),
        (n) => n === 2,
      );
      expect(pub.connected).toBe(true);
      expect(sub.connected).toBe(true);
      expect(got.length).toBe(2);
    });

    it("applies a topic tree edit without a restart", async () => {
      const pub = await t.connect("device", { clientId: "tree-reload" });
      const file = join(t.dir, "topics", "tree.yaml");
      const tree = readFileSync(file, "utf8");
      await pub.publishAsync("acme/plant-a/body-shop/line-01/cell-01/notes", "x", { qos: 1 });
      writeFileSync(file, tree.replace("    notes: { }\n", ""));
      await eventually(
        () =>
          t
            .api<{ leaves: { filter: string }[] }>("/api/v1/topics")
            .then((r) => r.body.leaves.map((l) => l.filter).join(" ")),
        (s) => !s.includes("notes"),
      );
      await pub.publishAsync("acme/plant-a/body-shop/line-01/cell-01/notes", "x", { qos: 1 });
      const list = await eventually(
        () =>
          t
            .api<{ items: { kind: string }[] }>("/api/v1/violations?clientId=tree-reload")
            .then((r) => r.body.items),
        (i) => i.length === 1,
      );
      expect(list[0]!.kind).toBe("topic");
      expect(pub.connected).toBe(true);
    });
  });
});
