import { useQuery } from "@tanstack/react-query";
import type { TimeseriesResponse, TotalsResponse } from "@uns/api-contract";
import { Link } from "wouter";
import { getJson } from "../../../lib/api";
import { useTimeZone } from "../../../lib/config";
import { apiQuery, type Filters } from "../../../lib/filters";
import { complianceRate, formatCount, formatPerSecond, formatShare, formatTime } from "../../../lib/format";
import { paths } from "../../../lib/links";
import { useLive, useLiveInterval } from "../../../lib/live";
import { OUTCOME_COLORS, TrendChart } from "../../../lib/trend-chart";
import { Empty, QueryView, RateBadge, Section } from "../../../lib/ui";

import { REFRESH_MS } from "../refresh";

export function Tiles({ filters }: { filters: Filters }) {
  const interval = useLiveInterval(REFRESH_MS);
  const q = useQuery({
    queryKey: ["totals", filters],
    queryFn: ({ signal }) =>
      getJson<TotalsResponse>(`/compliance/totals?${apiQuery(filters, ["topicPrefix", "channel"])}`, signal),
    refetchInterval: interval,
  });
  return (
    <QueryView query={q} loadingLabel="Counting messages">
      {(t) => {
        const rate = complianceRate(t);
        return (
          <div className="tiles" data-testid="totals">
            <div className="tile tile-rate">
              <div className="tile-label">Compliance</div>
              <div className="tile-value" data-testid="compliance-rate">
                <RateBadge rate={rate} />
              </div>
              <div className="tile-sub muted">valid ÷ (valid + invalid)</div>
            </div>
            {(
              [
                ["valid", "Valid"],
                ["invalid", "Invalid"],
                ["unvalidated", "Unvalidated"],
                ["ungoverned", "Ungoverned"],
              ] as const
            ).map(([k, label]) => (
              <div className={`tile tile-${k}`} key={k}>
                <div className="tile-label">
                  <span className="swatch" style={{ background: OUTCOME_COLORS[k] }} aria-hidden="true" />
                  {label}
                </div>
                <div className="tile-value" data-testid={`count-${k}`}>
                  {k === "invalid" && t.invalid > 0 ? (
                    <Link href={paths.violations(filters)} className="tile-link">
                      {formatCount(t[k])}
                    </Link>
                  ) : (
                    formatCount(t[k])
                  )}
                </div>
                <div className="tile-sub muted">{t.total ? formatShare(t[k] / t.total) : "—"} of all</div>
              </div>
            ))}
            <div className="tile">
              <div className="tile-label">All messages</div>
              <div className="tile-value" data-testid="count-total">
                {formatCount(t.total)}
              </div>
              <div className="tile-sub muted">in the window</div>
            </div>
          </div>
        );
      }}
    </QueryView>
  );
}

export function LiveRates() {
  const live = useLive();
  const r = live.rates;
  return (
    <Section title="Live rates" id="live-rates">
      {live.paused ? (
        <p className="muted">Live updates are paused.</p>
      ) : !r ? (
        <p className="muted">Waiting for the server's first rates…</p>
      ) : (
        <dl className="live-rates">
          {(["valid", "invalid", "unvalidated", "ungoverned"] as const).map((k) => (
            <div key={k}>
              <dt>
                <span className="swatch" style={{ background: OUTCOME_COLORS[k] }} aria-hidden="true" />
                {k}
              </dt>
              <dd>
                <strong>{formatPerSecond(r.perSecond[k])}</strong>
                <span className="muted"> · {formatCount(r.totals[k])} since start</span>
              </dd>
            </div>
          ))}
        </dl>
      )}
      {r && r.violationsNotStreamed > 0 && !live.paused ? (
        <p className="muted">
          {formatCount(r.violationsNotStreamed)} violations in the last second were counted but not streamed
          (flood).
        </p>
      ) : null}
    </Section>
  );
}

export function Trend({ filters }: { filters: Filters }) {
  const tz = useTimeZone();
  const interval = useLiveInterval(REFRESH_MS * 3);
  const q = useQuery({
    queryKey: ["timeseries", filters],
    queryFn: ({ signal }) =>
      getJson<TimeseriesResponse>(
        // A chosen range is fitted to the data (a fresh install's minutes in minute buckets, not
        // squeezed into the last of 60 buckets of 24 h); a custom window is drawn as asked.
        `/compliance/timeseries?${apiQuery(filters, ["topicPrefix", "channel"], filters.range === "custom" ? {} : { fit: "true" })}`,
        signal,
      ),
    refetchInterval: interval,
  });
  return (
    <Section title="Trend" id="trend">
      <QueryView
        query={q}
        loadingLabel="Loading the trend"
        isEmpty={(d) => d.points.length === 0}
        empty={<Empty title="No messages in this window" />}
      >
        {(d) => (
          <>
            {d.fitted ? (
              <p className="muted small" data-testid="trend-fitted">
                Fitted to the data: from {formatTime(d.from, tz, { seconds: false, omitTodayDate: true })}, in{" "}
                {d.bucketSeconds / 60} min buckets
              </p>
            ) : null}
            <TrendChart points={d.points} bucketSeconds={d.bucketSeconds} timeZone={tz} />
          </>
        )}
      </QueryView>
    </Section>
  );
}
