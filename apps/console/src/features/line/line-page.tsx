import { useQuery } from "@tanstack/react-query";
import type {
  AlertListResponse,
  CellsResponse,
  DecisionsResponse,
  DefectsResponse,
  GatesResponse,
  OeeResponse,
  OeeShiftsResponse,
  OeeTrendResponse,
  StateInterval,
  Tally,
  TimelineResponse,
} from "@uns/api-contract";
import { Link } from "wouter";
import { getJson, qs } from "../../lib/api";
import { useConfig } from "../../lib/config";
import { type Column, DataTable } from "../../lib/data-table";
import { paths } from "../../lib/links";
import {
  figuresFlag,
  formatDuration,
  Gauge,
  MEASURE_LABEL,
  MEASURES,
  OeeTrend,
  pct,
  RangePicker,
  STATE_COLORS,
  useRange,
} from "../../lib/quality-ui";
import { Empty, PageHeader, QueryView, Section, Time } from "../../lib/ui";
import { useUrlState } from "../../lib/url-state";

function Timeline({ intervals, from, to }: { intervals: StateInterval[]; from: string; to: string }) {
  const t0 = Date.parse(from);
  const span = Math.max(1, Date.parse(to) - t0);
  const states = [...new Set(intervals.map((i) => i.state))];
  return (
    <>
      <div
        className="timeline"
        role="img"
        aria-label="State timeline of the line"
        data-testid="state-timeline"
      >
        {intervals.map((i) => {
          const ms = Date.parse(i.to) - Date.parse(i.from);
          return (
            <span
              key={i.from}
              title={`${i.state}${i.reason ? `: ${i.reason}` : ""} (${formatDuration(ms)})`}
              style={{ width: `${(ms / span) * 100}%`, background: STATE_COLORS[i.state] ?? "#999" }}
            />
          );
        })}
      </div>
      <div className="legend">
        {states.map((s) => (
          <span key={s}>
            <i style={{ background: STATE_COLORS[s] ?? "#999" }} />
            {s}
          </span>
        ))}
      </div>
      <details>
        <summary>Stops with their reason</summary>
        <ul>
          {intervals
            .filter((i) => i.state !== "running")
            .map((i) => (
              <li key={i.from}>
                <Time value={i.from} /> {i.state} for {formatDuration(Date.parse(i.to) - Date.parse(i.from))}
                {i.reason ? `: ${i.reason}` : ""}
              </li>
            ))}
        </ul>
      </details>
    </>
  );
}

function Pareto({ rows }: { rows: Tally[] }) {
  const max = Math.max(1, ...rows.map((r) => r.count));
  if (rows.length === 0) return <Empty title="No defects in this window" />;
  return (
    <div data-testid="pareto">
      {rows.map((r) => (
        <div key={`${r.name}/${r.source}`} className="pareto-row">
          <span>
            {r.name}
            {r.source ? <span className="muted"> · {r.source}</span> : null}
          </span>
          <span className="pareto-bar" style={{ width: `${(r.count / max) * 100}%` }} />
          <span className="num">{r.count}</span>
        </div>
      ))}
    </div>
  );
}

/** One line: OEE trend, state timeline, weld quality per cell, gate decisions, defects, open alerts. */
type ShiftRow = OeeShiftsResponse["shifts"][number];
type CellRow = CellsResponse["cells"][number];
const orUnknown = (v: number | null, f: (v: number) => string) => (v === null ? "unknown" : f(v));

const SHIFT_COLUMNS: Column<ShiftRow>[] = [
  { label: "Shift", cell: (x) => x.shift },
  ...MEASURES.map(
    (m): Column<ShiftRow> => ({
      label: MEASURE_LABEL[m],
      num: true,
      cell: (x) => `${pct(x[m])}${m === "performance" && x.performanceOver100 ? " ⚠" : ""}`,
    }),
  ),
  { label: "Bodies (good)", num: true, cell: (x) => `${x.produced} (${x.good})` },
  { label: "Unknown time", num: true, cell: (x) => formatDuration(x.unknownMs) },
];

