import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import "./quality.css";
import type { OeeFigures, OeePoint } from "@uns/api-contract";
import { formatTime } from "./format";
import { useUrlState } from "./url-state";

/** Shared pieces of the plant, line, alerts and body pages. */

export const RANGES = {
  "1h": 3600,
  "8h": 8 * 3600,
  "24h": 86400,
  "7d": 7 * 86400,
  "30d": 30 * 86400,
} as const;
export type Range = keyof typeof RANGES;

/** The window from the URL (`range`, default 8 h), ending now, rounded to the minute. */
export function useRange(dflt: Range = "8h"): {
  range: Range;
  from: string;
  to: string;
  set(r: Range): void;
} {
  const { params, update } = useUrlState();
  const r = (params.get("range") ?? dflt) as Range;
  const range = r in RANGES ? r : dflt;
  const to = Math.ceil(Date.now() / 60_000) * 60_000;
  return {
    range,
    from: new Date(to - RANGES[range] * 1000).toISOString(),
    to: new Date(to).toISOString(),
    set: (x) => update({ range: x }),
  };
}

export function RangePicker({ value, onChange }: { value: Range; onChange: (r: Range) => void }) {
  return (
    <fieldset className="segmented" aria-label="Time range">
      {(Object.keys(RANGES) as Range[]).map((r) => (
        <button
          key={r}
          type="button"
          className="btn btn-small"
          aria-pressed={value === r}
          onClick={() => onChange(r)}
        >
          {r}
        </button>
      ))}
    </fieldset>
  );
}

export const pct = (v: number | null | undefined, digits = 1) =>
  v === null || v === undefined ? "unknown" : `${(v * 100).toFixed(digits)} %`;

export function tone(
  v: number | null | undefined,
  good = 0.85,
  warn = 0.65,
): "good" | "warn" | "bad" | "none" {
  if (v === null || v === undefined) return "none";
  return v >= good ? "good" : v >= warn ? "warn" : "bad";
}

export type Measure = "oee" | "availability" | "performance" | "quality";
export const MEASURES: Measure[] = ["oee", "availability", "performance", "quality"];
export const MEASURE_LABEL: Record<Measure, string> = {
  oee: "OEE",
  availability: "Availability",
  performance: "Performance",
  quality: "Quality",
};

/** A half-circle gauge; values over 100 % (performance) are drawn full and flagged, not capped. */
export function Gauge({
  label,
  value,
  flag,
  size = 120,
}: {
  label: string;
  value: number | null;
  flag?: string;
  size?: number;
}) {
  const r = size / 2 - 8;
  const cx = size / 2;
  const cy = size / 2;
  const f = value === null ? 0 : Math.max(0, Math.min(1, value));
  const angle = Math.PI * (1 - f);
  const x = cx + r * Math.cos(angle);
  const y = cy - r * Math.sin(angle);
  const t = tone(value);
  return (
    <figure className={`gauge gauge-${t}`} aria-label={`${label} ${pct(value)}`}>
      <svg width={size} height={size / 2 + 8} viewBox={`0 0 ${size} ${size / 2 + 8}`} aria-hidden="true">
        <path d={`M ${cx - r} ${cy} A ${r} ${r} 0 0 1 ${cx + r} ${cy}`} className="gauge-track" />
        {value !== null && f > 0 ? (
          <path d={`M ${cx - r} ${cy} A ${r} ${r} 0 0 1 ${x} ${y}`} className="gauge-value" />
        ) : null}
      </svg>
      <figcaption>
        <span className="gauge-number">{pct(value)}</span>
        <span className="gauge-label">{label}</span>
        {flag ? (
          <span className="gauge-flag" title={flag}>
            ⚠ {flag}
          </span>
        ) : null}
      </figcaption>
    </figure>
  );
}

export function figuresFlag(f: OeeFigures): string | undefined {
  if (f.performanceOver100) return "performance > 100 %: check the ideal cycle time";
  return undefined;
}

const SERIES: { key: Measure; color: string }[] = [
  { key: "oee", color: "#1f6feb" },
  { key: "availability", color: "#2e9d5b" },
  { key: "performance", color: "#c98a12" },
  { key: "quality", color: "#9b51e0" },
];

/** OEE and its parts over time in %, from buckets computed by the server; gaps stay gaps. */
export function OeeTrend({
  points,
  timeZone,
  height = 220,
}: {
  points: OeePoint[];
  timeZone: string;
  height?: number;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const data: uPlot.AlignedData = [
      points.map((p) => Date.parse(p.t) / 1000),
      ...SERIES.map((s) => points.map((p) => (p[s.key] === null ? null : (p[s.key] as number) * 100))),
    ];
    const css = getComputedStyle(el);
    const axisColor = css.getPropertyValue("--fg-muted").trim() || "#888";
    const gridColor = css.getPropertyValue("--border").trim() || "#ddd";
    const axis = { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor } };
    const plot = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height,
        tzDate: (t) => uPlot.tzDate(new Date(t * 1000), timeZone),
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(100, max ?? 100)] } },
        series: [
          {
            label: "Time",
            value: (_u, v) => (v === null ? "—" : formatTime(v * 1000, timeZone, { seconds: false })),
          },
          ...SERIES.map((s) => ({
            label: MEASURE_LABEL[s.key],
            stroke: s.color,
            width: s.key === "oee" ? 2.5 : 1.5,
            spanGaps: false,
            value: (_u: uPlot, v: number | null) => (v === null ? "unknown" : `${v.toFixed(1)} %`),
          })),
        ],
        axes: [{ ...axis }, { ...axis, values: (_u, vals) => vals.map((v) => `${v} %`), size: 80 }],
      },
      data,
      el,
    );
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [points, timeZone, height]);
  return (
    <div
      ref={ref}
      className="trend-canvas"
      role="img"
      aria-label="OEE, availability, performance and quality over time"
    />
  );
}

export const STATE_COLORS: Record<string, string> = {
  running: "#2e9d5b",
  stopped: "#d9453d",
  starved: "#e38b2c",
  blocked: "#c98a12",
  maintenance: "#5b8def",
  unknown: "#b8bec8",
};

export function formatDuration(ms: number): string {
  const m = Math.round(ms / 60_000);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  return `${h} h ${m % 60} min`;
}
