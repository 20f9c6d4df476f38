import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, eventually, startTestServer, type TestServer, weldSpot } from "./helper.js";

interface Totals {
  valid: number;
  invalid: number;
  unvalidated: number;
  ungoverned: number;
  total: number;
}
interface ViolationList {
  items: {
    id: string;
    topic: string;
    clientId: string;
    channel: string;
    kind: string;
    errors: { instancePath: string; keyword: string; message: string }[];
  }[];
  nextCursor: string | null;
}

const MONITOR = "acme/plant-a/body-shop/line-01/cell-01/weld-spot";
const ENFORCE = "acme/plant-b/body-shop/line-01/cell-01/weld-spot";

describe("dispatcher: validation, policies, records", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t?.close());

  const totals = (q = "") => t.api<Totals>(`/api/v1/compliance/totals${q}`).then((r) => r.body);

  it("delivers and counts a valid weld-spot message", async () => {
    const sub = await t.connect("viewer");
    const got = collect(sub);
    await sub.subscribeAsync(MONITOR, { qos: 1 });
    const pub = await t.connect("device", { clientId: "weld-ctrl-valid" });
    await pub.publishAsync(MONITOR, JSON.stringify(weldSpot()), { qos: 1 });
    await eventually(
      () => got.length,
      (n) => n === 1,
    );
    expect(JSON.parse(got[0]!.payload.toString()).spotId).toBe("s-1");
    const c = await eventually(
      () => totals(`?clientId=weld-ctrl-valid`),
      (x) => x.total === 1,
    );
    expect(c).toMatchObject({ valid: 1, invalid: 0, unvalidated: 0, ungoverned: 0 });
  });

  it("records an invalid message with its errors and shows it through the API", async () => {
    const pub = await t.connect("device", { clientId: "weld-ctrl-bad" });
    await pub.publishAsync(MONITOR, JSON.stringify(weldSpot({ currentKA: 99, extra: true })), { qos: 1 });
    const list = await eventually(
      () => t.api<ViolationList>("/api/v1/violations?clientId=weld-ctrl-bad").then((r) => r.body),
      (l) => l.items.length === 1,
    );
    const v = list.items[0]!;
    expect(v).toMatchObject({
      topic: MONITOR,
      clientId: "weld-ctrl-bad",
      channel: "weldSpot",
      kind: "schema",
    });
    const keywords = v.errors.map((e) => `${e.instancePath} ${e.keyword}`);
    expect(keywords).toContain("/currentKA maximum");
    expect(keywords.some((k) => k.includes("additionalProperties"))).toBe(true);
    const detail = await t.api<{
      violation: { payloadSize: number; payloadText?: string };
      channel: { id: string };
    }>(`/api/v1/violations/${v.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.channel.id).toBe("weldSpot");
    expect(detail.body.violation.payloadSize).toBeGreaterThan(1000);
    // monitor mode delivered it anyway and the publisher is still connected
    expect(pub.connected).toBe(true);
  });

  it("enforce mode quarantines invalid messages, keeps the publisher connected and keeps its order", async () => {
    const sub = await t.connect("admin");
    const got = collect(sub);
    await sub.subscribeAsync([ENFORCE, `$uns/quarantine/${ENFORCE}`, `$uns/violations/${ENFORCE}`], {
      qos: 1,
    });
    const pub = await t.connect("device", { clientId: "weld-ctrl-order" });
    const n = 200;
    // Every 7th message is invalid; all sent without waiting so that aedes sees them in few reads.
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        pub.publishAsync(
          ENFORCE,
          JSON.stringify(weldSpot({ seq: i, ...(i % 7 === 0 ? { currentKA: -1 } : {}) })),
          { qos: 1 },
        ),
      ),
    );
    const delivered = await eventually(
      () => got.filter((m) => m.topic === ENFORCE),
      (m) => m.length === n - Math.ceil(n / 7),
    );
    const quarantined = await eventually(
      () => got.filter((m) => m.topic === `$uns/quarantine/${ENFORCE}`),
      (m) => m.length === Math.ceil(n / 7),
    );
    const seqs = delivered.map((m) => JSON.parse(m.payload.toString()).seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs.every((s) => s % 7 !== 0)).toBe(true);
    const qseqs = quarantined.map((m) => JSON.parse(m.payload.toString()).seq as number);
    expect(qseqs).toEqual(Array.from({ length: Math.ceil(n / 7) }, (_, i) => i * 7));
    const live = await eventually(
      () => got.filter((m) => m.topic === `$uns/violations/${ENFORCE}`),
      (m) => m.length === Math.ceil(n / 7),
    );
    expect(JSON.parse(live[0]!.payload.toString())).toMatchObject({
      clientId: "weld-ctrl-order",
      channel: "weldSpot",
      topic: ENFORCE,
    });
    expect(pub.connected).toBe(true);
    const c = await eventually(
      () => totals(`?clientId=weld-ctrl-order`),
      (x) => x.total === n,
    );
    expect(c).toMatchObject({ valid: n - Math.ceil(n / 7), invalid: Math.ceil(n / 7) });
  });

  it("checks topic parameters and counts topics without a contract as ungoverned", async () => {
    const pub = await t.connect("device", { clientId: "notes-writer" });
    await pub.publishAsync("acme/plant-a/body-shop/line-01/cell-01/notes", "free text", { qos: 1 });
    const c = await eventually(
      () => totals(`?clientId=notes-writer`),
      (x) => x.total === 1,
    );
    expect(c.ungoverned).toBe(1);
  });

  it("records bad payloads without crashing: not JSON, invalid UTF-8, binary, deeply nested, huge", async () => {
    const pub = await t.connect("device", { clientId: "bad-payloads" });
    const deep = `${"[".repeat(5000)}${"]".repeat(5000)}`;
    const payloads: (string | Buffer)[] = [
      "{not json",
      Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
      Buffer.from([0, 1, 2, 3, 255, 254]),
      deep,
      Buffer.alloc(2 * 1024 * 1024, 0x20),
      "",
    ];
    for (const p of payloads) await pub.publishAsync(MONITOR, p, { qos: 1 });
    const list = await eventually(
      () => t.api<ViolationList>("/api/v1/violations?clientId=bad-payloads").then((r) => r.body),
      (l) => l.items.length === payloads.length,
    );
    const kinds = list.items.map((i) => i.kind).sort();
    expect(kinds).toEqual(["not-json", "not-json", "not-json", "not-json", "not-json", "too-large"].sort());
    expect(list.items.find((i) => i.kind === "too-large")!.errors[0]!.message).toMatch(/2097152 bytes/);
    expect(pub.connected).toBe(true);
    const health = await t.api<{ status: string }>("/api/v1/health");
    expect(health.body.status).toBe("ok");
  });
});

// With messages judged on the event loop (validation.inlineMaxPerSecond) and without: a flood
// is judged inline only up to the rate, the rest goes to the tiny queue, and either way every
// message is counted once. Without, the queue is sure to overflow (unvalidated > 0).
describe.each([
  { inline: 0, label: "all to the workers" },
  { inline: 4000, label: "judged on the event loop up to 4,000/s" },
])("dispatcher under overload ($label)", ({ inline }) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      "workers.size": 1,
      "workers.queueLength": 8,
      "workers.batchSize": 4,
      "validation.inlineMaxPerSecond": inline,
    });
  });
  afterAll(async () => t?.close());

  it("counts every message exactly once: monitor traffic beyond the queue is delivered unvalidated, enforce traffic waits", async () => {
    const sub = await t.connect("admin");
    const got = collect(sub);
    await sub.subscribeAsync(["acme/#"], { qos: 0 });
    const mon = await t.connect("device", { clientId: "flood-monitor" });
    const enf = await t.connect("device", { clientId: "flood-enforce" });
    const n = 3000;
    const body = JSON.stringify(weldSpot());
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      sends.push(mon.publishAsync(MONITOR, body, { qos: 1 }));
      sends.push(enf.publishAsync(ENFORCE, body, { qos: 1 }));
    }
    await Promise.all(sends);
    const m = await eventually(
      () => t.api<Totals>("/api/v1/compliance/totals?clientId=flood-monitor").then((r) => r.body),
      (x) => x.total === n,
      30_000,
    );
    const e = await eventually(
      () => t.api<Totals>("/api/v1/compliance/totals?clientId=flood-enforce").then((r) => r.body),
      (x) => x.total === n,
      30_000,
    );
    expect(m.valid + m.invalid + m.unvalidated + m.ungoverned).toBe(n);
    if (inline === 0) expect(m.unvalidated).toBeGreaterThan(0);
    else expect(t.server.inline.stats().judged).toBeGreaterThan(0);
    expect(e).toMatchObject({ valid: n, unvalidated: 0 });
    // Nothing dropped: every message of both publishers reached the subscriber.
    await eventually(
      () => got.length,
      (len) => len === 2 * n,
      30_000,
    );
    const live = t.server.live.totals();
    expect(live.total).toBe(2 * n);
  });
});
