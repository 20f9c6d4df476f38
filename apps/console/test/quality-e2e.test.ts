/**
 * Quality and alerts end to end: the compiled server with the repository's contracts and topic
 * tree, the simulator's line traffic (lineState, lineCounts, alarm) over MQTT, hand-made weld
 * quality results and gate decisions from a processor, and Debian's Chromium. Screenshots go to
 * apps/console/test-results/screenshots/.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ConsoleFixture,
  eventually,
  openConsole,
  PASSWORD,
  type RunningServer,
  repoPlant,
} from "./harness";

const SIMULATOR = fileURLToPath(new URL("../../simulator/dist/main.js", import.meta.url));
const LINE = "acme/neckarsulm/body-shop/line-01";
const BODY = "NSU01-0099001";

let plant: Awaited<ReturnType<typeof repoPlant>>;
let c: ConsoleFixture;
let server: RunningServer;
let page: Page;
let simulator: ChildProcess | null = null;

/** Polls `ok`; on time-out fails with the API errors seen, and a screenshot. */
async function waitFor(ok: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > until) {
      await shot("quality-failure");
      throw new Error(`not reached in ${timeoutMs} ms; API errors: ${c.errors.join("; ") || "none"}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

const shot = (name: string) => c.shot(name);
const iso = () => new Date().toISOString();
const publish = (user: string, topic: string, payload: unknown) => c.publish(topic, payload, { user });

/** No table of the page shown cuts off a column at 1,440 px (issue 13, item 6); the tables seen. */
async function fitsWidth(name: string): Promise<number> {
  const r = await c.cutOff(name);
  console.log(`${name}: ${r.tables} table(s) checked at 1,440 px`);
  expect(r.problems, name).toEqual([]);
  return r.tables;
}

function alarm(state: "raised" | "cleared") {
  return {
    alarmId: "line-01-tip-dress-failed-000042",
    source: { cell: "cell-020", device: "cell-020-r01-g01" },
    severity: "error",
    code: "TIP-DRESS-FAILED",
    text: "Tip dresser did not cut: the caps of gun g01 were not dressed",
    state,
    raisedAt: iso(),
    clearedAt: state === "cleared" ? iso() : null,
    time: iso(),
  };
}

beforeAll(async () => {
  // "device" plays the plant simulator, which publishes for every line: the gateway role.
  plant = await repoPlant([
    ["device", "gateway"],
    ["viewer", "viewer"],
    ["admin", "admin"],
    ["processor", "processor"],
  ]);
  c = await openConsole({
    env: {
      ...plant.env,
      UNS_CONSOLE_TIME_ZONE: "Europe/Berlin",
      UNS_QUALITY_FLUSH_INTERVAL_MS: "500",
      UNS_ALERTS_EVALUATE_INTERVAL_MS: "200",
    },
    apiErrors: true,
  });
  ({ server, page } = c);
  // The simulator's line traffic: states, counts, alarms of the demonstration plant.
  simulator = spawn(
    process.execPath,
    [
      SIMULATOR,
      "--url",
      server.mqttUrl,
      "--username",
      "device",
      "--channels",
      "lineState,lineCounts",
      "--rate",
      "20",
      "--duration",
      "40",
      "--progress",
      "0",
    ],
    { env: { ...process.env, UNS_SIMULATOR_PASSWORD: PASSWORD }, stdio: "ignore" },
  );
}, 300_000);

afterAll(async () => {
  simulator?.kill("SIGTERM");
  await c?.close();
  plant?.remove();
});

describe("quality console", { timeout: 120_000 }, () => {
  it("shows the plant with the simulator's data and drills down to a line", async () => {
    type Oee = { groups: { path: string; produced: number }[] };
    await eventually(
      () => server.api<Oee>(`/api/v1/quality/oee?scope=acme&depth=4`),
      (r) => r.groups.filter((g) => g.produced > 0).length >= 2,
      60_000,
    );
    await page.goto("/plant?range=1h");
    await expect
      .poll(() => page.getByTestId("plant-card").count(), { timeout: 40_000 })
      .toBeGreaterThanOrEqual(1);
    expect(page.url()).toContain("scope=acme");
    await expect.poll(() => page.getByTestId("plant-total").textContent()).toMatch(/OEE/);
    await shot("quality-plant");
    await fitsWidth("plant");
    // Drill down: site neckarsulm, then its area, then line-01.
    await page.getByRole("button", { name: "neckarsulm ›" }).click();
    await page.getByRole("button", { name: "body-shop ›" }).click();
    await page.getByRole("button", { name: "Quality" }).click();
    expect(page.url()).toContain("show=quality");
    const line01 = page.getByTestId("plant-card").getByRole("link", { name: "line-01" });
    await expect.poll(() => line01.count(), { timeout: 20_000 }).toBe(1);
    expect(await page.getByTestId("plant-card").count()).toBeGreaterThanOrEqual(2);
    await shot("quality-plant-lines");
    await line01.click();
    await waitFor(async () => (await page.getByTestId("state-timeline").locator("span").count()) > 0);
    await shot("quality-line");
    await fitsWidth("line");
  });

  it("acknowledges, assigns and clears an alert, with its history", async () => {
    await publish("device", `${LINE}/alarms`, alarm("raised"));
    await page.goto("/alerts");
    const row = page.getByTestId("alerts-table").getByRole("button", { name: /Tip dresser did not cut/ });
    await row.click();
    await page.getByRole("button", { name: "Acknowledge" }).click();
    await waitFor(async () =>
      /ack by admin/.test((await page.getByTestId("alert-history").textContent()) ?? ""),
    );
    await page.getByLabel("Assign to").fill("jonas");
    await page.getByRole("button", { name: "Assign", exact: true }).click();
    await waitFor(async () => (await page.getByTestId("assignee").textContent()) === "jonas");
    await page.getByLabel("Comment").fill("caps changed, dresser blade replaced");
    await page.getByRole("button", { name: "Add comment" }).click();
    await waitFor(async () =>
      /blade replaced/.test((await page.getByTestId("alert-history").textContent()) ?? ""),
    );
    // The device clears its alarm: acknowledged already, so the alert is cleared.
    await publish("device", `${LINE}/alarms`, alarm("cleared"));
    await expect
      .poll(() => page.getByTestId("alert-history").textContent(), { timeout: 40_000 })
      .toMatch(/return by system/);
    const history = await page.getByTestId("alert-history").textContent();
    expect(history).toMatch(
      /raise by system.*ack by admin.*assign by admin.*comment by admin.*return by system.*cleared/s,
    );
    await shot("quality-alert");
    await fitsWidth("alerts");
  });

  it("traces a body from its gate decision to its spots", async () => {
    const cell = `${LINE}/cell-010`;
    for (let i = 0; i < 6; i++)
      await publish("processor", `${cell}/results/weld-quality`, {
        spot: {
          controller: "cell-010-r01-g01",
          seq: 9000 + i,
          bodyId: BODY,
          spotId: `S010-R01-${String(i).padStart(2, "0")}`,
        },
        predictedNuggetDiameter: i === 4 ? 3.2 : 5.6,
        anomalyScore: i === 4 ? 0.31 : 0.012,
        anomalyThreshold: 0.05,
        anomaly: i === 4,
        verdict: i === 4 ? "nok" : "ok",
        model: { name: "rsw-nugget-regression", version: "3.2.0" },
        time: iso(),
      });
    await publish("processor", `${cell}/results/check-gate`, {
      gate: "weld-quality",
      bodyId: BODY,
      decision: "correct",
      reason: "spot S010-R01-04 predicted 3.2 mm, below 4 mm",
      evidence: [{ kind: "weld-quality", ref: "S010-R01-04", value: 3.2, threshold: 4 }],
      decidedBy: { name: "check-gate-rules", version: "1.0.0" },
      time: iso(),
    });
    await page.goto(`/line?line=${encodeURIComponent(LINE)}&range=1h`);
    const link = page.getByTestId("gate-decisions").getByRole("link", { name: BODY });
    await expect.poll(() => link.count(), { timeout: 20_000 }).toBe(1);
    await link.click();
    await expect.poll(() => page.getByTestId("body-spots").locator("tbody tr").count()).toBe(6);
    expect(await page.getByTestId("body-gates").textContent()).toMatch(/weld-quality: correct/);
    await page.getByRole("link", { name: "S010-R01-04" }).click();
    expect(page.url()).toContain(`/body?id=${BODY}#ev-S010-R01-04`);
    await shot("quality-body");
    const tables = await fitsWidth("body");
    expect(tables).toBeGreaterThanOrEqual(1); // the spots
    // The line page again, with the gate decision in its table.
    await page.goto(`/line?line=${encodeURIComponent(LINE)}&range=1h`);
    await expect.poll(() => link.count(), { timeout: 20_000 }).toBe(1);
    // Shifts and cells (the results above): the tables of the shared DataTable.
    await expect.poll(() => page.locator("table").count(), { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    expect(await fitsWidth("line-gates")).toBeGreaterThanOrEqual(2);
    expect(c.errors).toEqual([]);
  });
});
