import { useQuery } from "@tanstack/react-query";
import type { BodyEvent, BodyResponse } from "@uns/api-contract";
import { useState } from "react";
import { Link } from "wouter";
import { getJson } from "../../lib/api";
import { paths } from "../../lib/links";
import "../../lib/quality.css";
import { Empty, PageHeader, QueryView, Section, Time } from "../../lib/ui";
import { useUrlState } from "../../lib/url-state";

interface Box {
  label: string;
  score: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The image's frame with the detected splatter boxes; the picture itself when the browser can load it. */
function SplatterImage({ e }: { e: BodyEvent }) {
  const img = (e.data.image ?? {}) as { uri?: string; width?: number; height?: number };
  const boxes = (e.data.detections ?? []) as Box[];
  const w = img.width ?? 640;
  const h = img.height ?? 400;
  const loadable = typeof img.uri === "string" && /^https?:|^\//.test(img.uri);
  return (
    <figure>
      <svg
        className="splatter"
        viewBox={`0 0 ${w} ${h}`}
        width={Math.min(w, 480)}
        role="img"
        aria-label={`${boxes.length} splatter boxes`}
      >
        {loadable ? (
          <image href={img.uri} width={w} height={h} />
        ) : (
          <rect x={0} y={0} width={w} height={h} style={{ fill: "none", stroke: "none" }} />
        )}
        {boxes.map((b) => (
          <rect key={`${b.x}/${b.y}`} x={b.x} y={b.y} width={b.width} height={b.height}>
            <title>
              {b.label} {(b.score * 100).toFixed(0)} %
            </title>
          </rect>
        ))}
      </svg>
      <figcaption className="muted small">
        {String(e.data.camera)} · {e.ref} · {boxes.length} box(es) · <span className="mono">{img.uri}</span>
      </figcaption>
    </figure>
  );
}

/** A body traced from its gate decisions to the evidence: every spot's predicted quality, splatter images. */
export function BodyPage() {
  const { params, update } = useUrlState();
  const id = params.get("id") ?? "";
  const [input, setInput] = useState(id);
  const q = useQuery({
    queryKey: ["body", id],
    queryFn: ({ signal }) => getJson<BodyResponse>(`/quality/bodies/${encodeURIComponent(id)}`, signal),
    enabled: id !== "",
  });
  return (
    <div className="page">
      <PageHeader title="Body" />
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          update({ id: input.trim().toUpperCase() });
        }}
      >
        <label className="field">
          Body id
          <input value={input} onChange={(e) => setInput(e.target.value)} placeholder="NSU01-0000042" />
        </label>
        <button type="submit" className="btn btn-primary">
          Trace
        </button>
      </form>
      {id === "" ? (
        <Empty title="Search a body by its id">Gate decisions on the line page link here too.</Empty>
      ) : (
        <QueryView query={q}>
          {(d) => {
            const gates = d.events.filter((e) => e.kind === "gate");
            const spots = d.events.filter((e) => e.kind === "weld-quality");
            const images = d.events.filter((e) => e.kind === "splatter");
            const line = d.events[0]?.line;
            return (
              <>
                {line ? (
                  <p>
                    Line <Link href={paths.line(line)}>{line}</Link>
                  </p>
                ) : null}
                <Section title={`Gate decisions (${gates.length})`}>
                  <ul data-testid="body-gates">
                    {gates.map((g) => (
                      <li key={`${g.time}/${g.ref}`}>
                        <Time value={g.time} /> <strong>{g.ref}</strong>:{" "}
                        <span className={`decision-${String(g.data.decision)}`}>
                          {String(g.data.decision)}
                        </span>{" "}
                        — {String(g.data.reason ?? "")}
                        <ul>
                          {(
                            (g.data.evidence ?? []) as {
                              kind: string;
                              ref: string;
                              value?: number;
                              threshold?: number;
                              description?: string;
                            }[]
                          ).map((ev) => (
                            <li key={`${ev.kind}/${ev.ref}`}>
                              {ev.kind}{" "}
                              <a href={`#ev-${ev.ref}`} className="mono">
                                {ev.ref}
                              </a>
                              {ev.value !== undefined ? ` value ${ev.value}` : ""}
                              {ev.threshold !== undefined ? ` (threshold ${ev.threshold})` : ""}
                              {ev.description ? ` — ${ev.description}` : ""}
                            </li>
                          ))}
                        </ul>
                      </li>
                    ))}
                  </ul>
                </Section>
                <Section title={`Spots (${spots.length})`}>
                  <div className="table-wrap">
                    <table data-testid="body-spots">
                      <thead>
                        <tr>
                          <th scope="col">Spot</th>
                          <th scope="col">Cell</th>
                          <th scope="col">Predicted nugget (mm)</th>
                          <th scope="col">Limit (mm)</th>
                          <th scope="col">Anomaly score</th>
                          <th scope="col">Verdict</th>
                        </tr>
                      </thead>
                      <tbody>
                        {spots.map((s) => {
                          const dia = Number(s.data.predictedNuggetDiameter);
                          const lim = Number(s.data.minNuggetDiameter);
                          const bad = s.data.verdict !== "ok";
                          return (
                            <tr
                              key={`${s.ref}/${s.time}`}
                              id={`ev-${s.ref}`}
                              className={bad ? "row-bad" : undefined}
                            >
                              <td className="mono">{s.ref}</td>
                              <td>{s.cell}</td>
                              <td className={`num ${dia < lim ? "bad" : ""}`}>
                                {Number.isFinite(dia) ? dia.toFixed(2) : "?"}
                              </td>
                              <td className="num">{Number.isFinite(lim) ? lim.toFixed(1) : "?"}</td>
                              <td className="num">
                                {String(s.data.anomalyScore)}
                                {s.data.anomaly ? " (anomaly)" : ""}
                              </td>
                              <td>{String(s.data.verdict)}</td>
                            </tr>
                          );
                        })}
                      </tbody>
                    </table>
                  </div>
                </Section>
                <Section title={`Splatter images (${images.length})`}>
                  {images.length === 0 ? <Empty title="No splatter inspection for this body" /> : null}
                  {images.map((e) => (
                    <div key={e.ref} id={`ev-${e.ref}`}>
                      <SplatterImage e={e} />
                    </div>
                  ))}
                </Section>
              </>
            );
          }}
        </QueryView>
      )}
    </div>
  );
}