const CELL_COLUMNS: Column<CellRow>[] = [
  { label: "Cell", cell: (c) => c.cell },
  { label: "Spots scored", num: true, cell: (c) => c.scored },
  { label: "Predicted not ok", num: true, cell: (c) => pct(c.nokRate) },
  { label: "Anomalies", num: true, cell: (c) => pct(c.anomalyRate) },
  { label: "Mean nugget (mm)", num: true, cell: (c) => orUnknown(c.meanDiameter, (v) => v.toFixed(2)) },
  { label: "Below limit", num: true, cell: (c) => pct(c.belowLimitRate) },
  { label: "Expulsions", num: true, cell: (c) => pct(c.expulsionRate) },
  { label: "Tip wear", num: true, cell: (c) => orUnknown(c.meanWear, (v) => `${v.toFixed(1)} %`) },
];

export function LinePage() {
  const { params, update } = useUrlState();
  const line = params.get("line") ?? "";
  const by = params.get("by") ?? "name";
  const w = useRange("8h");
  const { timeZone } = useConfig();
  const win = { from: w.from, to: w.to };
  const opts = { refetchInterval: 10_000, enabled: line !== "" };
  const oee = useQuery({
    queryKey: ["oee", line, w.from],
    queryFn: ({ signal }) => getJson<OeeResponse>(`/quality/oee${qs({ scope: line, ...win })}`, signal),
    ...opts,
  });
  const trend = useQuery({
    queryKey: ["trend", line, w.from],
    queryFn: ({ signal }) =>
      getJson<OeeTrendResponse>(`/quality/oee/trend${qs({ scope: line, ...win })}`, signal),
    ...opts,
  });
  const shifts = useQuery({
    queryKey: ["shifts", line, w.from],
    queryFn: ({ signal }) =>
      getJson<OeeShiftsResponse>(`/quality/oee/shifts${qs({ scope: line, ...win })}`, signal),
    ...opts,
  });
  const timeline = useQuery({
    queryKey: ["timeline", line, w.from],
    queryFn: ({ signal }) => getJson<TimelineResponse>(`/quality/timeline${qs({ line, ...win })}`, signal),
    ...opts,
  });
  const cells = useQuery({
    queryKey: ["cells", line, w.from],
    queryFn: ({ signal }) => getJson<CellsResponse>(`/quality/cells${qs({ scope: line, ...win })}`, signal),
    ...opts,
  });
  const defects = useQuery({
    queryKey: ["defects", line, w.from, by],
    queryFn: ({ signal }) =>
      getJson<DefectsResponse>(`/quality/defects${qs({ scope: line, by, ...win })}`, signal),
    ...opts,
  });
  const gates = useQuery({
    queryKey: ["gates", line, w.from],
    queryFn: ({ signal }) => getJson<GatesResponse>(`/quality/gates${qs({ scope: line, ...win })}`, signal),
    ...opts,
  });
  const decisions = useQuery({
    queryKey: ["decisions", line, w.from],
    queryFn: ({ signal }) =>
      getJson<DecisionsResponse>(`/quality/gates/decisions${qs({ scope: line, limit: 20, ...win })}`, signal),
    ...opts,
  });
  const alerts = useQuery({
    queryKey: ["alerts", "open", line],
    queryFn: ({ signal }) =>
      getJson<AlertListResponse>(`/alerts${qs({ state: "open", scope: line })}`, signal),
    ...opts,
  });
  if (!line) return <Empty title="No line chosen">Open a line from the plant page.</Empty>;
  return (
    <div className="page">
      <PageHeader title={`Line ${line.split("/").at(-1)}`}>
        <Link href={paths.plant(line.split("/").slice(0, 3).join("/"))}>‹ plant</Link>
        <RangePicker value={w.range} onChange={w.set} />
      </PageHeader>
      <Section title="OEE">
        <QueryView query={oee}>
          {(d) => (
            <div className="gauges" data-testid="line-gauges">
              {MEASURES.map((m) => (
                <Gauge
                  key={m}
                  label={MEASURE_LABEL[m]}
                  value={d.total[m]}
                  flag={m === "performance" ? figuresFlag(d.total) : undefined}
                />
              ))}
              <div className="facts-line">
                {d.total.produced} bodies · {d.total.good} good · {d.total.bad} bad
                {d.total.unknownMs > 0 ? ` · unknown ${formatDuration(d.total.unknownMs)}` : ""}
              </div>
            </div>
          )}
        </QueryView>
        <QueryView query={trend}>{(d) => <OeeTrend points={d.points} timeZone={timeZone} />}</QueryView>
      </Section>
      <Section title="Per shift">
        <QueryView
          query={shifts}
          isEmpty={(d) => d.shifts.length === 0}
          empty={<Empty title="No shift counts in this window" />}
        >
          {(d) => <DataTable columns={SHIFT_COLUMNS} rows={d.shifts} rowKey={(x) => x.shift} />}
        </QueryView>
      </Section>
      <Section title="State timeline">
        <QueryView query={timeline}>
          {(d) => <Timeline intervals={d.intervals} from={w.from} to={w.to} />}
        </QueryView>
      </Section>
      <Section title="Open alerts">
        <QueryView
          query={alerts}
          isEmpty={(d) => d.alerts.length === 0}
          empty={<Empty title="No open alerts" />}
        >
          {(d) => (
            <ul>
              {d.alerts.map((a) => (
                <li key={a.id}>
                  <Link href={paths.alerts({ id: String(a.id), state: "open" })}>
                    <span className={`alert-state alert-state-${a.state}`}>{a.state}</span> {a.title}
                  </Link>{" "}
                  <span className="muted">{a.source}</span>
                </li>
              ))}
            </ul>
          )}
        </QueryView>
      </Section>
      <Section title="Weld quality per cell">
        <QueryView
          query={cells}
          isEmpty={(d) => d.cells.length === 0}
          empty={<Empty title="No weld quality results in this window" />}
        >
          {(d) => <DataTable columns={CELL_COLUMNS} rows={d.cells} rowKey={(c) => c.cell} />}
        </QueryView>
      </Section>
      <Section title="Check-gate decisions">
        <QueryView
          query={gates}
          isEmpty={(d) => d.gates.length === 0}
          empty={<Empty title="No gate decisions in this window" />}
        >
          {(d) => (
            <ul className="chips">
              {d.gates.map((g) => (
                <li key={`${g.name}/${g.source}`} className="chip">
                  {g.name}: <span className={`decision-${g.source}`}>{g.source}</span> {g.count}
                </li>
              ))}
            </ul>
          )}
        </QueryView>
        <QueryView query={decisions}>
          {(d) => (
            <ul data-testid="gate-decisions">
              {d.decisions.map((x) => (
                <li key={`${x.time}/${x.bodyId}/${x.ref}`}>
                  <Time value={x.time} /> {x.ref}{" "}
                  <span className={`decision-${String(x.data.decision)}`}>{String(x.data.decision)}</span>{" "}
                  <Link href={paths.body(x.bodyId)}>{x.bodyId}</Link>{" "}
                  <span className="muted">{String(x.data.reason ?? "")}</span>
                </li>
              ))}
            </ul>
          )}
        </QueryView>
      </Section>
      <Section
        title="Defects (Pareto)"
        actions={
          <fieldset className="segmented" aria-label="Defects by">
            {["name", "source", "cell"].map((b) => (
              <button
                key={b}
                type="button"
                className="btn btn-small"
                aria-pressed={by === b}
                onClick={() => update({ by: b })}
              >
                {b === "name" ? "type" : b === "source" ? "type and camera" : "type and cell"}
              </button>
            ))}
          </fieldset>
        }
      >
        <QueryView query={defects}>{(d) => <Pareto rows={d.defects} />}</QueryView>
      </Section>
    </div>
  );
}
