/**
 * Formatting of times, counts and rates. Every time on screen is in the plant's time zone (from
 * GET /api/v1/config), never the browser's: an engineer on a laptop abroad and the control-room
 * wall must read the same clock.
 */

const dtfCache = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(timeZone: string, withZone: boolean): Intl.DateTimeFormat {
  const key = `${timeZone}|${withZone}`;
  let f = dtfCache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
      ...(withZone ? { timeZoneName: "short" } : {}),
    });
    dtfCache.set(key, f);
  }
  return f;
}

interface ZonedParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const zoneNameCache = new Map<string, Intl.DateTimeFormat>();

/**
 * The zone's short name. Locales name different zones: en-GB knows "CET"/"CEST" and en-US
 * "EST"/"CST"; where neither has a name the offset ("GMT+5:30") is the name.
 */
function zoneName(date: Date, timeZone: string, gb: string | undefined): string {
  if (gb && !/^(GMT|UTC)[+-]/.test(gb)) return gb;
  let f = zoneNameCache.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "short" });
    zoneNameCache.set(timeZone, f);
  }
  const us = f.formatToParts(date).find((p) => p.type === "timeZoneName")?.value;
  return us && !/^(GMT|UTC)[+-]/.test(us) ? us : (gb ?? timeZone);
}

function zonedParts(date: Date, timeZone: string): ZonedParts & { zone: string } {
  const out: Record<string, string> = {};
  for (const p of partsFormatter(timeZone, true).formatToParts(date)) out[p.type] = p.value;
  return {
    year: Number(out.year),
    month: Number(out.month),
    day: Number(out.day),
    hour: Number(out.hour) % 24,
    minute: Number(out.minute),
    second: Number(out.second),
    zone: zoneName(date, timeZone, out.timeZoneName),
  };
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

function toDate(t: Date | string | number): Date {
  return t instanceof Date ? t : new Date(t);
}

export interface TimeFormatOptions {
  /** Append the zone's short name, e.g. "CET" or "GMT+1" (default true). */
  zone?: boolean;
  /** Show seconds (default true). */
  seconds?: boolean;
  /** Leave out the date when it is today in the zone (default false). */
  omitTodayDate?: boolean;
  now?: Date;
}

/**
 * A time as `YYYY-MM-DD HH:mm:ss ZONE` in `timeZone`.
 *
 * @example formatTime("2026-11-22T10:00:00Z", "Europe/Berlin") // "2026-11-22 11:00:00 CET"
 */
export function formatTime(t: Date | string | number, timeZone: string, o: TimeFormatOptions = {}): string {
  const d = toDate(t);
  if (Number.isNaN(d.getTime())) return "—";
  const p = zonedParts(d, timeZone);
  const date = `${p.year}-${pad(p.month)}-${pad(p.day)}`;
  let time = `${pad(p.hour)}:${pad(p.minute)}`;
  if (o.seconds !== false) time += `:${pad(p.second)}`;
  let text = `${date} ${time}`;
  if (o.omitTodayDate) {
    const n = zonedParts(o.now ?? new Date(), timeZone);
    if (n.year === p.year && n.month === p.month && n.day === p.day) text = time;
  }
  return o.zone === false ? text : `${text} ${p.zone}`;
}

/** The zone's short name at a given instant ("CET", "CEST", "UTC", "GMT+5:30"). */
export function zoneAbbreviation(timeZone: string, at: Date = new Date()): string {
  return zonedParts(at, timeZone).zone;
}

/** Offset of `timeZone` from UTC at instant `at`, in minutes (Berlin in winter: +60). */
export function zoneOffsetMinutes(timeZone: string, at: Date): number {
  const p = zonedParts(at, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(at.getTime() / 1000) * 1000) / 60_000);
}

/**
 * The value for an `<input type="datetime-local">` showing instant `t` on the plant's clock.
 *
 * @example toZonedInput("2026-11-22T10:00:00Z", "Europe/Berlin") // "2026-11-22T11:00"
 */
