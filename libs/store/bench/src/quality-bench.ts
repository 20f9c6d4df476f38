/**
 * Benchmark (a script, not a test) of the quality queries on a year of per-minute KPIs for 20
 * lines, on PGlite and on a throwaway PostgreSQL: a line's 30-day OEE trend and the plant page
 * (OEE per line over the last 24 h, plus the total). Target: under 300 ms each.
 *
 *   pnpm build && node libs/store/bench/dist/quality-bench.js [--days 365] [--runs 15]
 *
 * Rows are generated in the database (generate_series), a month per statement; `--minute-days`
 * seeds per-minute rows only for the last days and hourly roll-up rows for the rest. The seeded PGlite
 * database is kept in data/bench/quality-pglite-<days>d and reused by later runs; PostgreSQL is
 * seeded each run. Medians of `runs` timed queries after two warm-up runs.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createDatabase, startPostgres } from "@uns/testkit";
import { sql } from "drizzle-orm";
// The queries themselves, not the store's public API: the bench times the SQL without the
// store's worker thread. Built beside the store (bench/), so it is not in the store's dist.
import { type Db, openDb } from "../../dist/db.js";
import { oeeBreakdown, oeeSeries } from "../../dist/quality-queries.js";
import { defaultMigrationsDir } from "../../dist/store.js";

const { values } = parseArgs({
  options: {
    days: { type: "string", default: "365" },
    runs: { type: "string", default: "15" },
    "minute-days": { type: "string", default: "365" },
    only: { type: "string" },
  },
});
const DAYS = Number(values.days);
/** Per-minute rows for the last this many days (seeding minutes is what takes time); hours for all. */
const MINUTE_DAYS = Math.min(DAYS, Number(values["minute-days"]));
const HOUR_MS = 3_600_000;
const RUNS = Number(values.runs);
const LINES = 20;
const END = Date.parse("2026-12-01T00:00:00Z");
const START = END - DAYS * 86_400_000;
const logger = {
  info: () => undefined,
  warn: () => undefined,
  error: (o: object, m: string) => console.error(m, o),
};

const lineName = (i: number) =>
  `acme/${i % 2 === 0 ? "neckarsulm" : "ingolstadt"}/body-shop/line-${String(i + 1).padStart(2, "0")}`;

async function seed(db: Db): Promise<number> {
  const lines = Array.from({ length: LINES }, (_, i) => lineName(i));
  const started = performance.now();
  const chunk = 30 * 86_400_000;
  const minuteStart = END - MINUTE_DAYS * 86_400_000;
  for (let t = minuteStart; t < END; t += chunk) {
    const to = Math.min(END, t + chunk);
    // Deterministic mix per minute: mostly running, some stops, a planned stop an hour a day.
    await db.rows(sql`
      insert into kpi_line_minutes (line, minute, shift, running_ms, stopped_ms, starved_ms, blocked_ms,
        planned_stop_ms, unknown_ms, produced, good, bad, ideal_ms, counter_resets)
      select l, m, '', r, 60000 - r - p, 0, 0, p, 0, sign(r), sign(r) * (1 - g), sign(r) * g, sign(r) * 54000, 0
      from (
        select l, m, p, case when p > 0 or (e + i) % 17 = 0 then 0 else 60000 end as r,
          case when (e + 3 * i) % 29 = 0 then 1 else 0 end as g
        from (
          select l, i, m, (extract(epoch from m)::bigint / 60) as e,
            case when extract(hour from m) = 3 then 60000 else 0 end as p
          from unnest(string_to_array(${lines.join(",")}, ',')) with ordinality as u(l, i),
            generate_series(${new Date(t).toISOString()}::timestamptz, ${new Date(to - 60_000).toISOString()}::timestamptz, interval '1 minute') as m
        ) a
      ) b`);
    process.stdout.write(".");
  }
  // The hourly roll-up, as the write path maintains it (same statement, over everything).
  await db.rows(sql`
    insert into kpi_line_hours (line, hour, running_ms, stopped_ms, starved_ms, blocked_ms, planned_stop_ms,
      unknown_ms, produced, good, bad, ideal_ms, counter_resets)
    select line, date_trunc('hour', minute), sum(running_ms), sum(stopped_ms), sum(starved_ms), sum(blocked_ms),
      sum(planned_stop_ms), sum(unknown_ms), sum(produced), sum(good), sum(bad), sum(ideal_ms), sum(counter_resets)
    from kpi_line_minutes group by 1, 2`);
  // Older hours directly (the same mix per hour), when minutes were seeded for less than the period.
  if (minuteStart > START)
    await db.rows(sql`
      insert into kpi_line_hours (line, hour, running_ms, stopped_ms, starved_ms, blocked_ms, planned_stop_ms,
        unknown_ms, produced, good, bad, ideal_ms, counter_resets)
      select l, h, r, 3600000 - r - p, 0, 0, p, 0, r / 60000, r / 60000 - r / 1740000, r / 1740000, r / 60000 * 54000, 0
      from (
        select l, h, case when extract(hour from h) = 3 then 3600000 else 0 end as p,
          case when extract(hour from h) = 3 then 0 else 3600000 - 240000 end as r
        from unnest(string_to_array(${lines.join(",")}, ',')) as l,
          generate_series(${new Date(START).toISOString()}::timestamptz, ${new Date(minuteStart - HOUR_MS).toISOString()}::timestamptz, interval '1 hour') as h
      ) a`);
  await db.rows(sql`analyze kpi_line_minutes`);
  await db.rows(sql`analyze kpi_line_hours`);
  process.stdout.write("\n");
  return performance.now() - started;
}

