import { readFile } from "node:fs/promises";
import { type Diagnostic, formatDiagnostic } from "@uns/contracts";
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";

/**
 * Alert rules from `topics/alerts.yaml`: a condition on a KPI or a stream over a sliding window,
 * with a minimum count and hysteresis. Every problem is reported with file, line and field;
 * a file with any error is not used (the last good rules stay).
 */
export const LINE_METRICS = ["quality", "availability", "performance", "oee"] as const;
export const CELL_METRICS = ["anomalyRate", "nokRate", "belowLimitRate"] as const;
export const METRICS = [...LINE_METRICS, ...CELL_METRICS, "compliance", "silence"] as const;
export type Metric = (typeof METRICS)[number];
export const SEVERITIES = ["info", "warning", "error", "critical"] as const;

export interface AlertRule {
  id: string;
  title: string;
  metric: Metric;
  /** Raise when the value is below this (rates where low is bad) ... */
  below?: number;
  /** ... or above this. */
  above?: number;
  /** Back to normal only past this value (hysteresis); defaults to the threshold. */
  clearAt: number;
  /** Sliding window in ms (time windows). */
  windowMs: number;
  /** Cell metrics: the last N spots instead of a time window. */
  spots?: number;
  /** Parts, spots or messages the window must hold before the rule judges. */
  minCount: number;
  /** The condition must hold this long before the alert is raised. */
  forMs: number;
  /** silence: the channel whose messages are watched. */
  channel?: string;
  /** MQTT-style filter on the source path (`acme/neckarsulm/#`). */
  match?: string;
  severity: (typeof SEVERITIES)[number];
  /** Raised while the line is in planned downtime? (default: suppressed) */
  duringPlannedStop: boolean;
}

export interface RulesLoad {
  rules: AlertRule[] | null;
  diagnostics: Diagnostic[];
}

const DURATION = /^([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h)$/;
const UNIT = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const ID = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
const KEYS = new Set([
  "id",
  "title",
  "metric",
  "below",
  "above",
  "clearAt",
  "window",
  "spots",
  "minCount",
  "for",
  "channel",
  "match",
  "severity",
  "duringPlannedStop",
]);

export function parseDuration(v: unknown): number | null {
  if (typeof v !== "string") return null;
  const m = DURATION.exec(v.trim());
  return m ? Number(m[1]) * UNIT[m[2] as keyof typeof UNIT] : null;
}

export async function loadRulesFile(file: string, shownAs = file): Promise<RulesLoad> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { rules: [], diagnostics: [] };
    return { rules: null, diagnostics: [diag(shownAs, `cannot read: ${(err as Error).message}`, "$")] };
  }
  return parseRules(text, shownAs);
}

function diag(file: string, message: string, path: string, line?: number, column?: number): Diagnostic {
  return {
    file,
    severity: "error",
    message,
    path,
    code: "UNS_ERR_ALERT_RULES",
    ...(line ? { line } : {}),
    ...(column ? { column } : {}),
  };
}

