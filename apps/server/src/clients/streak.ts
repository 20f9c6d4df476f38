/**
 * "Non-compliant since": the start of the current failing streak of a publisher, line or cell,
 * from its per-bucket counts (oldest first). A bucket fails when it holds an invalid message;
 * buckets without any validated message (nothing sent) neither break nor extend the streak, so a
 * device that sends every few minutes stays in its streak. The streak is current only when the
 * latest bucket with a validated message failed.
 *
 * @example
 * nonCompliantSince([{ t: "10:00", valid: 5, invalid: 0 }, { t: "10:01", valid: 0, invalid: 2 }])
 * // "10:01"
 */
export function nonCompliantSince(
  points: readonly { t: string; valid: number; invalid: number }[],
): string | null {
  let since: string | null = null;
  for (let i = points.length - 1; i >= 0; i--) {
    const p = points[i]!;
    if (p.valid + p.invalid === 0) continue;
    if (p.invalid === 0) break;
    since = p.t;
    // A bucket with valid messages too is where the streak began (it started failing inside it).
    if (p.valid > 0) break;
  }
  return since;
}
