import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { formatTime } from "../../../lib/format";

export interface FieldPoint {
  t: number;
  v: number | null;
}

/** One numeric field of a topic's messages over time (uPlot line, points marked). */
export function FieldChart({
  points,
  field,
  timeZone,
  height = 200,
}: {
  points: FieldPoint[];
  field: string;
  timeZone: string;
  height?: number;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const css = getComputedStyle(el);
    const axisColor = css.getPropertyValue("--fg-muted").trim() || "#888";
    const gridColor = css.getPropertyValue("--border").trim() || "#ddd";
    const axis = { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor } };
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      tzDate: (t) => uPlot.tzDate(new Date(t * 1000), timeZone),
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      series: [
        { label: "Time", value: (_u, v) => (v === null ? "—" : formatTime(v * 1000, timeZone)) },
        { label: field, stroke: "#3b82f6", width: 2, points: { show: true, size: 5 }, spanGaps: false },
      ],
      axes: [{ ...axis }, { ...axis, size: 60 }],
    };
    const data: uPlot.AlignedData = [points.map((p) => p.t / 1000), points.map((p) => p.v)];
    const plot = new uPlot(opts, data, el);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [points, field, timeZone, height]);
  const numbers = points.filter((p) => p.v !== null).length;
  return (
    <div className="trend" data-testid="field-chart" data-points={numbers}>
      <div
        ref={ref}
        className="trend-canvas"
        role="img"
        aria-label={`${field} over time, ${numbers} values`}
      />
    </div>
  );
}
