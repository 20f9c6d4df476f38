import { useQuery } from "@tanstack/react-query";
import type {
  PublishersResponse,
  SummaryResponse,
  SummaryRow,
  TimeseriesResponse,
  TopicsResponse,
  TotalsResponse,
} from "@uns/api-contract";
import { Link } from "wouter";
import { getJson } from "../../lib/api";
import { useTimeZone } from "../../lib/config";
import { FilterBar } from "../../lib/filter-bar";
import { apiQuery, type Filters, RANGE_LABELS, windowOf } from "../../lib/filters";
import { complianceRate, formatCount, formatPerSecond, formatShare, formatTime } from "../../lib/format";
import { paths } from "../../lib/links";
import { useLive, useLiveInterval } from "../../lib/live";
import { OUTCOME_COLORS, TrendChart } from "../../lib/trend-chart";
import { Empty, PageHeader, QueryView, RateBadge, RateBar, Section, Time } from "../../lib/ui";
import { useUrlState } from "../../lib/url-state";
import { defaultDepth, levelNames } from "./levels";

const REFRESH_MS = 10_000;

function Tiles({ filters }: { filters: Filters }) {
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

function LiveRates() {
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

function Trend({ filters }: { filters: Filters }) {
  const tz = useTimeZone();
  const interval = useLiveInterval(REFRESH_MS * 3);
  const q = useQuery({
    queryKey: ["timeseries", filters],
    queryFn: ({ signal }) =>
      getJson<TimeseriesResponse>(
        `/compliance/timeseries?${apiQuery(filters, ["topicPrefix", "channel"])}`,
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
        {(d) => <TrendChart points={d.points} bucketSeconds={d.bucketSeconds} timeZone={tz} />}
      </QueryView>
    </Section>
  );
}

function SummaryTable({
  rows,
  caption,
  linkFor,
  keyLabel,
}: {
  rows: SummaryRow[];
  caption: string;
  keyLabel: string;
  linkFor: (key: string | null) => string;
}) {
  return (
    <div className="table-wrap">
      <table>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{keyLabel}</th>
            <th scope="col">Compliance</th>
            <th scope="col" className="num">
              Valid
            </th>
            <th scope="col" className="num">
              Invalid
            </th>
            <th scope="col" className="num">
              Unvalidated
            </th>
            <th scope="col" className="num">
              Ungoverned
            </th>
            <th scope="col" className="num">
              Total
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key ?? "(none)"}>
              <th scope="row" className="mono">
                <Link href={linkFor(r.key)}>{r.key ?? "(no channel)"}</Link>
              </th>
              <td className="rate-cell">
                <RateBar rate={r.complianceRate} /> <RateBadge rate={r.complianceRate} />
              </td>
              <td className="num">{formatCount(r.valid)}</td>
              <td className="num">{formatCount(r.invalid)}</td>
              <td className="num">{formatCount(r.unvalidated)}</td>
              <td className="num">{formatCount(r.ungoverned)}</td>
              <td className="num">{formatCount(r.total)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Worst first: most invalid messages, then lowest compliance. */
function worstFirst(rows: SummaryRow[]): SummaryRow[] {
  return [...rows].sort(
    (a, b) => b.invalid - a.invalid || (a.complianceRate ?? 1) - (b.complianceRate ?? 1) || b.total - a.total,
  );
}

function ByLevel({
  filters,
  depth,
  names,
  onDepth,
}: {
  filters: Filters;
  depth: number;
  names: string[];
  onDepth: (d: number) => void;
}) {
  const interval = useLiveInterval(REFRESH_MS * 3);
  const q = useQuery({
    queryKey: ["summary", "level", depth, filters],
    queryFn: ({ signal }) =>
      getJson<SummaryResponse>(
        `/compliance/summary?${apiQuery(filters, ["topicPrefix", "channel"], { by: "level", depth, limit: 200 })}`,
        signal,
      ),
    refetchInterval: interval,
  });
  const choices = names
    .map((n, i) => ({ depth: i + 1, name: n }))
    .filter((c) => c.depth > 1 || names.length === 1);
  return (
    <Section
      title={`By ${names[depth - 1] ?? `level ${depth}`}`}
      id="by-level"
      actions={
        <fieldset className="segmented">
          <legend className="sr-only">Group by topic level</legend>
          {choices.map((c) => (
            <button
              type="button"
              key={c.depth}
              className="btn btn-small"
              aria-pressed={c.depth === depth}
              onClick={() => onDepth(c.depth)}
            >
              {c.name}
            </button>
          ))}
        </fieldset>
      }
    >
      <QueryView
        query={q}
        loadingLabel="Loading"
        isEmpty={(d) => d.rows.length === 0}
        empty={<Empty title="No messages in this window" />}
      >
        {(d) => (
          <SummaryTable
            rows={worstFirst(d.rows)}
            caption={`Compliance by ${names[depth - 1]}`}
            keyLabel={names[depth - 1] ?? "Topic prefix"}
            linkFor={(key) => paths.violations({ ...filters, topic: key ? `${key}/` : undefined })}
          />
        )}
      </QueryView>
    </Section>
  );
}

function ByChannel({ filters }: { filters: Filters }) {
  const interval = useLiveInterval(REFRESH_MS * 3);
  const q = useQuery({
    queryKey: ["summary", "channel", filters],
    queryFn: ({ signal }) =>
      getJson<SummaryResponse>(
        `/compliance/summary?${apiQuery(filters, ["topicPrefix", "channel"], { by: "channel", limit: 200 })}`,
        signal,
      ),
    refetchInterval: interval,
  });
  return (
    <Section title="By channel" id="by-channel">
      <QueryView
        query={q}
        isEmpty={(d) => d.rows.length === 0}
        empty={<Empty title="No messages in this window" />}
      >
        {(d) => (
          <SummaryTable
            rows={worstFirst(d.rows)}
            caption="Compliance by AsyncAPI channel"
            keyLabel="Channel"
            linkFor={(key) =>
              key ? paths.violations({ ...filters, channel: key }) : paths.contracts(filters)
            }
          />
        )}
      </QueryView>
    </Section>
  );
}

const WORST_SORTS = {
  invalid: "Most invalid",
  complianceRate: "Lowest compliance",
} as const;
type WorstSort = keyof typeof WORST_SORTS;

function parseWorstSort(v: string | null): WorstSort {
  return v === "complianceRate" ? "complianceRate" : "invalid";
}

/** The worst topics, ranked by the server: only the few shown are fetched, whatever the plant's size. */
function WorstTopics({
  filters,
  sort,
  onSort,
}: {
  filters: Filters;
  sort: WorstSort;
  onSort: (s: WorstSort) => void;
}) {
  const interval = useLiveInterval(REFRESH_MS * 3);
  const q = useQuery({
    queryKey: ["summary", "topic", "worst", sort, filters],
    queryFn: ({ signal }) =>
      getJson<SummaryResponse>(
        `/compliance/summary?${apiQuery(filters, ["topicPrefix", "channel"], { by: "topic", sort, limit: 8 })}`,
        signal,
      ),
    refetchInterval: interval,
    select: (d) => d.rows.filter((r) => r.invalid > 0),
  });
  return (
    <Section
      title="Worst topics"
      id="worst-topics"
      actions={
        <fieldset className="segmented">
          <legend className="sr-only">Rank the worst topics by</legend>
          {(Object.keys(WORST_SORTS) as WorstSort[]).map((k) => (
            <button
              type="button"
              key={k}
              className="btn btn-small"
              aria-pressed={k === sort}
              onClick={() => onSort(k)}
            >
              {WORST_SORTS[k]}
            </button>
          ))}
        </fieldset>
      }
    >
      <QueryView
        query={q}
        isEmpty={(rows) => rows.length === 0}
        empty={<Empty title="No invalid messages in this window" />}
      >
        {(rows) => (
          <ol className="worst" data-testid="worst-topics">
            {rows.map((r) => (
              <li key={r.key}>
                <Link href={paths.violations({ ...filters, topic: r.key ?? undefined })} className="mono">
                  {r.key}
                </Link>
                <span>
                  <strong>{formatCount(r.invalid)}</strong> invalid · <RateBadge rate={r.complianceRate} />
                </span>
              </li>
            ))}
          </ol>
        )}
      </QueryView>
    </Section>
  );
}

function WorstPublishers({ filters }: { filters: Filters }) {
  const interval = useLiveInterval(REFRESH_MS * 3);
  const q = useQuery({
    queryKey: [
      "publishers",
      "worst",
      filters.range,
      filters.from,
      filters.to,
      filters.topic,
      filters.channel,
    ],
    queryFn: ({ signal }) =>
      getJson<PublishersResponse>(
        `/publishers?${apiQuery(filters, ["topicPrefix", "channel"], { sort: "invalid", limit: 8 })}`,
        signal,
      ),
    refetchInterval: interval,
    select: (d) => d.rows.filter((r) => r.invalid > 0),
  });
  return (
    <Section title="Worst publishers" id="worst-publishers">
      <QueryView
        query={q}
        isEmpty={(rows) => rows.length === 0}
        empty={<Empty title="No publisher sent an invalid message in this window" />}
      >
        {(rows) => (
          <ol className="worst">
            {rows.map((r) => (
              <li key={r.clientId}>
                <Link href={paths.violations({ ...filters, client: r.clientId })} className="mono">
                  {r.clientId}
                </Link>
                <span>
                  <strong>{formatCount(r.invalid)}</strong> invalid ({formatShare(r.invalidShare)}) · last{" "}
                  <Time value={r.lastViolation} omitTodayDate />
                </span>
              </li>
            ))}
          </ol>
        )}
      </QueryView>
      <p>
        <Link href={paths.publishers(filters)}>All publishers →</Link>
      </p>
    </Section>
  );
}

/** The level names come from the governed tree (a one-minute window keeps the topic list small). */
function useLevelNames(): string[] {
  const q = useQuery({
    queryKey: ["tree-levels"],
    queryFn: ({ signal }) => {
      const to = new Date();
      const from = new Date(to.getTime() - 60_000);
      return getJson<TopicsResponse>(`/topics?from=${from.toISOString()}&to=${to.toISOString()}`, signal);
    },
    staleTime: 5 * 60_000,
    select: (d) => levelNames(d.tree),
  });
  return q.data ?? ["enterprise", "site", "area", "line", "cell"];
}

export function OverviewPage() {
  const { filters, params, update } = useUrlState();
  const tz = useTimeZone();
  const names = useLevelNames();
  const depthParam = Number(params.get("depth"));
  const depth =
    Number.isInteger(depthParam) && depthParam >= 1 && depthParam <= 12 ? depthParam : defaultDepth(names);
  const w = windowOf(filters);
  return (
    <div className="page page-overview">
      <PageHeader title="Overview">
        <span className="muted">
          {filters.range === "custom" ? (
            <>
              {formatTime(w.from, tz, { seconds: false })} – {formatTime(w.to, tz, { seconds: false })}
            </>
          ) : (
            RANGE_LABELS[filters.range]
          )}
          {filters.topic ? ` · ${filters.topic}` : ""}
          {filters.channel ? ` · channel ${filters.channel}` : ""}
        </span>
      </PageHeader>
      <FilterBar fields={["topic", "channel"]} resetKeys={[]} />
      <Tiles filters={filters} />
      <div className="grid grid-2-1">
        <Trend filters={filters} />
        <LiveRates />
      </div>
      <div className="grid grid-2">
        <ByLevel
          filters={filters}
          depth={depth}
          names={names}
          onDepth={(d) => update({ depth: String(d) }, { replace: true })}
        />
        <ByChannel filters={filters} />
      </div>
      <div className="grid grid-2">
        <WorstTopics
          filters={filters}
          sort={parseWorstSort(params.get("worst"))}
          onSort={(k) => update({ worst: k === "invalid" ? undefined : k }, { replace: true })}
        />
        <WorstPublishers filters={filters} />
      </div>
    </div>
  );
}
