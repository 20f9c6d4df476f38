import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { ValidationError, ViolationItem, ViolationPage } from "@uns/api-contract";
import { useState } from "react";
import { Link } from "wouter";
import { getJson } from "../../lib/api";
import { ExportLinks } from "../../lib/export-links";
import { FilterBar } from "../../lib/filter-bar";
import { apiQuery, type Filters, hasNarrowing } from "../../lib/filters";
import { formatBytes, formatCount } from "../../lib/format";
import { errorTarget } from "../../lib/json-highlight";
import { paths } from "../../lib/links";
import { useLivePaused, useOnViolations } from "../../lib/live";
import { Empty, KindBadge, PageHeader, PolicyBadge, QueryView, Time } from "../../lib/ui";
import { useUrlState } from "../../lib/url-state";

const PAGE_SIZE = 50;

/** "/curve/3: must be number" — where and what, for one line of a table. */
export function errorSummary(e: ValidationError): string {
  const t = errorTarget(e);
  const where = t.path || "(payload)";
  return `${where}: ${e.message}`;
}

function ViolationRow({ v }: { v: ViolationItem }) {
  const first = v.errors[0];
  return (
    <tr>
      <td className="nowrap">
        <Link href={paths.violation(v.id)} aria-label={`Violation ${v.id} on ${v.topic}`}>
          <Time value={v.time} omitTodayDate />
        </Link>
      </td>
      <td className="mono">
        {v.clientId}
        {v.username && v.username !== v.clientId ? (
          <div className="muted small">user {v.username}</div>
        ) : null}
      </td>
      <td className="mono topic-cell">{v.topic}</td>
      <td className="mono">{v.channel ?? <span className="muted">—</span>}</td>
      <td>
        <KindBadge kind={v.kind} /> <PolicyBadge policy={v.policy} />
      </td>
      <td className="error-cell">
        {first ? <span className="mono">{errorSummary(first)}</span> : <span className="muted">—</span>}
        {v.errors.length > 1 ? <span className="muted"> (+{v.errors.length - 1} more)</span> : null}
      </td>
      <td className="num nowrap">{formatBytes(v.payloadSize)}</td>
    </tr>
  );
}

function ViolationTable({ items }: { items: ViolationItem[] }) {
  return (
    <div className="table-wrap">
      <table className="violations" data-testid="violations-table">
        <caption className="sr-only">Violations, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Publisher</th>
            <th scope="col">Topic</th>
            <th scope="col">Channel</th>
            <th scope="col">Kind · policy</th>
            <th scope="col">First error</th>
            <th scope="col" className="num">
              Payload
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((v) => (
            <ViolationRow key={v.id} v={v} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ViolationsPage() {
  const { filters, params, update } = useUrlState();
  const cursor = params.get("cursor") ?? undefined;
  const client = useQueryClient();
  const paused = useLivePaused();
  const [newer, setNewer] = useState<string[]>([]);
  const [arrived, setArrived] = useState(0);

  const key = ["violations", filters, cursor ?? null] as const;
  const q = useQuery({
    queryKey: key,
    queryFn: ({ signal }) =>
      getJson<ViolationPage>(
        `/violations?${apiQuery(filters, ["topicPrefix", "channel", "clientId", "kind"], { cursor, limit: PAGE_SIZE })}`,
        signal,
      ),
  });

  // New violations: the newest page follows them; an older page says how many arrived.
  useOnViolations((batch) => {
    if (!cursor) void client.invalidateQueries({ queryKey: ["violations", filters, null] });
    else setArrived((n) => n + batch.length);
  });

  const goOlder = (next: string) => {
    setNewer((s) => [...s, cursor ?? ""]);
    update({ cursor: next });
  };
  const goNewer = () => {
    const prev = newer[newer.length - 1];
    setNewer((s) => s.slice(0, -1));
    update({ cursor: prev || undefined });
  };
  const goNewest = () => {
    setNewer([]);
    setArrived(0);
    update({ cursor: undefined });
  };

  return (
    <div className="page page-violations">
      <PageHeader title="Violations">
        <span className="muted">{!cursor && !paused ? "Newest first, updating live" : "Newest first"}</span>
        <ExportLinks
          table="violations"
          label="the filtered violations"
          query={apiQuery(filters, ["topicPrefix", "channel", "clientId", "kind"])}
        />
      </PageHeader>
      <FilterBar fields={["topic", "channel", "client", "kind"]} />
      {cursor && arrived > 0 ? (
        <div className="notice" role="status">
          {formatCount(arrived)} new violation{arrived === 1 ? "" : "s"} since this page was opened.{" "}
          <button type="button" className="btn btn-small" onClick={goNewest}>
            Show newest
          </button>
        </div>
      ) : null}
      <QueryView
        query={q}
        loadingLabel="Loading violations"
        isEmpty={(d) => d.items.length === 0}
        empty={<NoViolations filters={filters} paged={Boolean(cursor)} onNewest={goNewest} />}
      >
        {(d) => (
          <>
            <ViolationTable items={d.items} />
            <nav className="pager" aria-label="Pages of violations">
              <button type="button" className="btn" onClick={goNewest} disabled={!cursor}>
                Newest
              </button>
              <button
                type="button"
                className="btn"
                onClick={goNewer}
                disabled={!cursor || newer.length === 0}
              >
                ← Newer
              </button>
              <span className="muted">
                {d.items.length} shown{q.isFetching ? " · refreshing…" : ""}
              </span>
              <button
                type="button"
                className="btn"
                onClick={() => d.nextCursor && goOlder(d.nextCursor)}
                disabled={!d.nextCursor}
              >
                Older →
              </button>
            </nav>
          </>
        )}
      </QueryView>
    </div>
  );
}

function NoViolations({
  filters,
  paged,
  onNewest,
}: {
  filters: Filters;
  paged: boolean;
  onNewest: () => void;
}) {
  if (paged) {
    return (
      <Empty title="No older violations">
        <button type="button" className="btn" onClick={onNewest}>
          Back to the newest
        </button>
      </Empty>
    );
  }
  return (
    <Empty title="No violations in this window">
      {hasNarrowing(filters)
        ? "Try a wider window or fewer filters."
        : "Every message in this window complied with its contract."}
    </Empty>
  );
}
