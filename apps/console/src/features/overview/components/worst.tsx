import { useQuery } from "@tanstack/react-query";
import type { PublishersResponse, SummaryResponse } from "@uns/api-contract";
import { Link } from "wouter";
import { getJson } from "../../../lib/api";
import { apiQuery, type Filters } from "../../../lib/filters";
import { formatCount, formatShare } from "../../../lib/format";
import { paths } from "../../../lib/links";
import { useLiveInterval } from "../../../lib/live";
import { Empty, FailingSince, QueryView, RateBadge, Section, Time } from "../../../lib/ui";

import { REFRESH_MS } from "../refresh";

export const WORST_SORTS = {
  invalid: "Most invalid",
  complianceRate: "Lowest compliance",
} as const;
export type WorstSort = keyof typeof WORST_SORTS;

export function parseWorstSort(v: string | null): WorstSort {
  return v === "complianceRate" ? "complianceRate" : "invalid";
}

/** The worst topics, ranked by the server: only the few shown are fetched, whatever the plant's size. */
export function WorstTopics({
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

export function WorstPublishers({ filters }: { filters: Filters }) {
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
                  {r.nonCompliantSince ? (
                    <>
                      {" "}
                      · failing since <FailingSince value={r.nonCompliantSince} />
                    </>
                  ) : null}
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
