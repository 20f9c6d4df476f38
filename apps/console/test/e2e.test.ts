/**
 * The console end to end: a real UNS server (compiled, as a child process), real MQTT publishes,
 * and Debian's headless Chromium driven by playwright-core. Each page is saved as a screenshot
 * in apps/console/test-results/screenshots/.
 */
import { encodeSparkplug, type SparkplugPayloadInput } from "@uns/sparkplug";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ConsoleFixture, eventually, openConsole, type RunningServer, weldSpot } from "./harness";

const MONITORED = "acme/plant-a/body-shop/line-01/cell-01/weld-spot"; // policy monitor
const ENFORCED = "acme/plant-b/body-shop/line-02/cell-03/weld-spot"; // policy enforce

interface Totals {
  valid: number;
  invalid: number;
  unvalidated: number;
  ungoverned: number;
  total: number;
}

let c: ConsoleFixture;
let server: RunningServer;
let context: BrowserContext;
let page: Page;

const shot = (name: string, p: Page = page) => c.shot(name, { page: p });
const publish = (topic: string, payload: unknown, clientId: string) =>
  c.publish(topic, payload, { clientId });

beforeAll(async () => {
  c = await openConsole({
    env: { UNS_CONSOLE_TIME_ZONE: "Europe/Berlin", UNS_SPARKPLUG_HOST_ID: "uns-host" },
    consoleErrors: true,
  });
  ({ server, context, page } = c);

  // One valid and one invalid weld spot where the policy is monitor, one invalid where it is
  // enforce (quarantined), from two publishers.
  await publish(MONITORED, weldSpot({ spotId: "ok-1" }), "robot-01");
  await publish(MONITORED, weldSpot({ spotId: "bad-1", currentKA: 45.5 }), "robot-01");
  await publish(ENFORCED, weldSpot({ spotId: "bad-2", curve: [1, 2, "x"] }), "robot-02");
  await eventually(
    () => server.api<Totals>("/api/v1/compliance/totals"),
    (t) => t.valid === 1 && t.invalid === 2,
  );
}, 120_000);

afterAll(async () => {
  await c?.close();
}, 300_000); // starts the server from its sources and Chromium, on a shared machine

