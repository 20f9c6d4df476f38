import type { Store } from "@uns/store";
import { nonCompliantSince } from "../clients/streak.js";

/**
 * "Non-compliant since" for the rows of a summary or the publishers table (issue 13, item 6): the
 * start of each failing row's current streak, from the store's per-minute counts over the window.
 * A streak older than the window starts, in the reply, at the window's first failing minute.
 */

/** Per-minute lookups are done for at most this many failing rows of one reply (worst first). */
export const MAX_STREAK_LOOKUPS = 50;
/** The store answers at most 10 000 buckets; the streak is looked for in the last this many minutes. */
const MAX_MINUTES = 9_990;

type Filter = { topicPrefix?: string; channel?: string; clientId?: string };

/**
 * Adds `nonCompliantSince` to each row: null when the row is compliant (no invalid message in the
 * window) or when `filterOf` gives no filter for it; else the start of its failing streak. Only the
 * `MAX_STREAK_LOOKUPS` rows with the most invalid messages are looked up (the others get null).
 */
export async function withStreaks<R extends { invalid: number }>(
  store: Store,
  window: { from: Date; to: Date },
  rows: R[],
  filterOf: (row: R) => Filter | null,
): Promise<(R & { nonCompliantSince: string | null })[]> {
  const to = window.to;
  const from = new Date(Math.max(window.from.getTime(), to.getTime() - MAX_MINUTES * 60_000));
  const failing = rows
    .map((r, i) => ({ r, i, f: r.invalid > 0 ? filterOf(r) : null }))
    .filter((x) => x.f !== null)
    .sort((a, b) => b.r.invalid - a.r.invalid)
    .slice(0, MAX_STREAK_LOOKUPS);
  const since = new Map<number, string | null>();
  await Promise.all(
    failing.map(async ({ i, f }) => {
      const points = await store.timeseries({ from, to, bucketSeconds: 60, ...f });
      since.set(i, nonCompliantSince(points));
    }),
  );
  return rows.map((r, i) => ({ ...r, nonCompliantSince: since.get(i) ?? null }));
}
