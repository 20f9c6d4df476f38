/**
 * Time views that tell the truth (issue 13, item 6), end to end in Chromium at 1,440 px against a
 * fresh server: the overview's trend is fitted to the few minutes of data (minute buckets), lines,
 * cells and publishers say since when they fail, and no table on any page cuts off a column.
 */
import { encodeSparkplug } from "@uns/sparkplug";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ConsoleFixture, eventually, openConsole, type RunningServer, weldSpot } from "./harness";

const CELL = "acme/plant-a/body-shop/line-01/cell-01/weld-spot";

let c: ConsoleFixture;
let server: RunningServer;
let page: Page;

beforeAll(async () => {
  c = await openConsole();
  ({ server, page } = c);
  // A long client id and topic, as real plants have: tables must still fit.
  const client = await server.connect("device", "robot-cell-01-spot-welding-gun-controller-0001");
  await client.publishAsync(CELL, JSON.stringify(weldSpot({ spotId: "ok-1" })), { qos: 1 });
  await client.publishAsync(CELL, JSON.stringify(weldSpot({ spotId: "bad-1", currentKA: 45.5 })), { qos: 1 });
  // Retained, so the retained page has a table to check too.
  await client.publishAsync(CELL, JSON.stringify(weldSpot({ spotId: "kept-1" })), { qos: 1, retain: true });
  // A Sparkplug edge node with a device, for the Sparkplug page's tables (node and metrics).
  const ts = Date.now();
  const edge = await server.connect("device", "press-01");
  const base = "spBv1.0/Assembly";
  const metric = (name: string, type: string, value: number | boolean) => ({
    name,
    type,
    value,
    timestamp: ts,
  });
  const birth = (topic: string, seq: number, metrics: ReturnType<typeof metric>[]) =>
    edge.publishAsync(topic, Buffer.from(encodeSparkplug({ timestamp: ts, seq, metrics })), { qos: 0 });
  await birth(`${base}/NBIRTH/press-01`, 0, [
    metric("bdSeq", "UInt64", 0),
    metric("Node Control/Rebirth", "Boolean", false),
    metric("Press/Hydraulics/Main Cylinder/Oil Temperature", "Float", 41.5),
  ]);
  await birth(`${base}/DBIRTH/press-01/Ram1`, 1, [metric("Force", "Double", 812.25)]);
  await eventually(
    () => server.api<{ invalid: number; valid: number }>("/api/v1/compliance/totals"),
    (t) => t.invalid >= 1 && t.valid >= 2, // the Sparkplug births count too
  );
}, 120_000);

afterAll(async () => {
  await c?.close();
}, 300_000);

describe("time views at 1,440 px", () => {
  it("fits the overview's trend to a fresh install's data, in minute buckets", async () => {
    await page.goto("/");
    const note = page.getByTestId("trend-fitted");
    await note.waitFor({ timeout: 20_000 });
    expect(await note.textContent()).toContain("1 min buckets");
    await c.shot("time-views-overview");
  });

  it("shows since when each cell, line and publisher fails", async () => {
    await page.goto("/publishers");
    const row = page.getByTestId("publishers-table").locator("tbody tr", { hasText: "robot-cell-01" });
    await row.getByTestId("non-compliant-since").waitFor({ timeout: 20_000 });
    await page.goto("/?depth=5");
    const cell = page.locator("section[aria-labelledby=by-level-h] tbody tr", { hasText: "cell-01" });
    await cell.getByTestId("non-compliant-since").waitFor({ timeout: 20_000 });
    await page.goto("/?depth=4");
    const line = page.locator("section[aria-labelledby=by-level-h] tbody tr", { hasText: "line-01" });
    await line.getByTestId("non-compliant-since").waitFor({ timeout: 20_000 });
  });

  it("cuts off no table column on any page", async () => {
    const { items } = await server.api<{ items: { id: string }[] }>("/api/v1/violations?limit=1");
    const pages = [
      "/",
      "/violations",
      `/violations/${items[0]!.id}`,
      "/publishers",
      "/contracts",
      "/topics",
      "/sparkplug",
      "/sparkplug?node=Assembly/press-01",
      "/clients",
      "/browser",
      `/browser?node=${CELL}`,
      `/topics?node=${CELL}`,
      "/retained",
      "/users",
      "/audit",
      "/plant",
      "/line",
      "/alerts",
      "/body",
      "/splatter",
      "/models",
    ];
    const problems: string[] = [];
    let tables = 0;
    const counts: string[] = [];
    for (const path of pages) {
      await page.goto(path);
      await page.waitForLoadState("networkidle").catch(() => {});
      // Data-driven tables render after their queries; give them a moment past network idle.
      await page.waitForTimeout(500);
      const name = path.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "") || "overview";
      const r = await c.cutOff(name);
      tables += r.tables;
      counts.push(`${path}=${r.tables}`);
      problems.push(...r.problems.map((x) => `${path}: ${x}`));
    }
    console.log(`tables checked: ${counts.join(" ")}`);
    expect(problems).toEqual([]);
    // The check ran over real tables (31 on this data: overview, violations, a violation, contracts, Sparkplug...).
    expect(tables).toBeGreaterThanOrEqual(25);
  }, 120_000);
});