async function time(fn: () => Promise<unknown>): Promise<{ median: number; min: number; max: number }> {
  for (let i = 0; i < 2; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)]!, min: ms[0]!, max: ms[ms.length - 1]! };
}

async function measure(name: string, db: Db, seeded: boolean) {
  const count = Number(
    (await db.rows<{ n: number }>(sql`select count(*)::float8 as n from kpi_line_minutes`))[0]!.n,
  );
  const hours = Number(
    (await db.rows<{ n: number }>(sql`select count(*)::float8 as n from kpi_line_hours`))[0]!.n,
  );
  const day = { from: new Date(END - 86_400_000), to: new Date(END) };
  const month = { from: new Date(END - 30 * 86_400_000), to: new Date(END) };
  const trend = await time(() => oeeSeries(db, { scope: lineName(3), bucketSeconds: 3600, ...month }));
  const plant = await time(() =>
    Promise.all([
      oeeBreakdown(db, { scope: "acme", depth: 4, ...day }),
      oeeBreakdown(db, { scope: "acme", depth: 1, ...day }),
    ]),
  );
  const sitesMonth = await time(() => oeeBreakdown(db, { scope: "acme", depth: 2, ...month }));
  const f = (x: { median: number; min: number; max: number }) =>
    `${x.median.toFixed(1)} ms (min ${x.min.toFixed(1)}, max ${x.max.toFixed(1)})`;
  console.log(
    `${name}: ${count.toLocaleString("en")} minute rows, ${hours.toLocaleString("en")} hour rows${seeded ? "" : " (reused)"}`,
  );
  console.log(`  30-day OEE trend of one line (hourly buckets): ${f(trend)}`);
  console.log(`  plant page (24 h, per line + total):          ${f(plant)}`);
  console.log(`  sites over 30 days:                             ${f(sitesMonth)}`);
}

async function main() {
  console.log(
    `${DAYS} days x ${LINES} lines; per-minute rows for the last ${MINUTE_DAYS} days (${(MINUTE_DAYS * 1440 * LINES).toLocaleString("en")}), hourly roll-up rows for all ${DAYS}; ${RUNS} runs`,
  );
  if (values.only !== "pg") {
    const dir = join(process.cwd(), "data", "bench", `quality-pglite-${DAYS}d-${MINUTE_DAYS}m`);
    const fresh = !existsSync(join(dir, "PG_VERSION"));
    const db = await openDb({ pgliteDir: dir, poolSize: 1, logger });
    await db.migrate(defaultMigrationsDir);
    if (fresh) console.log(`PGlite seeded in ${((await seed(db)) / 1000).toFixed(1)} s`);
    await measure("PGlite", db, fresh);
    await db.close();
  }
  if (values.only !== "pglite") {
    const pg = await startPostgres({ settings: { shared_buffers: "256MB", max_wal_size: "4GB" } });
    try {
      const database = await createDatabase(pg.url, "bench");
      const db = await openDb({ databaseUrl: database.url, pgliteDir: "", poolSize: 2, logger });
      await db.migrate(defaultMigrationsDir);
      console.log(`PostgreSQL seeded in ${((await seed(db)) / 1000).toFixed(1)} s`);
      await measure("PostgreSQL", db, true);
      await db.close();
    } finally {
      await pg.destroy();
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
