import { useQuery } from "@tanstack/react-query";
import type { OeeFigures, OeeResponse } from "@uns/api-contract";
import { useEffect } from "react";
import { Link } from "wouter";
import { getJson, qs } from "../../lib/api";
import { paths } from "../../lib/links";
import {
  figuresFlag,
  formatDuration,
  Gauge,
  MEASURE_LABEL,
  MEASURES,
  type Measure,
  pct,
  RangePicker,
  useRange,
} from "../../lib/quality-ui";
import { Empty, PageHeader, QueryView, Section } from "../../lib/ui";
import { useUrlState } from "../../lib/url-state";

const LEVEL = ["Enterprise", "Site", "Area", "Line"];

function Facts({ f }: { f: OeeFigures }) {
  const known = f.runningMs + f.downMs + f.plannedStopMs;
  return (
    <div className="facts-line">
      {f.produced} bodies, {f.good} good · running {formatDuration(f.runningMs)}, down{" "}
      {formatDuration(f.downMs)}, planned stop {formatDuration(f.plannedStopMs)}
      {f.unknownMs > 0
        ? ` · unknown ${formatDuration(f.unknownMs)} (${pct(f.unknownMs / (known + f.unknownMs), 0)})`
        : ""}
      {f.counterResets > 0 ? ` · ${f.counterResets} counter reset(s)` : ""}
    </div>
  );
}

/**
 * How the plant is doing: OEE per enterprise, site, area and line (ISO 22400-2, from summed times
 * and counts), drilling down by clicking; the measure shown is toggled and kept in the URL.
 */
export function PlantPage() {
  const { params, update } = useUrlState();
  const scope = params.get("scope") ?? "";
  const show = (params.get("show") as Measure) ?? "oee";
  const w = useRange("24h");
  const q = useQuery({
    queryKey: ["oee", scope, w.from, w.to],
    queryFn: ({ signal }) =>
      getJson<OeeResponse>(`/quality/oee${qs({ scope, from: w.from, to: w.to })}`, signal),
    refetchInterval: 10_000,
  });
  // One enterprise: start at it.
  useEffect(() => {
    if (scope === "" && q.data?.groups.length === 1)
      update({ scope: q.data.groups[0]!.path }, { replace: true });
  }, [scope, q.data, update]);
  const crumbs = scope ? scope.split("/") : [];
  return (
    <div className="page">
      <PageHeader title="Plant">
        <RangePicker value={w.range} onChange={w.set} />
      </PageHeader>
      <nav aria-label="Plant level" className="chips">
        <button type="button" className="btn btn-small" onClick={() => update({ scope: "" })}>
          All
        </button>
        {crumbs.map((c, i) => (
          <button
            key={c}
            type="button"
            className="btn btn-small"
            onClick={() => update({ scope: crumbs.slice(0, i + 1).join("/") })}
          >
            {LEVEL[i]}: {c}
          </button>
        ))}
      </nav>
      <QueryView query={q}>
        {(d) =>
          d.groups.length === 0 ? (
            <Empty title="No production data in this window">
              OEE appears when lines publish lineState and lineCounts (see the simulator: pnpm demo).
            </Empty>
          ) : (
            <>
              <Section title={scope ? `${LEVEL[crumbs.length - 1]} ${scope}` : "All enterprises"}>
                <div className="gauges" data-testid="plant-total">
                  {MEASURES.map((m) => (
                    <Gauge
                      key={m}
                      label={MEASURE_LABEL[m]}
                      value={d.total[m]}
                      flag={m === "performance" ? figuresFlag(d.total) : undefined}
                      size={m === "oee" ? 160 : 120}
                    />
                  ))}
                </div>
                <Facts f={d.total} />
              </Section>
              <Section
                title={`${LEVEL[d.depth - 1]}s`}
                actions={
                  <fieldset className="segmented" aria-label="Measure shown">
                    {MEASURES.map((m) => (
                      <button
                        key={m}
                        type="button"
                        className="btn btn-small"
                        aria-pressed={show === m}
                        onClick={() => update({ show: m })}
                      >
                        {MEASURE_LABEL[m]}
                      </button>
                    ))}
                  </fieldset>
                }
              >
                <div className="plant-grid">
                  {d.groups.map((g) => {
                    const name = g.path.split("/").at(-1);
                    return (
                      <article key={g.path} className="plant-card" data-testid="plant-card">
                        <h3>
                          {d.depth === 4 ? (
                            <Link href={paths.line(g.path, w.range)}>{name}</Link>
                          ) : (
                            <button
                              type="button"
                              className="btn btn-small"
                              onClick={() => update({ scope: g.path })}
                            >
                              {name} ›
                            </button>
                          )}
                        </h3>
                        <Gauge
                          label={MEASURE_LABEL[show]}
                          value={g[show]}
                          flag={show === "performance" ? figuresFlag(g) : undefined}
                        />
                        <div className="facts-line">
                          {MEASURES.filter((m) => m !== show)
                            .map((m) => `${MEASURE_LABEL[m]} ${pct(g[m])}`)
                            .join(" · ")}
                        </div>
                        <Facts f={g} />
                      </article>
                    );
                  })}
                </div>
              </Section>
            </>
          )
        }
      </QueryView>
    </div>
  );
}
