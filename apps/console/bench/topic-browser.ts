/**
 * The live topic browser with 50,000 topics, in headless Chromium against the real server.
 *
 *   pnpm build && node --conditions=source --import tsx apps/console/bench/topic-browser.ts
 *   (or: pnpm --filter @uns/console bench:browser)
 *
 * 1. Starts the server from its sources (harness.ts) and lets the tree allow topics outside it
 *    (`outside: allow`), so that the bench's topics are delivered without a contract.
 * 2. Baseline: BASE topics (default 500) published over MQTT; the page opened without a filter
 *    and timed from navigation start until the tree's first rows are painted ("first paint");
 *    then with the filter `bench` (every node open: the worst case for the tree) until the tree
 *    holds every row; then three filters typed and timed until the rows follow.
 * 3. The same with TOPICS topics in all (default 50,000), and the ratio to the baseline.
 * 4. Before / after in the same run, inside the page: fetching and parsing the full rows of
 *    GET /browser/topics (what the console loaded before) against the columns of GET /browser/tree
 *    (what it loads now), with the bytes on the wire and decoded.
 * Each figure is the median of RUNS runs (default 3). Bounded: gives up after 4 minutes.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { basicAuth, eventually, launchBrowser, logInContext, startServer } from "../test/harness";

const TOPICS = Number(process.env.BENCH_TOPICS ?? 50_000);
const BASE = Number(process.env.BENCH_BASE ?? 500);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const FILTERS = ["sensor-7", "cell-42/", "no-such-topic"];

const guard = setTimeout(() => {
  console.error("benchmark took longer than 4 minutes; stopped");
  process.exit(2);
}, 240_000);

/** 10 areas x 10 lines x N cells x 10 sensors: a plant-like tree. */
function topicAt(i: number): string {
  const sensor = i % 10;
  const cell = Math.floor(i / 10) % 50;
  const line = Math.floor(i / 500) % 10;
  const area = Math.floor(i / 5000);
  return `bench/area-${area}/line-${line}/cell-${cell}/sensor-${sensor}`;
}

