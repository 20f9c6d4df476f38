// Time views that tell the truth (issue 13, item 6), on a real server and store: each line, cell
// and publisher row says since when it fails (the start of its current failing streak), and the
// trend's window fits the data when asked to (a fresh install's minutes, not a 24 h squeeze).
import type { MessageOutcome, Outcome, Store } from "@uns/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helper.js";

type Row = { key: string | null; invalid: number; nonCompliantSince: string | null };
type Pub = { clientId: string; invalid: number; nonCompliantSince: string | null };
type Series = { from: string; to: string; bucketSeconds: number; fitted: boolean; points: { t: string }[] };

const MIN = 60_000;
const LINE = (line: string, cell: string) => `acme/plant-a/body-shop/${line}/${cell}/weld-spot`;

function outcome(time: number, clientId: string, topic: string, o: Outcome): MessageOutcome {
  return {
    time,
    clientId,
    username: "device",
    topic,
    channel: "weldSpot",
    contract: null,
    outcome: o,
    ...(o === "invalid" ? { kind: "schema", errors: [] } : {}),
    payload: new Uint8Array(),
    payloadSize: 0,
    policy: "monitor",
  };
}

describe("non-compliant since and fitted windows", () => {
  let s: TestServer;
  let store: Store;
  // Whole minutes, so the expected streak starts are exact.
  const now = Math.floor(Date.now() / MIN) * MIN;
  const at = (minutesAgo: number) => now - minutesAgo * MIN;
  const minute = (minutesAgo: number) => new Date(at(minutesAgo)).toISOString();

  beforeAll(async () => {
    s = await startTestServer();
    store = s.server.store as Store;
    const rec = (m: number, c: string, t: string, o: Outcome) => store.record(outcome(at(m), c, t, o));
    // line-01/cell-01, publisher "failing": fine 30 min ago, then only invalid from 20 min ago on,
    // with silent minutes between (they neither break nor extend the streak).
    rec(30, "failing", LINE("line-01", "cell-01"), "valid");
    rec(20, "failing", LINE("line-01", "cell-01"), "invalid");
    rec(12, "failing", LINE("line-01", "cell-01"), "invalid");
    rec(3, "failing", LINE("line-01", "cell-01"), "invalid");
    // line-01/cell-02, publisher "mixed": a minute with valid and invalid starts its streak.
    rec(8, "mixed", LINE("line-01", "cell-02"), "valid");
    rec(6, "mixed", LINE("line-01", "cell-02"), "valid");
    rec(6, "mixed", LINE("line-01", "cell-02"), "invalid");
    rec(2, "mixed", LINE("line-01", "cell-02"), "invalid");
    // line-02/cell-01, publisher "recovered": failed, then compliant again.
    rec(25, "recovered", LINE("line-02", "cell-01"), "invalid");
    rec(4, "recovered", LINE("line-02", "cell-01"), "valid");
    // line-03, publisher "good": never failed.
    rec(10, "good", LINE("line-03", "cell-01"), "valid");
    await store.flush();
  });
  afterAll(async () => {
    await s?.close();
  });

  const summary = async (q: string) => {
    const r = await s.api<{ rows: Row[] }>(`/api/v1/compliance/summary?${q}`);
    expect(r.status).toBe(200);
    return Object.fromEntries(r.body.rows.map((x) => [x.key, x.nonCompliantSince]));
  };

  it("gives each publisher the start of its current failing streak", async () => {
    const r = await s.api<{ rows: Pub[] }>("/api/v1/publishers?sort=messages");
    expect(r.status).toBe(200);
    const since = Object.fromEntries(r.body.rows.map((x) => [x.clientId, x.nonCompliantSince]));
    expect(since).toEqual({ failing: minute(20), mixed: minute(6), recovered: null, good: null });
  });

  it("gives each line and each cell the start of its streak (summary by level)", async () => {
    const base = "acme/plant-a/body-shop";
    expect(await summary("by=level&depth=4")).toEqual({
      [`${base}/line-01`]: minute(6), // its latest failing run: cell-02's valid+invalid minute ends it
      [`${base}/line-02`]: null,
      [`${base}/line-03`]: null,
    });
    expect(await summary("by=level&depth=5")).toEqual({
      [`${base}/line-01/cell-01`]: minute(20),
      [`${base}/line-01/cell-02`]: minute(6),
      [`${base}/line-02/cell-01`]: null,
      [`${base}/line-03/cell-01`]: null,
    });
    // A prefix deeper than the level keeps the row to that subtree.
    expect(await summary(`by=level&depth=4&topicPrefix=${base}/line-01/cell-01/`)).toEqual({
      [`${base}/line-01`]: minute(20),
    });
    // The channel holds every row: "recovered"'s valid minute 4 min ago ends its failing run.
    expect(await summary("by=channel")).toEqual({ weldSpot: minute(3) });
    expect(await summary("by=publisher")).toMatchObject({ failing: minute(20), recovered: null });
  });

  it("bounds the streak by the window", async () => {
    const from = minute(15);
    const r = await s.api<{ rows: Pub[] }>(`/api/v1/publishers?from=${from}`);
    expect(r.body.rows.find((x) => x.clientId === "failing")?.nonCompliantSince).toBe(minute(12));
  });

  it("fits the trend's window to the data with fit=true, in minute buckets", async () => {
    const plain = (await s.api<Series>("/api/v1/compliance/timeseries")).body;
    expect(plain).toMatchObject({ bucketSeconds: 1440, fitted: false });
    const r = await s.api<Series>("/api/v1/compliance/timeseries?fit=true");
    expect(r.status).toBe(200);
    expect(r.body.fitted).toBe(true);
    expect(r.body.bucketSeconds).toBe(60);
    // The first data is 30 min ago: the window starts a bucket or two before it, not 24 h ago.
    const start = Date.parse(r.body.from);
    expect(start).toBeLessThanOrEqual(at(30));
    expect(start).toBeGreaterThanOrEqual(at(33));
    expect(r.body.points.length).toBeGreaterThanOrEqual(30);
    expect(r.body.points.length).toBeLessThanOrEqual(34);
    // Data over more than half the window: unchanged.
    const hour = (await s.api<Series>(`/api/v1/compliance/timeseries?fit=true&from=${minute(40)}`)).body;
    expect(hour).toMatchObject({ from: minute(40), fitted: false });
    // An empty subtree: unchanged too.
    const none = (await s.api<Series>("/api/v1/compliance/timeseries?fit=true&topicPrefix=nothing/")).body;
    expect(none).toMatchObject({ fitted: false, bucketSeconds: 1440 });
  });

  // Last: it adds records the tests above would count.
  it("gives each topic the start of its own streak, without its subtopics, and exports it", async () => {
    const topic = LINE("line-04", "cell-01");
    const sub = `${topic}/extra`;
    // The topic: valid 10 min ago, invalid from 9 min ago. Its subtopic fails 10 min ago: a
    // prefix filter would see minute 10 as valid + invalid and start the topic's streak there.
    await store.record(outcome(at(10), "topical", topic, "valid"));
    await store.record(outcome(at(9), "topical", topic, "invalid"));
    await store.record(outcome(at(5), "topical", topic, "invalid"));
    await store.record(outcome(at(10), "topical", sub, "invalid"));
    await store.flush();
    const since = await summary("by=topic&topicPrefix=acme/plant-a/body-shop/line-0");
    expect(since[topic]).toBe(minute(9));
    expect(since[sub]).toBe(minute(10));
    expect(since[LINE("line-01", "cell-01")]).toBe(minute(20));
    expect(since[LINE("line-02", "cell-01")]).toBeNull();

    // The exports carry it too: compliance by topic and publishers, CSV and JSON.
    const csv = await s.request<string>("GET", "/api/v1/exports/compliance?by=topic", undefined, "viewer");
    const lines = String(csv.body).trimEnd().split("\r\n");
    expect(lines[0]).toBe("key,total,valid,invalid,unvalidated,ungoverned,complianceRate,nonCompliantSince");
    expect(lines.find((l) => l.startsWith(`${topic},`))).toMatch(new RegExp(`,${minute(9)}$`));
    expect(lines.find((l) => l.startsWith(`${LINE("line-03", "cell-01")},`))).toMatch(/,$/);
    const json = await s.request<{ key: string; nonCompliantSince: string | null }[]>(
      "GET",
      "/api/v1/exports/compliance?by=level&depth=5&format=json",
    );
    expect(json.body.find((r) => r.key === "acme/plant-a/body-shop/line-01/cell-01")?.nonCompliantSince).toBe(
      minute(20),
    );
    const pubs = await s.request<string>("GET", "/api/v1/exports/publishers");
    const header = String(pubs.body).split("\r\n")[0]!.split(",");
    expect(header.at(-1)).toBe("nonCompliantSince");
    expect(String(pubs.body)).toMatch(new RegExp(`\\r\\nfailing,.*,${minute(20)}\\r\\n`));
  });
});
