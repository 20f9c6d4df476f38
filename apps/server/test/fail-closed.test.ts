import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestServer, type TestServer, weldSpot } from "./helper.js";

// plant-b is under `policy: enforce` in the test tree.
const ENFORCED = "acme/plant-b/body-shop/line-01/cell-01/weld-spot";

interface Status {
  ok: boolean;
  held: { channel: string; leaves: string[]; reason: string }[];
  failedReloads: { part: string; message: string }[];
}

describe("enforcement fails closed on file accidents", () => {
  let t: TestServer;
  let contract: string;
  let tree: string;
  beforeAll(async () => {
    t = await startTestServer();
    contract = readFileSync(join(t.dir, "asyncapi", "weld.yaml"), "utf8");
    tree = readFileSync(join(t.dir, "topics", "tree.yaml"), "utf8");
  });
  afterAll(async () => t?.close());

  const reloads = async () =>
    (await t.api<{ reloads: { ok: boolean; part: string; message: string }[] }>("/api/v1/contracts")).body
      .reloads;
  const health = async () => (await t.api<{ status: string; governance: Status }>("/api/v1/health")).body;

  /** An invalid weld spot on the enforced subtree must still be judged against weldSpot. */
  async function expectEnforced(clientId: string) {
    const pub = await t.connect("device", { clientId });
    await pub.publishAsync(ENFORCED, JSON.stringify(weldSpot({ currentKA: 99 })), { qos: 1 });
    const items = await eventually(
      () =>
        t
          .api<{ items: { channel: string; kind: string }[] }>(`/api/v1/violations?clientId=${clientId}`)
          .then((r) => r.body.items),
      (i) => i.length === 1,
      60_000,
    );
    // Judged against the held channel: a violation of its schema, not an `ungoverned` delivery.
    expect(items[0]).toMatchObject({ channel: "weldSpot", kind: "schema" });
  }

  const accidents: [string, (file: string) => void][] = [
    ["emptied", (f) => writeFileSync(f, "")],
    [
      "garbled into a YAML scalar",
      (f) => writeFileSync(f, "\u0000\u0001garbage that YAML reads as one string"),
    ],
    ["deleted", (f) => rmSync(f)],
    [
      "its channel id renamed",
      (f) =>
        writeFileSync(
          f,
          contract
            .replace("  weldSpot:\n", "  weldSpotRenamed:\n")
            .replace('#/channels/weldSpot"', '#/channels/weldSpotRenamed"'),
        ),
    ],
  ];

  for (const [name, accident] of accidents) {
    it(`keeps the last good channel when weld.yaml is ${name}, and health and the contracts API say so`, async () => {
      const file = join(t.dir, "asyncapi", "weld.yaml");
      const before = (await reloads()).length;
      accident(file);
      const list = await eventually(reloads, (r) => r.length > before, 60_000);
      const last = list[list.length - 1]!;
      expect(last).toMatchObject({ part: "contracts", ok: false });
      expect(last.message).toMatch(/weldSpot/);
      expect(last.message).toMatch(/stays in force/);

      const h = await health();
      expect(h.status).toBe("degraded");
      expect(h.governance.ok).toBe(false);
      expect(h.governance.held.map((x) => x.channel)).toContain("weldSpot");
      const c = await t.api<{ status: Status; channels: { id: string }[] }>("/api/v1/contracts");
      expect(c.body.status.held.map((x) => x.channel)).toContain("weldSpot");
      expect(c.body.channels.map((x) => x.id)).toContain("weldSpot");

      await expectEnforced(`accident-${name.split(" ")[0]}`);

      writeFileSync(file, contract);
      await eventually(health, (x) => x.governance.ok, 60_000);
    }, 150_000);
  }

  it("refuses a tree whose leaf names a channel that does not exist; the last good tree stays", async () => {
    const file = join(t.dir, "topics", "tree.yaml");
    const before = (await reloads()).length;
    writeFileSync(file, tree.replace("{ channel: weldSpot }", "{ channel: weldSpto }"));
    const list = await eventually(reloads, (r) => r.length > before, 60_000);
    expect(list[list.length - 1]).toMatchObject({ part: "topics", ok: false });
    expect(list[list.length - 1]!.message).toMatch(/weldSpto/);
    const h = await health();
    expect(h.governance.ok).toBe(false);
    expect(h.governance.failedReloads[0]).toMatchObject({ part: "topics" });
    await expectEnforced("tree-typo");

    writeFileSync(file, tree);
    await eventually(health, (x) => x.governance.ok, 60_000);
  }, 150_000);
});

describe("a start with a leaf naming a missing channel fails", () => {
  it("refuses to start and names the leaf and the channel", async () => {
    const err = await startTestServer({}, (dir) => {
      const file = join(dir, "topics", "tree.yaml");
      writeFileSync(
        file,
        readFileSync(file, "utf8").replace("{ channel: weldSpot }", "{ channel: weldSpto }"),
      );
    }).then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    expect(err?.code).toBe("UNS_ERR_TOPICS_INVALID");
    expect(err?.message).toMatch(/weldSpto/);
  }, 150_000);
});