/** Rows the tree shows for a filter: every matching topic and each of its ancestors, once. */
function expectedRows(topics: string[], filter: string): number {
  const keep = new Set<string>();
  for (const t of topics) {
    if (!t.includes(filter)) continue;
    const parts = t.split("/");
    for (let i = 1; i <= parts.length; i++) keep.add(parts.slice(0, i).join("/"));
  }
  return keep.size;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** When the tree holds `n` rows (or, with `atLeast`, any number from `n` up). */
async function waitRows(page: Page, n: number, atLeast = false): Promise<number> {
  const h = await page.waitForFunction(
    ([want, min]) => {
      const el = document.querySelector<HTMLElement>("[data-testid=live-tree]");
      const rows = el ? Number(el.dataset.rows) : document.querySelector("[data-testid=row-count]") ? 0 : -1;
      return (min ? rows >= want : rows === want) ? performance.now() : false;
    },
    [n, atLeast] as const,
    { polling: "raf", timeout: 60_000 },
  );
  return (await h.jsonValue()) as number;
}

/** The tree's list fetch of the page: its time and bytes (on the wire, decoded). */
async function treeFetch(page: Page) {
  return page.evaluate(() => {
    const e = performance.getEntriesByType("resource").find((r) => r.name.includes("/api/v1/browser/tree")) as
      | PerformanceResourceTiming
      | undefined;
    return e
      ? { start: e.startTime, end: e.responseEnd, wire: e.encodedBodySize, decoded: e.decodedBodySize }
      : null;
  });
}

/** Fetches and parses one list reply inside the page: ms and bytes (on the wire, decoded). */
async function fetchInPage(page: Page, path: string) {
  return page.evaluate(async (url) => {
    performance.clearResourceTimings();
    const t0 = performance.now();
    const body = await (await fetch(url)).json();
    const ms = performance.now() - t0;
    const e = performance.getEntriesByType("resource").find((r) => r.name.includes(url)) as
      | PerformanceResourceTiming
      | undefined;
    return { ms, wire: e?.encodedBodySize ?? 0, decoded: e?.decodedBodySize ?? 0, n: body.topics.length };
  }, path);
}

async function measure(page: Page, topics: string[]) {
  const paint: number[] = [];
  const load: number[] = [];
  const fetchMs: number[] = [];
  const afterData: number[] = [];
  const filter: Record<string, number[]> = Object.fromEntries(FILTERS.map((f) => [f, []]));
  const all = expectedRows(topics, "bench");
  let wire = 0;
  let decoded = 0;
  for (let run = 0; run < RUNS; run++) {
    // First paint: the tree as a user opens it, nothing expanded.
    await page.goto("about:blank");
    await page.goto("/browser");
    paint.push(await waitRows(page, 1, true));
    await page.goto("about:blank");
    await page.goto("/browser?q=bench");
    const at = await waitRows(page, all);
    const fetched = await treeFetch(page);
    load.push(at);
    if (fetched) {
      fetchMs.push(fetched.end - fetched.start);
      afterData.push(at - fetched.end);
      wire = fetched.wire;
      decoded = fetched.decoded;
    }
    const input = page.getByTestId("topic-filter");
    for (const f of FILTERS) {
      const t0 = await page.evaluate(() => performance.now());
      await input.fill(f);
      const t1 = await waitRows(page, expectedRows(topics, f));
      filter[f]!.push(t1 - t0);
    }
    await input.fill("bench");
    await waitRows(page, all);
  }
  const before: { ms: number; wire: number; decoded: number }[] = [];
  const after: { ms: number; wire: number; decoded: number }[] = [];
  for (let run = 0; run < RUNS; run++) {
    before.push(await fetchInPage(page, "/api/v1/browser/topics"));
    after.push(await fetchInPage(page, "/api/v1/browser/tree"));
  }
  const mid = (xs: { ms: number; wire: number; decoded: number }[]) => ({
    ms: median(xs.map((x) => x.ms)),
    wire: xs[0]?.wire ?? 0,
    decoded: xs[0]?.decoded ?? 0,
  });
  return {
    rows: all,
    paint: median(paint),
    wire,
    decoded,
    before: mid(before),
    after: mid(after),
    load: median(load),
    fetch: median(fetchMs),
    render: median(afterData),
    filters: Object.fromEntries(FILTERS.map((f) => [f, median(filter[f]!)])),
  };
}

async function publishTopics(server: Awaited<ReturnType<typeof startServer>>, from: number, to: number) {
  const c = await server.connect("admin", `bench-${from}`);
  for (let i = from; i < to; i++) {
    c.publish(topicAt(i), JSON.stringify({ v: i / 10 }), { qos: 0 });
    if (i % 2000 === 1999) await new Promise((r) => setImmediate(r));
  }
  await c.publishAsync(topicAt(from), JSON.stringify({ v: -1 }), { qos: 1 }); // in order: all sent before
  await c.endAsync();
  await eventually(
    () => server.api<{ total: number }>("/api/v1/browser/topics?limit=1"),
    (r) => r.total >= to,
    120_000,
  );
}

const server = await startServer({ UNS_WORKERS_SIZE: "1", UNS_MQTT_PERSISTENCE: "memory" });
const browser = await launchBrowser();
try {
  const tree = join(server.dir, "topics", "tree.yaml");
  writeFileSync(tree, readFileSync(tree, "utf8").replace("outside: deny", "outside: allow"));
  // The tree reloads on its own (file watch): wait until an outside topic is delivered.
  const probe = await server.connect("admin", "bench-probe");
  await eventually(
    async () => {
      await probe.publishAsync("bench/probe", "1", { qos: 1 });
      return server.api<{ topics: { topic: string }[] }>("/api/v1/browser/topics?prefix=bench/probe");
    },
    (r) => r.topics.length > 0,
    60_000,
  );
  await probe.endAsync();

  const context = await browser.newContext({
    viewport: { width: 1440, height: 1000 },
    baseURL: server.httpUrl,
  });
  await logInContext(context, "admin");
  const page = await context.newPage();

  const names = (n: number) => ["bench/probe", ...Array.from({ length: n }, (_, i) => topicAt(i))];
  const t0 = Date.now();
  await publishTopics(server, 0, BASE);
  const base = await measure(page, names(BASE));
  await publishTopics(server, BASE, TOPICS);
  const published = Date.now() - t0;
  const big = await measure(page, names(TOPICS));
  // The list's reply alone, from Node (no browser): server time plus transfer.
  const api: number[] = [];
  let bytes = 0;
  for (let i = 0; i < RUNS; i++) {
    const a = performance.now();
    const res = await fetch(`${server.httpUrl}/api/v1/browser/topics`, {
      headers: { authorization: basicAuth("admin") },
    });
    bytes = (await res.arrayBuffer()).byteLength;
    api.push(performance.now() - a);
  }

  const ms = (v: number) => `${v.toFixed(0)} ms`;
  const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;
  const ratio = (a: number, b: number) => `${(a / Math.max(b, 1)).toFixed(1)}x`;
  console.log(
    `\nLive topic browser, headless Chromium, medians of ${RUNS} runs (${TOPICS} topics published in ${ms(published)})`,
  );
  console.log(`| | ${BASE + 1} topics (baseline) | ${TOPICS + 1} topics | ratio |`);
  console.log("|---|---|---|---|");
  console.log(`| tree rows with every node open | ${base.rows} | ${big.rows} | |`);
  console.log(
    `| first paint of the tree (page opened, nothing expanded) | ${ms(base.paint)} | ${ms(big.paint)} | ${ratio(big.paint, base.paint)} |`,
  );
  console.log(
    `| open the page until every row is in the tree | ${ms(base.load)} | ${ms(big.load)} | ${ratio(big.load, base.load)} |`,
  );
  console.log(
    `|   of which the list's HTTP fetch | ${ms(base.fetch)} | ${ms(big.fetch)} | ${ratio(big.fetch, base.fetch)} |`,
  );
  console.log(
    `|   of which render after the data | ${ms(base.render)} | ${ms(big.render)} | ${ratio(big.render, base.render)} |`,
  );
  for (const f of FILTERS)
    console.log(
      `| filter "${f}" until the rows follow | ${ms(base.filters[f]!)} | ${ms(big.filters[f]!)} | ${ratio(big.filters[f]!, base.filters[f]!)} |`,
    );
  console.log(
    `|   the list's size on the wire / decoded | ${mb(base.wire)} / ${mb(base.decoded)} | ${mb(big.wire)} / ${mb(big.decoded)} | |`,
  );
  console.log(
    `| the full rows (GET /browser/topics, gzip off) fetched from Node | | ${ms(median(api))} (${mb(bytes)}) | |`,
  );
  console.log(`\nBefore / after, fetched and parsed in the page (medians of ${RUNS}):`);
  console.log("| | list | ms | on the wire | decoded |");
  console.log("|---|---|---|---|---|");
  for (const [label, r] of [
    [`${BASE + 1} topics`, base],
    [`${TOPICS + 1} topics`, big],
  ] as const) {
    console.log(
      `| ${label} | before: full rows, /browser/topics | ${ms(r.before.ms)} | ${mb(r.before.wire)} | ${mb(r.before.decoded)} |`,
    );
    console.log(
      `| ${label} | after: columns, /browser/tree | ${ms(r.after.ms)} | ${mb(r.after.wire)} | ${mb(r.after.decoded)} | ${ratio(r.before.ms, r.after.ms)} faster`,
    );
  }
  console.log(`DOM rows at any time: at most a screenful plus overscan (virtualised)`);
  await context.close();
} finally {
  await browser.close();
  await server.stop();
  clearTimeout(guard);
}
