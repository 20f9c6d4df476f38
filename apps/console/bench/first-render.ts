/**
 * Time to first render of the Overview with 100,000 violations in the store, in a real browser.
 *
 * Run with `pnpm --filter @uns/console bench` after `pnpm build` (not part of `pnpm test`).
 *
 * 1. Starts the compiled server (embedded PGlite, the server's test fixtures), with an empty store.
 * 2. Baseline: loads the Overview in headless Chromium, cold (a new browser context each run), and
 *    measures from navigation start until the count tiles show the store's numbers.
 * 3. Fills the store the way a plant would: BENCH_VIOLATIONS invalid weld spots (default 100,000)
 *    and BENCH_VALID valid ones, published over MQTT by 8 publishers to 40 topics under an
 *    enforce subtree (so every message is validated, none is dropped as unvalidated), and waits
 *    until the store holds them all.
 * 4. Measures the Overview again, cold and warm, and prints the ratio to the baseline and the
 *    API calls the page made with their durations; then the Violations page (first 50 rows).
 */
import type { MqttClient } from "mqtt";
import type { Browser, Page } from "playwright-core";
import { afterAll, expect, it } from "vitest";
import { eventually, launchBrowser, type RunningServer, startServer, weldSpot } from "../test/harness";

const VIOLATIONS = Number(process.env.BENCH_VIOLATIONS ?? 100_000);
const VALID = Number(process.env.BENCH_VALID ?? 20_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const PUBLISHERS = 8;
const CELLS = 5;

interface Totals {
  valid: number;
  invalid: number;
  unvalidated: number;
  total: number;
}

let server: RunningServer | undefined;
let browser: Browser | undefined;

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
const fmt = (ms: number) => `${ms.toFixed(0)} ms`;

/** Kinds of bad weld spots, so that the store holds several error shapes as a plant would. */
function badSpot(i: number): Record<string, unknown> {
  const base = weldSpot({ spotId: `s-${i}`, curve: [1, 2, 3] });
  switch (i % 4) {
    case 0:
      return { ...base, currentKA: 45.5 };
    case 1:
      return { ...base, weldTimeMs: 0 };
    case 2:
      return { ...base, temperature: 21 };
    default:
      return { ...base, curve: [1, "x", 3] };
  }
}

async function publishAll(
  clients: MqttClient[],
  count: number,
  make: (i: number) => Record<string, unknown>,
) {
  await Promise.all(
    clients.map(async (c, p) => {
      const mine = Math.ceil(count / clients.length);
      for (let k = 0; k < mine; k++) {
        const i = p * mine + k;
        if (i >= count) break;
        const topic = `acme/plant-b/body-shop/line-${String(p + 1).padStart(2, "0")}/cell-${String((k % CELLS) + 1).padStart(2, "0")}/weld-spot`;
        const payload = JSON.stringify(make(i));
        // Every 500th message is QoS 1 and awaited: under the enforce policy its PUBACK comes
        // after validation, which paces each publisher to what the server can take.
        if (k % 500 === 499) await c.publishAsync(topic, payload, { qos: 1 });
        else c.publish(topic, payload, { qos: 0 });
      }
      await c.publishAsync("acme/plant-b/body-shop/line-01/state", JSON.stringify({ state: "running" }), {
        qos: 1,
      });
    }),
  );
}

type Target = "overview" | "violations";
type Render = { counts: number; settled: number; api: { url: string; ms: number }[] };

/**
 * Loads a page and returns ms from navigation start until its data is on screen: for the
 * Overview, the invalid tile shows `expected`; for Violations, the table has `expected` rows.
 */
async function render(page: Page, baseUrl: string, target: Target, expected: string): Promise<Render> {
  await page.goto(`${baseUrl}${target === "overview" ? "/" : "/violations"}`, { waitUntil: "commit" });
  const counts = (await (
    await page.waitForFunction(
      ([t, want]) => {
        if (t === "violations") {
          const rows = document.querySelectorAll("[data-testid=violations-table] tbody tr").length;
          return String(rows) === want ? performance.now() : false;
        }
        const el = document.querySelector("[data-testid=count-invalid]");
        return el && el.textContent === want ? performance.now() : false;
      },
      [target, expected] as const,
      { polling: "raf", timeout: 120_000 },
    )
  ).jsonValue()) as number;
  // The whole page: no section still loading (and, on the Overview, the chart drawn).
  const settled = (await (
    await page.waitForFunction(
      (t) =>
        document.querySelectorAll(".state-loading").length === 0 &&
        (t === "violations" || document.querySelector(".trend-canvas canvas"))
          ? performance.now()
          : false,
      target,
      { polling: "raf", timeout: 120_000 },
    )
  ).jsonValue()) as number;
  const api = await page.evaluate(() =>
    performance
      .getEntriesByType("resource")
      .filter((e) => e.name.includes("/api/v1/") && !e.name.includes("/stream"))
      .map((e) => {
        const u = new URL(e.name);
        const by = u.searchParams.get("by");
        return { url: u.pathname + (by ? ` by=${by}` : ""), ms: Math.round(e.duration) };
      }),
  );
  return { counts, settled, api };
}

async function measure(baseUrl: string, target: Target, expected: string, label: string) {
  const cold: { counts: number; settled: number }[] = [];
  let lastApi: { url: string; ms: number }[] = [];
  for (let r = 0; r < RUNS; r++) {
    const ctx = await browser!.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await ctx.newPage();
    const m = await render(page, baseUrl, target, expected);
    cold.push(m);
    lastApi = m.api;
    await ctx.close();
  }
  const warm: number[] = [];
  const ctx = await browser!.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  await render(page, baseUrl, target, expected);
  for (let r = 0; r < RUNS; r++) warm.push((await render(page, baseUrl, target, expected)).counts);
  await ctx.close();
  const result = {
    counts: median(cold.map((c) => c.counts)),
    settled: median(cold.map((c) => c.settled)),
    warm: median(warm),
    api: lastApi,
  };
  console.log(
    `${label}: data visible ${fmt(result.counts)} (cold, median of ${RUNS}; runs ${cold.map((c) => fmt(c.counts)).join(", ")}), ` +
      `whole page ${fmt(result.settled)}, warm reload ${fmt(result.warm)}`,
  );
  return result;
}

it(`renders the Overview with ${VIOLATIONS.toLocaleString("en-US")} violations in the store`, async () => {
  server = await startServer({ UNS_STORE_FLUSH_INTERVAL_MS: "250" });
  const s = server;
  browser = await launchBrowser();

  // One throwaway round first, so that the baseline does not pay for the server's cold start.
  await measure(s.httpUrl, "overview", "0", "warm-up (not counted)");
  const base = await measure(s.httpUrl, "overview", "0", "Overview, empty store (baseline)");

  const clients = await Promise.all(
    Array.from({ length: PUBLISHERS }, (_, p) =>
      s.connect("device", `robot-${String(p + 1).padStart(2, "0")}`),
    ),
  );
  const t0 = Date.now();
  await publishAll(clients, VIOLATIONS, badSpot);
  await publishAll(clients, VALID, (i) => weldSpot({ spotId: `ok-${i}`, curve: [1, 2, 3] }));
  const published = Date.now() - t0;
  const totals = await eventually(
    () => s.api<Totals>("/api/v1/compliance/totals?from=2000-01-01T00:00:00Z"),
    (t) => t.invalid >= VIOLATIONS && t.valid >= VALID,
    600_000,
  );
  const stored = Date.now() - t0;
  await eventually(
    () =>
      s.api<{ database: { pending: number } }>("/api/v1/health").catch(() => ({ database: { pending: 1 } })),
    (h) => h.database.pending === 0,
    120_000,
  );
  console.log(
    `filled: ${totals.invalid.toLocaleString("en-US")} invalid, ${totals.valid.toLocaleString("en-US")} valid, ${totals.unvalidated} unvalidated; ` +
      `published in ${(published / 1000).toFixed(1)} s, all in the store after ${(stored / 1000).toFixed(1)} s ` +
      `(${Math.round((totals.total / stored) * 1000).toLocaleString("en-US")} messages/s end to end)`,
  );
  expect(totals.unvalidated).toBe(0);

  const n = totals.invalid.toLocaleString("en-US");
  const full = await measure(s.httpUrl, "overview", n, `Overview, ${n} violations`);
  console.log(
    `ratio to the empty store: counts ${(full.counts / base.counts).toFixed(2)}x, whole page ${(full.settled / base.settled).toFixed(2)}x`,
  );
  console.log("API calls of the Overview (last cold run):");
  for (const a of full.api.sort((x, y) => y.ms - x.ms))
    console.log(`  ${String(a.ms).padStart(6)} ms  ${a.url}`);
  const list = await measure(s.httpUrl, "violations", "50", `Violations page, first 50 of ${n}`);
  console.log("API calls of the Violations page (last cold run):");
  for (const a of list.api.sort((x, y) => y.ms - x.ms))
    console.log(`  ${String(a.ms).padStart(6)} ms  ${a.url}`);
}, 1_800_000);
