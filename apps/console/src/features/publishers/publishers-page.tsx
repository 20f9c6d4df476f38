import { useQuery } from "@tanstack/react-query";
import type { PublishersResponse } from "@uns/api-contract";
import type { ReactNode } from "react";
import { Link } from "wouter";
import { getJson } from "../../lib/api";
import { ExportLinks } from "../../lib/export-links";
import { FilterBar } from "../../lib/filter-bar";
import { apiQuery } from "../../lib/filters";
import { formatCount, formatShare } from "../../lib/format";
import { paths } from "../../lib/links";
import { useLiveInterval } from "../../lib/live";
import { Empty, FailingSince, PageHeader, QueryView, Time } from "../../lib/ui";
import { useUrlState } from "../../lib/url-state";

export const SORTS = ["invalid", "invalidShare", "lastViolation", "messages"] as const;
export type Sort = (typeof SORTS)[number];

export function parseSort(v: string | null): Sort {
  return (SORTS as readonly string[]).includes(v ?? "") ? (v as Sort) : "invalid";
}

function SortHeader({
  sort,
  current,
  onSort,
  children,
  className,
}: {
  sort: Sort;
  current: Sort;
  onSort: (s: Sort) => void;
  children: ReactNode;
  className?: string;
}) {
  const active = sort === current;
  return (
    <th scope="col" aria-sort={active ? "descending" : "none"} className={className}>
      <button
        type="button"
        className="sort"
        onClick={() => onSort(sort)}
        aria-label={`Sort by ${String(children).toLowerCase()}, highest first`}
      >
        {children}
        <span aria-hidden="true">{active ? " ▼" : " ↕"}</span>
      </button>
    </th>
  );
}

export function PublishersPage() {
  const { filters, params, update } = useUrlState();
  const sort = parseSort(params.get("sort"));
  const interval = useLiveInterval(15_000);
  const q = useQuery({
    queryKey: ["publishers", filters.range, filters.from, filters.to, filters.topic, filters.channel, sort],
    queryFn: ({ signal }) =>
      getJson<PublishersResponse>(
        `/publishers?${apiQuery(filters, ["topicPrefix", "channel"], { sort, limit: 500 })}`,
        signal,
      ),
    refetchInterval: interval,
  });
  const onSort = (s: Sort) => update({ sort: s === "invalid" ? undefined : s }, { replace: true });
  return (
    <div className="page page-publishers">
      <PageHeader title="Publishers">
        <span className="muted">The failing-clients list: who sends what, and how much of it is invalid</span>
        <ExportLinks
          table="publishers"
          label="publishers"
          query={apiQuery(filters, ["topicPrefix", "channel"])}
        />
      </PageHeader>
      <FilterBar fields={["topic", "channel"]} resetKeys={[]} />
      <QueryView
        query={q}
        loadingLabel="Loading publishers"
        isEmpty={(d) => d.rows.length === 0}
        empty={
          <Empty title="No publisher sent a message in this window">
            {filters.topic || filters.channel ? "Try a wider window, or another subtree or channel." : null}
          </Empty>
        }
      >
        {(d) => (
          <div className="table-wrap">
            <table data-testid="publishers-table">
              <caption className="sr-only">Publishers, sorted by {sort}</caption>
              <thead>
                <tr>
                  <th scope="col">Client id</th>
                  <SortHeader sort="messages" current={sort} onSort={onSort} className="num">
                    Messages
                  </SortHeader>
                  <SortHeader sort="invalid" current={sort} onSort={onSort} className="num">
                    Invalid
                  </SortHeader>
                  <SortHeader sort="invalidShare" current={sort} onSort={onSort} className="num">
                    Invalid share
                  </SortHeader>
                  <th scope="col">First violation</th>
                  <SortHeader sort="lastViolation" current={sort} onSort={onSort}>
                    Last violation
                  </SortHeader>
                  <th scope="col" title="Start of the current failing streak, within the window">
                    Non-compliant since
                  </th>
                  <th scope="col">Channels broken</th>
                </tr>
              </thead>
              <tbody>
                {d.rows.map((r) => (
                  <tr key={r.clientId} className={r.invalid > 0 ? "row-bad" : undefined}>
                    <th scope="row" className="mono">
                      {r.invalid > 0 ? (
                        <Link href={paths.violations({ ...filters, client: r.clientId })}>{r.clientId}</Link>
                      ) : (
                        r.clientId
                      )}
                      {r.username && r.username !== r.clientId ? (
                        <div className="muted small">user {r.username}</div>
                      ) : null}
                    </th>
                    <td className="num">{formatCount(r.messages)}</td>
                    <td className="num">{formatCount(r.invalid)}</td>
                    <td className="num share-cell">
                      <span className="sharebar" aria-hidden="true">
                        <span style={{ width: `${Math.min(100, r.invalidShare * 100)}%` }} />
                      </span>
                      {formatShare(r.invalidShare)}
                    </td>
                    <td className="nowrap">
                      <Time value={r.firstViolation} />
                    </td>
                    <td className="nowrap">
                      <Time value={r.lastViolation} />
                    </td>
                    <td>
                      <FailingSince value={r.nonCompliantSince} />
                    </td>
                    <td>
                      {r.channels.length === 0 ? (
                        <span className="muted">—</span>
                      ) : (
                        <ul className="chips">
                          {r.channels.map((c) => (
                            <li key={c}>
                              <Link
                                href={paths.violations({ ...filters, client: r.clientId, channel: c })}
                                className="chip mono"
                              >
                                {c}
                              </Link>
                            </li>
                          ))}
                        </ul>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p className="muted small">
              First and last violation and channels broken are all-time; messages and invalid counts are for
              the window{filters.topic ? `, under ${filters.topic}` : ""}
              {filters.channel ? ` on channel ${filters.channel}` : ""}.
            </p>
          </div>
        )}
      </QueryView>
    </div>
  );
}