export function parseRules(text: string, file: string): RulesLoad {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const out: Diagnostic[] = [];
  const at = (node: Node | null | undefined, path: string, message: string) => {
    const pos = node?.range ? lines.linePos(node.range[0]) : undefined;
    out.push(diag(file, message, path, pos?.line, pos?.col));
  };
  for (const e of doc.errors) {
    const pos = lines.linePos(e.pos[0]);
    out.push(diag(file, e.message.split("\n")[0]!, "$", pos.line, pos.col));
  }
  if (out.length) return { rules: null, diagnostics: out };
  const root = doc.contents;
  if (root === null) return { rules: [], diagnostics: [] };
  if (!isMap(root)) {
    at(root as Node, "$", "must be a map with a `rules` list");
    return { rules: null, diagnostics: out };
  }
  const rulesPair = root.items.find((p) => isScalar(p.key) && p.key.value === "rules");
  for (const p of root.items)
    if (isScalar(p.key) && p.key.value !== "rules")
      at(p.key as Node, "$", `unknown key ${String(p.key.value)}; only \`rules\` is accepted`);
  const seq = rulesPair?.value;
  if (!rulesPair || !isSeq(seq)) {
    at((rulesPair?.value ?? root) as Node, "$.rules", "`rules` must be a list of rules");
    return { rules: null, diagnostics: out };
  }
  const rules: AlertRule[] = [];
  const ids = new Set<string>();
  seq.items.forEach((item, i) => {
    const path = `$.rules[${i}]`;
    if (!isMap(item)) {
      at(item as Node, path, "a rule must be a map");
      return;
    }
    const node = (key: string) => item.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
    const value = (key: string): unknown =>
      (node(key)?.value as { toJSON?: () => unknown } | null)?.toJSON?.();
    const bad = (key: string, message: string) =>
      at((node(key)?.value ?? node(key)?.key ?? item) as Node, `${path}.${key}`, message);
    for (const p of item.items)
      if (isScalar(p.key) && !KEYS.has(String(p.key.value)))
        at(p.key as Node, `${path}.${String(p.key.value)}`, `unknown key; accepted: ${[...KEYS].join(", ")}`);
    const before = out.length;
    const id = value("id");
    if (typeof id !== "string" || !ID.test(id))
      bad("id", "id is required: lower-case letters, digits, . _ -");
    else if (ids.has(id)) bad("id", `duplicate rule id ${id}`);
    else ids.add(id);
    const metric = value("metric") as Metric;
    if (!METRICS.includes(metric)) bad("metric", `metric must be one of ${METRICS.join(", ")}`);
    const severity = (value("severity") ?? "warning") as AlertRule["severity"];
    if (!SEVERITIES.includes(severity)) bad("severity", `severity must be one of ${SEVERITIES.join(", ")}`);
    const num = (key: string) => {
      const v = value(key);
      if (v === undefined) return undefined;
      if (typeof v !== "number" || !Number.isFinite(v)) {
        bad(key, `${key} must be a number`);
        return undefined;
      }
      return v;
    };
    const dur = (key: string, dflt: number) => {
      const v = value(key);
      if (v === undefined) return dflt;
      const ms = parseDuration(v);
      if (ms === null) bad(key, `${key} must be a duration such as 500ms, 30s, 10m or 1h`);
      return ms ?? dflt;
    };
    const below = num("below");
    const above = num("above");
    const clearAt = num("clearAt");
    const spots = num("spots");
    const minCount = num("minCount") ?? 1;
    const windowMs = dur("window", metric === "silence" ? 60_000 : 600_000);
    const forMs = dur("for", 0);
    const channel = value("channel");
    const match = value("match");
    if (metric === "silence") {
      if (typeof channel !== "string")
        bad("channel", "a silence rule names the channel it watches (channel: weldQuality)");
    } else if ((below === undefined) === (above === undefined))
      bad(below === undefined ? "metric" : "above", "give exactly one of `below` or `above`");
    const threshold = below ?? above;
    if (clearAt !== undefined && threshold !== undefined) {
      if (below !== undefined && clearAt < below)
        bad("clearAt", `clearAt must be >= below (${below}) for hysteresis`);
      if (above !== undefined && clearAt > above)
        bad("clearAt", `clearAt must be <= above (${above}) for hysteresis`);
    }
    if (spots !== undefined && !(CELL_METRICS as readonly string[]).includes(metric))
      bad("spots", "spots is a window for cell metrics (anomalyRate, nokRate, belowLimitRate)");
    if (spots !== undefined && !(Number.isInteger(spots) && spots >= 1 && spots <= 5000))
      bad("spots", "spots must be an integer from 1 to 5000");
    if (windowMs > 3_600_000) bad("window", "window must be at most 1h (the in-memory window)");
    if (match !== undefined && typeof match !== "string") bad("match", "match must be an MQTT filter string");
    const duringPlannedStop = value("duringPlannedStop") === true;
    if (out.length > before) return;
    rules.push({
      id: id as string,
      title: typeof value("title") === "string" ? (value("title") as string) : (id as string),
      metric,
      ...(below !== undefined ? { below } : {}),
      ...(above !== undefined ? { above } : {}),
      clearAt: clearAt ?? threshold ?? 0,
      windowMs,
      ...(spots !== undefined ? { spots } : {}),
      minCount,
      forMs,
      ...(typeof channel === "string" ? { channel } : {}),
      ...(typeof match === "string" ? { match } : {}),
      severity,
      duringPlannedStop,
    });
  });
  return out.length ? { rules: null, diagnostics: out } : { rules, diagnostics: [] };
}

export function describeProblems(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.map(formatDiagnostic);
}

/** MQTT filter match (`+` one level, `#` the rest). */
export function matchesFilter(filter: string, path: string): boolean {
  const f = filter.split("/");
  const p = path.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= p.length) return false;
    if (f[i] !== "+" && f[i] !== p[i]) return false;
  }
  return f.length === p.length;
}
