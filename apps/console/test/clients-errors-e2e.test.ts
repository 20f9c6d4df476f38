/**
 * The console as an MQTT workbench, end to end in real Chromium against the real server and real
 * MQTT.js clients: the Clients page (a client appears on connect, its disconnect reason and Will
 * show, an admin disconnects one), "why it failed" (expected and sent in the error row, an array
 * error collapsed, "show in payload" brings the failing value into view, a not-JSON payload's
 * position marked) and a CSV export of the filtered violations. Screenshots of each page go to
 * apps/console/test-results/screenshots/clients-errors-*.png.
 */
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ConsoleFixture, eventually, openConsole, type RunningServer, weldSpot } from "./harness";

const CELL1 = "acme/plant-a/body-shop/line-01/cell-01/weld-spot";
const CELL2 = "acme/plant-a/body-shop/line-01/cell-02/weld-spot";

let c: ConsoleFixture;
let server: RunningServer;
let page: Page;

const shot = (name: string, fullPage = true) => c.shot(name, { fullPage });
const publish = (topic: string, payload: string, clientId: string) => c.publish(topic, payload, { clientId });

async function violationOf(clientId: string): Promise<string> {
  const page = await eventually(
    () => server.api<{ items: { id: string }[] }>(`/api/v1/violations?clientId=${clientId}&limit=5`),
    (p) => p.items.length > 0,
  );
  return page.items[0]!.id;
}

beforeAll(async () => {
  c = await openConsole({
    env: { UNS_CONSOLE_TIME_ZONE: "Europe/Berlin" },
    context: { acceptDownloads: true },
    shotPrefix: "clients-errors-",
    acceptDialogs: true,
  });
  ({ server, page } = c);
}, 180_000);

afterAll(async () => {
  await c?.close();
}, 120_000);

describe("Clients page", () => {
  it("shows a client on connect and the reason when it goes, Will included", async () => {
    await page.goto("/clients");
    await expect
      .poll(() => page.getByRole("heading", { level: 1 }).textContent(), { timeout: 10_000 })
      .toBe("Clients");
    const press = await server.connect("device", "press-e2e-1", {
      keepalive: 20,
      will: {
        topic: "acme/plant-a/body-shop/line-01/cell-01/state",
        payload: Buffer.from("x"),
        qos: 0,
        retain: false,
      },
    });
    await press.subscribeAsync("acme/plant-a/body-shop/line-01/cell-01/commands/#");
    const row = page.locator('[data-testid="clients-table"] tr[data-client="press-e2e-1"]');
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toMatch(/press-e2e-1.*device/);
    expect(await row.textContent()).toContain("keep-alive 20 s");
    await shot("clients");

    // The socket dies without DISCONNECT: the Will goes out, and the history says both.
    (press as unknown as { stream: { destroy(): void } }).stream.destroy();
    const history = page.getByTestId("client-history");
    await expect
      .poll(() => history.locator("tr", { hasText: "press-e2e-1" }).first().textContent(), {
        timeout: 10_000,
      })
      .toMatch(/connection lost.*Will sent to acme\/plant-a\/body-shop\/line-01\/cell-01\/state/);
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(0);

    const clean = await server.connect("device", "press-e2e-2");
    await expect
      .poll(() => page.locator('tr[data-client="press-e2e-2"]').count(), { timeout: 10_000 })
      .toBe(1);
    await clean.endAsync();
    await expect
      .poll(() => history.locator("tr", { hasText: "press-e2e-2" }).first().textContent(), {
        timeout: 10_000,
      })
      .toMatch(/clean \(the client sent DISCONNECT\)/);
  });

  it("lets an admin disconnect a client, and says who did", async () => {
    await server.connect("device", "press-e2e-3");
    await page.goto("/clients?q=press-e2e-3");
    await page.getByRole("button", { name: "Disconnect press-e2e-3" }).click();
    await expect
      .poll(() =>
        page.getByTestId("client-history").locator("tr", { hasText: "press-e2e-3" }).first().textContent(),
      )
      .toMatch(/disconnected by an admin \(admin\)/);
    await shot("clients-history");
  });
});

