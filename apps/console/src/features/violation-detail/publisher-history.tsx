import { useQuery } from "@tanstack/react-query";
import type { TimeseriesResponse, TotalsResponse, ViolationDetail, ViolationPage } from "@uns/api-contract";
import { Link } from "wouter";
import { getJson, qs } from "../../lib/api";
import { useTimeZone } from "../../lib/config";
import { complianceRate, formatCount } from "../../lib/format";
import { errorTarget } from "../../lib/json-highlight";
import { paths } from "../../lib/links";
import { TrendChart } from "../../lib/trend-chart";
import { ErrorState, KindBadge, Loading, RateBadge, Time } from "../../lib/ui";

/** This publisher's last 24 h: counts, trend and its recent violations. */
export function PublisherHistory({ v }: { v: ViolationDetail }) {
  const to = new Date();
  const from = new Date(to.getTime() - 24 * 3600_000);
  const totals = useQuery({
    queryKey: ["totals", "client", v.clientId],
    queryFn: ({ signal }) =>
      getJson<TotalsResponse>(
        `/compliance/totals${qs({ clientId: v.clientId, from: from.toISOString(), to: to.toISOString() })}`,
        signal,
      ),
  });
  const trend = useQuery({
    queryKey: ["timeseries", "client", v.clientId],
    queryFn: ({ signal }) =>
      getJson<TimeseriesResponse>(
        `/compliance/timeseries${qs({ clientId: v.clientId, from: from.toISOString(), to: to.toISOString() })}`,
        signal,
      ),
  });
  const tz = useTimeZone();
  const recent = useQuery({
    queryKey: ["violations", "client", v.clientId],
    queryFn: ({ signal }) =>
      getJson<ViolationPage>(`/violations${qs({ clientId: v.clientId, limit: 10 })}`, signal),
  });
  return (
    <>
      {totals.data ? (
        <p>
          Last 24 h: <strong>{formatCount(totals.data.total)}</strong> messages,{" "}
          <strong>{formatCount(totals.data.invalid)}</strong> invalid, compliance{" "}
          <RateBadge rate={complianceRate(totals.data)} />.
        </p>
      ) : totals.isError ? (
        <ErrorState error={totals.error} />
      ) : (
        <Loading label="Counting this publisher's messages" />
      )}
      {trend.data ? (
        <div className="publisher-trend" data-testid="publisher-trend">
          <TrendChart
            points={trend.data.points}
            bucketSeconds={trend.data.bucketSeconds}
            timeZone={tz}
            height={160}
          />
        </div>
      ) : trend.isError ? (
        <ErrorState error={trend.error} onRetry={() => void trend.refetch()} />
      ) : (
        <Loading label="Loading this publisher's trend" />
      )}
      {recent.data ? (
        <ul className="history">
          {recent.data.items.map((r) => (
            <li key={r.id} aria-current={r.id === v.id ? "true" : undefined}>
              {r.id === v.id ? (
                <strong>
                  <Time value={r.time} /> (this one)
                </strong>
              ) : (
                <Link href={paths.violation(r.id)}>
                  <Time value={r.time} />
                </Link>
              )}{" "}
              <span className="mono">{r.topic}</span> <KindBadge kind={r.kind} />
              {r.errors[0] ? (
                <span className="muted mono">
                  {" "}
                  {errorTarget(r.errors[0]).path || "(payload)"} {r.errors[0].keyword}
                </span>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
      <p>
        <Link href={paths.violations({ range: "7d", client: v.clientId })}>
          All violations of {v.clientId} →
        </Link>
      </p>
    </>
  );
}
