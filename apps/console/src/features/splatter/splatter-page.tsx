import { useQuery } from "@tanstack/react-query";
import type { SplatterCameraRate, SplatterCamerasResponse } from "@uns/api-contract";
import { getJson } from "../../lib/api";
import "../../lib/quality.css";
import { pct, RangePicker, useRange } from "../../lib/quality-ui";
import { Empty, PageHeader, QueryView, Section } from "../../lib/ui";

/** The splatter stations: per camera the share of images with splatter, over the window and per bucket. */
type CameraRate = SplatterCameraRate;

/** Bars of the rate per bucket (height = rate, empty buckets blank); the numbers are in the titles. */
function Sparkline({ points }: { points: CameraRate["points"] }) {
  const n = Math.max(1, points.length);
  return (
    <svg
      className="spark"
      viewBox={`0 0 ${n} 20`}
      preserveAspectRatio="none"
      width={160}
      height={24}
      aria-hidden="true"
    >
      {points.map((p, i) =>
        p.rate === null ? null : (
          <rect
            key={p.t}
            x={i}
            y={20 - Math.max(0.5, p.rate * 20)}
            width={0.9}
            height={Math.max(0.5, p.rate * 20)}
          >
            <title>
              {p.t}: {p.withSplatter} of {p.images} image(s) with splatter
            </title>
          </rect>
        ),
      )}
    </svg>
  );
}

export function SplatterPage() {
  const { range, from, to, set } = useRange("8h");
  const q = useQuery({
    queryKey: ["splatter-cameras", from, to],
    queryFn: ({ signal }) =>
      getJson<SplatterCamerasResponse>(
        `/quality/splatter/cameras?${new URLSearchParams({ from, to })}`,
        signal,
      ),
    refetchInterval: 15_000,
  });
  return (
    <div className="page">
      <PageHeader title="Splatter">
        <RangePicker value={range} onChange={set} />
      </PageHeader>
      <QueryView query={q}>
        {(d) => (
          <Section title="Detection rate per camera">
            {d.cameras.length === 0 ? (
              <Empty title="No splatter inspection in this window">
                The splatter processor reports here once it scores images (splatter.enabled).
              </Empty>
            ) : (
              <div className="table-wrap">
                <table data-testid="splatter-cameras">
                  <thead>
                    <tr>
                      <th scope="col">Line</th>
                      <th scope="col">Cell</th>
                      <th scope="col">Camera</th>
                      <th scope="col">Images</th>
                      <th scope="col">With splatter</th>
                      <th scope="col">Rate</th>
                      <th scope="col">Boxes</th>
                      <th scope="col">Over time ({Math.round(d.bucketSeconds / 60)} min)</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.cameras.map((c) => (
                      <tr key={`${c.line}/${c.cell}/${c.camera}`}>
                        <td className="mono">{c.line}</td>
                        <td>{c.cell}</td>
                        <td>{c.camera}</td>
                        <td className="num">{c.images}</td>
                        <td className="num">{c.withSplatter}</td>
                        <td className="num" data-testid={`rate-${c.cell}-${c.camera}`}>
                          {pct(c.rate)}
                        </td>
                        <td className="num">{c.detections}</td>
                        <td>
                          <Sparkline points={c.points} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Section>
        )}
      </QueryView>
    </div>
  );
}