describe("why it failed", () => {
  it("reads an error row with what was expected and what was sent", async () => {
    await publish(CELL1, JSON.stringify(weldSpot({ currentKA: 45.5 })), "robot-why-1");
    await page.goto(`/violations/${await violationOf("robot-why-1")}`);
    const table = page.getByTestId("errors-table");
    await expect.poll(() => table.textContent(), { timeout: 10_000 }).toContain("/currentKA");
    const row = table.locator("tbody tr").first();
    expect(await row.locator("td").nth(2).textContent()).toBe("at most 30");
    expect(await row.locator("td").nth(3).textContent()).toBe("45.5");
    await shot("violation-expected-sent");
  });

  it("collapses an array error into one row and shows the failing value in the payload", async () => {
    // 400 long numbers, packed 10 to a line (wider than the payload box without wrapping); the
    // last 30 are null: one row, far down the payload, at the end of long lines.
    const curve: (number | null)[] = Array.from({ length: 400 }, (_, i) => 1000 + i + Math.sin(i) / 7);
    for (let i = 370; i < 400; i++) curve[i] = null;
    await publish(CELL2, JSON.stringify({ ...weldSpot(), curve }), "robot-why-2");
    await page.goto(`/violations/${await violationOf("robot-why-2")}`);
    const rows = page.getByTestId("errors-table").locator("tbody tr");
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(1);
    expect(await rows.first().textContent()).toContain("/curve/370-399");
    expect(await rows.first().textContent()).toContain("30 values of type null");

    await page.getByRole("link", { name: "Show error 1 in the payload" }).click();
    const target = page.locator("#payload-err-1");
    expect(await target.getAttribute("data-path")).toBe("/curve/370");
    // In the window's viewport, and inside the payload's own scroll box.
    await expect
      .poll(async () => {
        const box = await target.boundingBox();
        const pre = await page.locator(".payload pre").boundingBox();
        const vp = page.viewportSize()!;
        return (
          box !== null &&
          pre !== null &&
          box.y >= 0 &&
          box.y + box.height <= vp.height &&
          box.x >= 0 &&
          box.x + box.width <= vp.width &&
          box.y >= pre.y &&
          box.y + box.height <= pre.y + pre.height &&
          box.x + box.width <= pre.x + pre.width
        );
      })
      .toBe(true);
    // Long arrays wrap: the payload box does not scroll sideways.
    const sideways = await page.locator(".payload pre").evaluate((el) => el.scrollWidth - el.clientWidth);
    expect(sideways).toBeLessThanOrEqual(1);
    // What the user sees after "show in payload": the viewport, not the whole page.
    await shot("violation-array-collapsed", false);
  });

  it("marks where a not-JSON payload stops being JSON", async () => {
    await publish(CELL1, '{"spotId": "s-1", "currentKA": 9.5,, "x": 1}', "robot-why-3");
    await page.goto(`/violations/${await violationOf("robot-why-3")}`);
    const mark = page.locator('[data-testid="raw-payload"] mark');
    await expect.poll(() => mark.textContent(), { timeout: 10_000 }).toBe(",");
    expect(await page.getByTestId("errors-table").textContent()).toMatch(/stops being JSON at byte 35/);
    await shot("violation-not-json");
  });
});

describe("exports", () => {
  it("downloads the filtered violations as CSV", async () => {
    for (let i = 0; i < 3; i++)
      await publish(CELL1, JSON.stringify(weldSpot({ currentKA: 31 + i })), "robot-export-1");
    await publish(CELL1, JSON.stringify(weldSpot({ currentKA: 60 })), "robot-export-2");
    await eventually(
      () => server.api<{ items: unknown[] }>("/api/v1/violations?clientId=robot-export-1"),
      (p) => p.items.length === 3,
    );
    await page.goto("/violations?client=robot-export-1");
    await expect
      .poll(() => page.getByTestId("violations-table").locator("tbody tr").count(), { timeout: 10_000 })
      .toBe(3);
    await shot("violations-export");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByTestId("export-violations-csv").click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^uns-violations-.*\.csv$/);
    const csv = readFileSync((await download.path())!, "utf8")
      .trimEnd()
      .split("\r\n");
    expect(csv[0]).toMatch(/^id,time,clientId,/);
    expect(csv).toHaveLength(4);
    expect(csv.slice(1).every((l) => l.split(",")[2] === "robot-export-1")).toBe(true);
  });

  it("raised no page errors", () => {
    expect(c.errors).toEqual([]);
  });
});
