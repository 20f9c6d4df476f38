/**
 * The filters every page keeps in its URL, so that a link sent to a colleague opens the same
 * view: time window, topic subtree, channel, publisher, kind of violation. Parsing is forgiving
 * (a hand-edited URL with a bad value falls back to the default for that value alone);
 * serialising is canonical (fixed order, defaults left out) so equal filters give equal URLs.
 */

export const RANGES = ["1h", "24h", "7d", "custom"] as const;
export type Range = (typeof RANGES)[number];
export const DEFAULT_RANGE = "24h" satisfies Range;

const RANGE_MS: Record<Exclude<Range, "custom">, number> = {
  "1h": 3600_000,
  "24h": 24 * 3600_000,
  "7d": 7 * 24 * 3600_000,
};

export const RANGE_LABELS: Record<Range, string> = {
  "1h": "Last hour",
  "24h": "Last 24 h",
  "7d": "Last 7 days",
  custom: "Custom",
};

export interface Filters {
  range: Range;
  /** ISO 8601 instants, only with range "custom". */
  from?: string;
  to?: string;
  /** Topic subtree: a plain prefix such as `acme/plant-a/`. */
  topic?: string;
  channel?: string;
  /** MQTT client id of the publisher. */
  client?: string;
  /** Kind of violation: schema, not-json, acl, topic, ... */
  kind?: string;
}

/** URL parameter names, in the order they are written. */
const KEYS = ["range", "from", "to", "topic", "channel", "client", "kind"] as const;
export const FILTER_KEYS: readonly string[] = KEYS;

function isoOrUndefined(v: string | null): string | undefined {
  if (!v) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

function text(v: string | null, max = 1024): string | undefined {
  const t = v?.trim();
  return t ? t.slice(0, max) : undefined;
}

/** Reads the filters from a query string (`?range=1h&topic=acme/`), ignoring other parameters. */
export function parseFilters(search: string | URLSearchParams): Filters {
  const p = typeof search === "string" ? new URLSearchParams(search) : search;
  const r = p.get("range");
  let range: Range = (RANGES as readonly string[]).includes(r ?? "") ? (r as Range) : DEFAULT_RANGE;
  const from = isoOrUndefined(p.get("from"));
  const to = isoOrUndefined(p.get("to"));
  // A custom window needs its start; `to` alone is not enough to be a window.
  if (range === "custom" && !from) range = DEFAULT_RANGE;
  const f: Filters = { range };
  if (range === "custom") {
    f.from = from;
    if (to) f.to = to;
  }
  const topic = text(p.get("topic"));
  const channel = text(p.get("channel"), 256);
  const client = text(p.get("client"), 256);
  const kind = text(p.get("kind"), 64);
  if (topic) f.topic = topic;
  if (channel) f.channel = channel;
  if (client) f.client = client;
  if (kind) f.kind = kind;
  return f;
}

/**
 * Writes filters (and page-specific extras such as `sort`) as a query string without the `?`:
 * filters first in a fixed order, defaults and empty values left out.
 */
export function serializeFilters(f: Filters, extra: Record<string, string | undefined | null> = {}): string {
  const p = new URLSearchParams();
  for (const k of KEYS) {
    const v = f[k];
    if (v === undefined || v === "") continue;
    if (k === "range" && v === DEFAULT_RANGE) continue;
    if ((k === "from" || k === "to") && f.range !== "custom") continue;
    p.set(k, v);
  }
  for (const [k, v] of Object.entries(extra).sort(([a], [b]) => a.localeCompare(b))) {
    if (v !== undefined && v !== null && v !== "" && !KEYS.includes(k as (typeof KEYS)[number])) p.set(k, v);
  }
  // Slashes and colons are legal in a query string (RFC 3986 section 3.4) and far easier to read
  // in a topic or a time.
  return p.toString().replace(/%2F/gi, "/").replace(/%3A/gi, ":");
}

/**
 * A new query string: `search` with `patch` applied (undefined or "" removes a key). Filter keys
 * are re-validated; other keys are kept as they are.
 */
export function patchSearch(search: string, patch: Record<string, string | undefined | null>): string {
  const p = new URLSearchParams(search);
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined || v === null || v === "") p.delete(k);
    else p.set(k, v);
  }
  const extra: Record<string, string> = {};
  for (const [k, v] of p) if (!KEYS.includes(k as (typeof KEYS)[number])) extra[k] = v;
  return serializeFilters(parseFilters(p), extra);
}

/** The window the filters stand for, at `now`. */
export function windowOf(f: Filters, now: Date = new Date()): { from: Date; to: Date } {
  if (f.range === "custom" && f.from) {
    const to = f.to ? new Date(f.to) : now;
    const from = new Date(f.from);
    return from <= to ? { from, to } : { from: to, to: from };
  }
  const span = RANGE_MS[f.range === "custom" ? DEFAULT_RANGE : f.range];
  return { from: new Date(now.getTime() - span), to: now };
}

/** Length of the window in seconds (for rates averaged over it). */
export function windowSeconds(f: Filters, now: Date = new Date()): number {
  const w = windowOf(f, now);
  return Math.max(1, (w.to.getTime() - w.from.getTime()) / 1000);
}

export type ApiFilterKey = "topicPrefix" | "channel" | "clientId" | "kind";

/**
 * Query parameters for an API call: the window as `from`/`to` and the filters under the API's
 * names, limited to those the endpoint accepts (its route schema refuses unknown ones).
 */
export function apiQuery(
  f: Filters,
  accepts: readonly ApiFilterKey[],
  extra: Record<string, string | number | undefined> = {},
  now: Date = new Date(),
): string {
  const w = windowOf(f, now);
  const p = new URLSearchParams({ from: w.from.toISOString(), to: w.to.toISOString() });
  const map: Record<ApiFilterKey, string | undefined> = {
    topicPrefix: f.topic,
    channel: f.channel,
    clientId: f.client,
    kind: f.kind,
  };
  for (const k of accepts) {
    const v = map[k];
    if (v) p.set(k, v);
  }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== "") p.set(k, String(v));
  return p.toString();
}

/** True when any narrowing filter (not the window) is set. */
export function hasNarrowing(f: Filters): boolean {
  return Boolean(f.topic || f.channel || f.client || f.kind);
}
