import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { TimeseriesPoint } from "@uns/api-contract";
import { complianceRate, formatCount, formatRate, formatTime } from "./format";
import { fitStart, partialBucket } from "./time-fit";

export const OUTCOME_COLORS = {
  valid: "#2e9d5b",
  invalid: "#d9453d",
  unvalidated: "#c98a12",
  ungoverned: "#8a8f98",
  rate: "#3b82f6",
} as const;

/**
 * Messages per bucket by outcome, and the compliance rate, over time (uPlot: about 20 kB gzip,
 * draws on a canvas and stays fast with thousands of points). Times on the axis are the plant's.
 * A table with the same numbers is given for screen readers and for copying.
 */
export function TrendChart({
  points,
  bucketSeconds,
  timeZone,
  height = 240,
}: {
  points: TimeseriesPoint[];
  bucketSeconds: number;
  timeZone: string;
  height?: number;
}) {
  const ref = useRef<HTMLDivElement>(null);
  // Read once per data set: the partial bucket and the fitted start belong to these points.
  const partial = partialBucket(points, bucketSeconds, Date.now());
  const fit = fitStart(points);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ts = points.map((p) => Date.parse(p.t) / 1000);
    const rate = points.map((p) => {
      const r = complianceRate(p);
      return r === null ? null : r * 100;
    });
    const data: uPlot.AlignedData = [
      ts,
      points.map((p) => p.valid),
      points.map((p) => p.invalid),
      points.map((p) => p.unvalidated),
      points.map((p) => p.ungoverned),
      rate,
    ];
    const css = getComputedStyle(el);
    const axisColor = css.getPropertyValue("--fg-muted").trim() || "#888";
    const gridColor = css.getPropertyValue("--border").trim() || "#ddd";
    const axis = { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor } };
    const count = (label: string, color: string, fill?: string): uPlot.Series => ({
      label,
      stroke: color,
      width: 2,
      fill,
      scale: "n",
      value: (_u, v) => (v === null ? "—" : formatCount(v)),
    });
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      tzDate: (t) => uPlot.tzDate(new Date(t * 1000), timeZone),
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      scales: {
        x: fit.fitted
          ? { time: true, range: (_u, _min, max) => [ts[fit.index]!, max + bucketSeconds] }
          : { time: true },
        n: { auto: true },
        pct: { range: [0, 100] },
      },
      hooks: {
        // The bucket still filling is hatched and labelled: its counts are "so far", not a drop.
        draw: [
          (u) => {
            if (partial === null) return;
            const x0 = u.valToPos(ts[partial]!, "x", true);
            const x1 = u.valToPos(ts[partial]! + bucketSeconds, "x", true);
            const { top, height } = u.bbox;
            const ctx = u.ctx;
            ctx.save();
            ctx.fillStyle = "rgba(138,143,152,0.18)";
            ctx.fillRect(x0, top, Math.max(2, x1 - x0), height);
            ctx.fillStyle = axisColor;
            ctx.font = `${11 * devicePixelRatio}px sans-serif`;
            ctx.fillText("partial", x0 + 2 * devicePixelRatio, top + 12 * devicePixelRatio);
            ctx.restore();
          },
        ],
      },
      series: [
        {
          label: "Time",
          value: (_u, v) => (v === null ? "—" : formatTime(v * 1000, timeZone, { seconds: false })),
        },
        count("valid", OUTCOME_COLORS.valid),
        count("invalid", OUTCOME_COLORS.invalid, "rgba(217,69,61,0.12)"),
        count("unvalidated", OUTCOME_COLORS.unvalidated),
        count("ungoverned", OUTCOME_COLORS.ungoverned),
        {
          label: "compliance",
          stroke: OUTCOME_COLORS.rate,
          width: 1.5,
          dash: [6, 4],
          scale: "pct",
          spanGaps: false,
          value: (_u, v) => (v === null ? "—" : formatRate(v / 100)),
        },
      ],
      axes: [
        { ...axis },
        { ...axis, scale: "n", values: (_u, vals) => vals.map((v) => formatCount(v)), size: 60 },
        {
          ...axis,
          scale: "pct",
          side: 1,
          values: (_u, vals) => vals.map((v) => `${v} %`),
          grid: { show: false },
          size: 50,
        },
      ],
    };
    const plot = new uPlot(opts, data, el);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [points, timeZone, height, bucketSeconds, partial, fit.fitted, fit.index]);

  const minutes = Math.round(bucketSeconds / 60);
  return (
    <div className="trend">
      <div
        ref={ref}
        className="trend-canvas"
        role="img"
        aria-label={`Messages per ${minutes} minute bucket by outcome, and compliance rate`}
      />
      {fit.fitted || partial !== null ? (
        <p className="muted small trend-note" data-testid="trend-note">
          {fit.fitted
            ? `Shown from ${formatTime(points[fit.index]!.t, timeZone, { seconds: false })}: nothing was received earlier in this window. `
            : ""}
          {partial !== null ? "The last bucket is still filling (partial, shaded)." : ""}
        </p>
      ) : null}
      <details className="trend-table">
        <summary>
          Numbers ({points.length} buckets of {minutes} min)
        </summary>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Bucket start ({timeZone})</th>
                <th scope="col">Valid</th>
                <th scope="col">Invalid</th>
                <th scope="col">Unvalidated</th>
                <th scope="col">Ungoverned</th>
                <th scope="col">Compliance</th>
              </tr>
            </thead>
            <tbody>
              {points.map((p, i) => (
                <tr key={p.t}>
                  <td>
                    {formatTime(p.t, timeZone, { seconds: false })}
                    {i === partial ? " (partial)" : ""}
                  </td>
                  <td className="num">{formatCount(p.valid)}</td>
                  <td className="num">{formatCount(p.invalid)}</td>
                  <td className="num">{formatCount(p.unvalidated)}</td>
                  <td className="num">{formatCount(p.ungoverned)}</td>
                  <td className="num">{formatRate(complianceRate(p))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </div>
  );
}