describe("console against a running server", () => {
  it("shows the Overview counts that were published, times in the plant's zone", async () => {
    await page.goto("/");
    const count = (k: string) => page.getByTestId(`count-${k}`);
    await expect.poll(() => count("valid").textContent()).toBe("1");
    expect(await count("invalid").textContent()).toBe("2");
    expect(await count("unvalidated").textContent()).toBe("0");
    expect(await count("ungoverned").textContent()).toBe("0");
    expect(await count("total").textContent()).toBe("3");
    expect(await page.getByTestId("compliance-rate").textContent()).toBe("33.3 %");
    expect(await page.locator(".tz").textContent()).toContain("Europe/Berlin");
    // The breakdown by site names both plants.
    await page.locator("#by-level-h").waitFor();
    await expect
      .poll(() => page.locator("section[aria-labelledby='by-level-h'] tbody th > a").allTextContents())
      .toEqual(["acme/plant-b", "acme/plant-a"]);
    // Both plants have failed since their invalid message: each row says since when.
    expect(
      await page.locator("section[aria-labelledby='by-level-h'] [data-testid='non-compliant-since']").count(),
    ).toBeGreaterThan(0);
    await page.locator(".trend-canvas canvas").first().waitFor();
    await shot("overview");
  });

  it("finds the invalid message in Violations, opens it and highlights the failing field", async () => {
    await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Violations" }).click();
    const table = page.getByTestId("violations-table");
    await table.waitFor();
    const row = table.locator("tbody tr", { hasText: MONITORED });
    await expect.poll(() => row.count()).toBe(1);
    expect(await table.locator("tbody tr").count()).toBe(2);
    expect(await row.textContent()).toContain("/currentKA");
    await shot("violations");

    await row.getByRole("link").click();
    await page.waitForURL(/\/violations\/\d+$/);
    await page.getByRole("heading", { name: /^Violation \d+/ }).waitFor();
    // The error list names the path, the payload marks the field and its value.
    expect(await page.getByTestId("errors-table").textContent()).toContain("/currentKA");
    const marks = page.locator("figure.payload mark[data-path='/currentKA']");
    await expect.poll(() => marks.allTextContents()).toEqual(['"currentKA"', "45.5"]);
    expect(await page.locator("figure.payload .jl-hit").count()).toBe(1);
    expect(await page.locator("figure.payload .jl-hit").textContent()).toContain("45.5");
    // The schema part that failed: the currentKA subschema with its `maximum` marked.
    expect(await page.locator(".schema-part mark").allTextContents()).toEqual(['"maximum"', "30"]);
    expect(await page.getByText("Delivered to subscribers (policy monitor)").count()).toBe(1);
    await shot("violation-detail");
  });

  it("shows the enforced violation as quarantined, with an array element marked", async () => {
    await page.goto(`/violations?topic=${ENFORCED}`);
    await page.getByTestId("violations-table").locator("tbody tr").first().getByRole("link").click();
    await page.waitForURL(/\/violations\/\d+$/);
    await expect.poll(() => page.locator("figure.payload mark").allTextContents()).toEqual(['"x"']);
    expect(await page.getByText(/Quarantined: not delivered/).count()).toBe(1);
  });

  it("keeps a filter in the URL across a reload", async () => {
    await page.goto("/violations?range=1h&topic=acme/plant-b/&kind=schema");
    const rows = page.getByTestId("violations-table").locator("tbody tr");
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain(ENFORCED);

    await page.reload();
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain(ENFORCED);
    expect(new URL(page.url()).search).toBe("?range=1h&topic=acme/plant-b/&kind=schema");
    expect(await page.getByLabel("Window").inputValue()).toBe("1h");
    expect(await page.getByLabel("Topic subtree").inputValue()).toBe("acme/plant-b/");
    expect(await page.getByLabel("Kind").inputValue()).toBe("schema");
    await shot("violations-filtered");

    // A filter typed in the form lands in the URL, and the navigation carries it to other pages.
    await page.getByLabel("Topic subtree").fill("acme/plant-a/");
    await page.getByLabel("Topic subtree").press("Enter");
    await page.waitForURL((u) => u.search === "?range=1h&topic=acme/plant-a/&kind=schema");
    await expect.poll(async () => (await rows.first().textContent()) ?? "").toContain(MONITORED);
    await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Overview" }).click();
    await page.waitForURL((u) => u.pathname === "/" && u.search === "?range=1h&topic=acme/plant-a/");
    await expect.poll(() => page.getByTestId("count-total").textContent()).toBe("2");
  });

  it("lists the publishers, sortable", async () => {
    await page.goto("/publishers");
    const table = page.getByTestId("publishers-table");
    await expect.poll(() => table.locator("tbody tr").count()).toBe(2);
    await page.getByRole("button", { name: /Sort by invalid share/ }).click();
    await page.waitForURL(/sort=invalidShare/);
    await expect.poll(() => table.locator("tbody th").first().textContent()).toContain("robot-02");
    expect(await table.textContent()).toContain("weldSpot");
    await shot("publishers");
    // The subtree filter narrows the counts to plant-b, where only robot-02 published.
    await page.getByLabel("Topic subtree").fill("acme/plant-b/");
    await page.getByLabel("Topic subtree").press("Enter");
    await page.waitForURL(/topic=acme\/plant-b\//);
    await expect.poll(() => table.locator("tbody tr").count()).toBe(1);
    expect(await table.locator("tbody th").first().textContent()).toContain("robot-02");
  });

  it("shows the contracts with their schemas", async () => {
    await page.goto("/contracts");
    await page.locator("#channel-weldSpot").waitFor();
    expect(await page.locator("#channel-weldSpot table.outline").textContent()).toContain("currentKA");
    expect(await page.getByText(/^Every document loaded without errors/).count()).toBe(1);
    await shot("contracts");
  });

  it("browses and searches the topic tree, and shows a topic's last message", async () => {
    await page.goto("/topics");
    await page.getByRole("tree", { name: "Topic tree" }).waitFor();
    await page.getByLabel("Search topics").fill("cell-01");
    const leaf = page.locator(`[role=treeitem][data-path='${MONITORED}']`);
    await leaf.waitFor();
    await leaf.focus();
    await page.keyboard.press("Enter");
    await page.waitForURL(/node=/);
    const detail = page.locator(".tree-detail");
    await expect.poll(() => detail.textContent()).toContain("weldSpot");
    await expect.poll(() => detail.locator("figure").count()).toBe(1);
    expect(await detail.textContent()).toContain('"spotId"');
    await shot("topics");
  });

  it("adds new violations to the table live, and stops when paused", async () => {
    await page.goto("/violations");
    const rows = page.getByTestId("violations-table").locator("tbody tr");
    await expect.poll(() => rows.count()).toBe(2);
    await expect.poll(() => page.getByTestId("live-status").textContent()).toBe("Live");
    await publish(MONITORED, weldSpot({ spotId: "bad-3", weldTimeMs: 0 }), "robot-03");
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(3);
    expect(await rows.first().textContent()).toContain("robot-03");

    await page.getByRole("button", { name: "Pause live updates" }).click();
    expect(await page.getByTestId("live-status").textContent()).toBe("Paused");
    await publish(MONITORED, weldSpot({ spotId: "bad-4", weldTimeMs: 0 }), "robot-04");
    await eventually(
      () => server.api<Totals>("/api/v1/compliance/totals"),
      (t) => t.invalid === 4,
    );
    await page.waitForTimeout(1500);
    expect(await rows.count()).toBe(3);
    await page.getByRole("button", { name: "Resume live updates" }).click();
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(4);
  });

  it("fits a control-room wall screen", async () => {
    const wall = await context.newPage();
    await wall.setViewportSize({ width: 2560, height: 1440 });
    await wall.goto("/");
    await expect.poll(() => wall.getByTestId("count-invalid").textContent()).toBe("4");
    const size = await wall.evaluate(() =>
      Number.parseFloat(getComputedStyle(document.documentElement).fontSize),
    );
    expect(size).toBeGreaterThan(20);
    await shot("overview-wall", wall);
    await wall.close();
  });

  // Last but one: its Sparkplug messages add to the counts the tests above check.
  it("shows Sparkplug edge nodes and devices live: state, metrics, rebirths, rule violations, and why a node went down", async () => {
    // Group "Assembly" has no mirror rule in the fixtures' topics/sparkplug.yaml: no JSON mirror topics.
    const base = "spBv1.0/Assembly";
    const ts = Date.now();
    const bdSeq = { name: "bdSeq", type: "UInt64", value: 0, timestamp: ts };
    // An edge node as Sparkplug 3.0 wants it: NDEATH as the Will (QoS 1, not retained, same bdSeq).
    const edge = await server.connect("device", "press-01", {
      clean: true,
      will: {
        topic: `${base}/NDEATH/press-01`,
        payload: Buffer.from(encodeSparkplug({ timestamp: ts, metrics: [bdSeq] })),
        qos: 1,
        retain: false,
      },
    });
    const send = (type: string, payload: SparkplugPayloadInput, device?: string) =>
      edge.publishAsync(
        `${base}/${type}/press-01${device ? `/${device}` : ""}`,
        Buffer.from(encodeSparkplug(payload)),
        { qos: 0 },
      );
    const kN = { engUnit: { type: "String", value: "kN" } };
    await send("NBIRTH", {
      timestamp: ts,
      seq: 0,
      metrics: [
        bdSeq,
        { name: "Node Control/Rebirth", type: "Boolean", value: false, timestamp: ts },
        {
          name: "Press/Temperature",
          type: "Float",
          value: 41.5,
          timestamp: ts,
          properties: { engUnit: { type: "String", value: "degC" } },
        },
      ],
    });
    await send(
      "DBIRTH",
      {
        timestamp: ts,
        seq: 1,
        metrics: [
          { name: "Force", type: "Double", value: 0, timestamp: ts, properties: kN },
          { name: "Cycles", type: "Int32", value: 0, timestamp: ts },
        ],
      },
      "Ram1",
    );
    const data = (seq: number, force: number) =>
      send(
        "DDATA",
        {
          timestamp: Date.now(),
          seq,
          metrics: [
            { name: "Force", type: "Double", value: force, timestamp: Date.now() },
            { name: "Cycles", type: "Int32", value: seq, timestamp: Date.now() },
          ],
        },
        "Ram1",
      );
    await data(2, 812.25);

    await page.goto("/sparkplug");
    const nodeRow = page.locator("[data-testid=sparkplug-nodes] tr[data-node='Assembly/press-01']");
    await expect.poll(() => nodeRow.textContent()).toContain("online");
    expect(await page.getByTestId("nodes-online").textContent()).toBe("1 / 1");
    expect(await page.getByTestId("devices-online").textContent()).toBe("1 / 1");
    const node = page.getByTestId("sparkplug-node");
    expect(await node.getAttribute("data-node")).toBe("Assembly/press-01");
    expect(await page.getByTestId("node-state").textContent()).toMatch(/^online for \d+ s/);
    const value = (metric: string) => node.locator(`td[data-metric='${metric}']`).textContent();
    await expect.poll(() => value("Force")).toBe("812.25");
    expect(await value("Press/Temperature")).toBe("41.5");
    const ram = node.locator("[data-device='Ram1']");
    expect(await ram.textContent()).toContain("online");
    const forceRow = ram.locator("tr", { has: page.locator("td[data-metric='Force']") });
    expect(await forceRow.locator("td").allTextContents()).toEqual(
      expect.arrayContaining(["kN", "Double", "good"]),
    );
    // bdSeq and Node Control/* are protocol, not plant data.
    expect(await node.locator("td[data-metric='bdSeq']").count()).toBe(0);

    // Live: a new value shows without a reload (refetch every 2 s).
    await data(3, 900.5);
    await expect.poll(() => value("Force"), { timeout: 10_000 }).toBe("900.5");
    expect(await value("Cycles")).toBe("3");

    // A metric the DBIRTH did not declare: a rule violation with its conformance id, and a rebirth.
    await send(
      "DDATA",
      {
        timestamp: Date.now(),
        seq: 4,
        metrics: [{ name: "Undeclared", type: "Int32", value: 1, timestamp: Date.now() }],
      },
      "Ram1",
    );
    const violations = page.getByTestId("sparkplug-violations");
    await expect.poll(() => violations.locator("tbody tr").count(), { timeout: 10_000 }).toBe(1);
    const finding = (await violations.locator("tbody tr").first().textContent()) ?? "";
    expect(finding).toContain("metric-undeclared");
    expect(finding).toMatch(/tck-id-/);
    expect(finding).toContain(`${base}/DDATA/press-01/Ram1`);
    await expect.poll(() => page.getByTestId("sparkplug-violation-count").textContent()).toBe("1");
    await expect.poll(() => page.getByTestId("sparkplug-rebirths").textContent()).toContain("press-01");
    expect(await page.getByTestId("sparkplug-rebirths").textContent()).toContain("not declared");
    expect(await page.getByRole("link", { name: "All of them →" }).getAttribute("href")).toContain(
      "kind=sparkplug",
    );
    await shot("sparkplug");

    // The violation opens on the detail page, the rule as the error's keyword.
    await violations.locator("tbody tr").first().getByRole("link").click();
    await page.waitForURL(/\/violations\/\d+$/);
    await expect.poll(() => page.getByTestId("errors-table").textContent()).toContain("metric-undeclared");

    // The connection breaks: the broker delivers the Will, the node and its device go offline, and
    // the page says when and why.
    (edge as unknown as { stream: { destroy(): void } }).stream.destroy();
    await page.goto("/sparkplug");
    await expect.poll(() => nodeRow.textContent(), { timeout: 15_000 }).toContain("offline");
    expect(await page.getByTestId("node-state").textContent()).toMatch(
      /^offline for \d+ s.*(connection lost|session ended)/,
    );
    expect(await page.getByTestId("devices-online").textContent()).toBe("0 / 1");
    expect(await ram.textContent()).toContain("its edge node went offline");
    expect(await forceRow.textContent()).toContain("stale");
  });

  it("raised no error in the browser", () => {
    expect(c.errors).toEqual([]);
  });
});
