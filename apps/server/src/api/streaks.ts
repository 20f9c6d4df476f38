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

type Filter = { topicPrefix?: string; topic?: string; channel?: string; clientId?: string };

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

/** What a summary row's streak is counted over: the row's own messages, within the asked filters. */
export function summaryStreakFilter(
  by: "channel" | "topic" | "publisher" | "level",
  topicPrefix: string | undefined,
  channel: string | undefined,
): (row: { key: string | null }) => Filter | null {
  return (r) => {
    if (by === "publisher") return r.key === null ? null : { clientId: r.key, topicPrefix, channel };
    // A channel of null is the messages without one (stored as "").
    if (by === "channel") return { channel: r.key ?? "", topicPrefix };
    if (by === "level") {
      if (r.key === null) return null;
      // The row's subtree, or the asked one when it is deeper (depth shallower than the prefix).
      const own = `${r.key}/`;
      return { topicPrefix: topicPrefix?.startsWith(own) ? topicPrefix : own, channel };
    }
    // by=topic: exactly the topic, not a prefix that would mix in its subtopics.
    return r.key === null ? null : { topic: r.key, channel };
  };
}

/** A publisher row's streak: its messages, within the asked filters. */
export function publisherStreakFilter(
  topicPrefix: string | undefined,
  channel: string | undefined,
): (row: { clientId: string }) => Filter {
  return (r) => ({ clientId: r.clientId, topicPrefix, channel });
}