export function toZonedInput(t: Date | string, timeZone: string): string {
  const p = zonedParts(toDate(t), timeZone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`;
}

/**
 * The instant that a wall clock in `timeZone` shows as `local` ("YYYY-MM-DDTHH:mm[:ss]"); null
 * when unreadable. In the hour that a clock change repeats, the earlier instant is taken; a time
 * skipped by a clock change moves forward by the gap.
 *
 * @example fromZonedInput("2026-11-22T11:00", "Europe/Berlin")?.toISOString() // "2026-11-22T10:00:00.000Z"
 */
export function fromZonedInput(local: string, timeZone: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  // Offsets a day before and after cover both sides of any clock change near this time.
  const before = zoneOffsetMinutes(timeZone, new Date(wall - 86_400_000));
  const after = zoneOffsetMinutes(timeZone, new Date(wall + 86_400_000));
  const fits = [...new Set([before, after, zoneOffsetMinutes(timeZone, new Date(wall))])]
    .map((o) => wall - o * 60_000)
    .filter((t) => toZonedInput(new Date(t), timeZone) === local.slice(0, 16))
    .sort((a, b) => a - b);
  return new Date(fits[0] ?? wall - before * 60_000);
}

const intFmt = new Intl.NumberFormat("en-US");

/** 1234567 -> "1,234,567". */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || Number.isNaN(n)) return "—";
  return intFmt.format(n);
}

/** 1234567 -> "1.2 M", for tight places (tiles on a wall screen). */
export function formatCompact(n: number): string {
  if (Math.abs(n) < 10_000) return intFmt.format(n);
  const units: [number, string][] = [
    [1e9, " G"],
    [1e6, " M"],
    [1e3, " k"],
  ];
  for (const [v, u] of units)
    if (Math.abs(n) >= v) return `${(n / v).toFixed(Math.abs(n) >= v * 100 ? 0 : 1)}${u}`;
  return intFmt.format(n);
}

/** valid / (valid + invalid): unvalidated and ungoverned messages say nothing about compliance. */
export function complianceRate(c: { valid: number; invalid: number }): number | null {
  const checked = c.valid + c.invalid;
  return checked === 0 ? null : c.valid / checked;
}

/**
 * A compliance rate as a percentage with one decimal, rounded *down*, so that a stream with any
 * invalid message never reads "100 %" and one with any valid message never reads "0 %".
 *
 * @example formatRate(0.99996) // "99.9 %"
 * @example formatRate(null)    // "n/a"
 */
export function formatRate(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || Number.isNaN(rate)) return "n/a";
  if (rate >= 1) return "100 %";
  if (rate <= 0) return "0 %";
  const tenths = Math.floor(rate * 1000);
  if (tenths === 0) return "<0.1 %";
  return `${(tenths / 10).toFixed(1)} %`;
}

export type RateTone = "good" | "warn" | "bad" | "none";

/** The colour class for a rate: good at 99 % and above, warn from 95 %, bad below. */
export function rateTone(rate: number | null | undefined): RateTone {
  if (rate === null || rate === undefined || Number.isNaN(rate)) return "none";
  if (rate >= 0.99) return "good";
  if (rate >= 0.95) return "warn";
  return "bad";
}

/** A share (0..1) as "12.5 %"; small non-zero shares do not read 0. */
export function formatShare(share: number | null | undefined): string {
  if (share === null || share === undefined || Number.isNaN(share)) return "—";
  if (share > 0 && share < 0.001) return "<0.1 %";
  return `${(share * 100).toFixed(1)} %`;
}

/** Messages per second: "0", "0.3/s", "12/s", "1.2 k/s". */
export function formatPerSecond(v: number): string {
  if (v === 0) return "0/s";
  if (v < 10) return `${v.toFixed(1)}/s`;
  if (v < 10_000) return `${Math.round(v)}/s`;
  return `${(v / 1000).toFixed(1)} k/s`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** "3 min ago", "2 h ago", relative to `now`. */
export function formatAgo(t: Date | string, now: Date = new Date()): string {
  const s = Math.round((now.getTime() - toDate(t).getTime()) / 1000);
  if (s < 0) return "just now";
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}
