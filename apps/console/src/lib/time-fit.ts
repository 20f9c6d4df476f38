/**
 * Time views that tell the truth (issue 13, item 6), as pure functions for the trend charts:
 * - the last bucket is partial while the clock is inside it: its counts are "so far", not a drop;
 * - a window mostly empty before the first message (a fresh install on a 24 h chart) is fitted
 *   to the data instead of squeezing it into the last pixels.
 */
interface Bucket {
  t: string;
  valid: number;
  invalid: number;
  unvalidated: number;
  ungoverned: number;
}

/** Index of the bucket still filling at `now` (its end is after `now`), or null. */
export function partialBucket(points: readonly Bucket[], bucketSeconds: number, now: number): number | null {
  const last = points.length - 1;
  if (last < 0) return null;
  const end = Date.parse(points[last]!.t) + bucketSeconds * 1000;
  return end > now ? last : null;
}

const total = (p: Bucket) => p.valid + p.invalid + p.unvalidated + p.ungoverned;

/**
 * Where the chart should start: the bucket before the first one with messages, when more than
 * half the window is empty before it (and there is data at all); else the first bucket.
 */
export function fitStart(points: readonly Bucket[]): { index: number; fitted: boolean } {
  const first = points.findIndex((p) => total(p) > 0);
  if (first < 0 || first < points.length / 2) return { index: 0, fitted: false };
  return { index: Math.max(0, first - 1), fitted: true };
}
