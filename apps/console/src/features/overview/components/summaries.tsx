import { useQuery } from "@tanstack/react-query";
import type { SummaryResponse, SummaryRow } from "@uns/api-contract";
import { Link } from "wouter";
import { getJson } from "../../../lib/api";
import { ExportLinks } from "../../../lib/export-links";
import { apiQuery, type Filters } from "../../../lib/filters";
import { formatCount } from "../../../lib/format";
import { paths } from "../../../lib/links";
import { useLiveInterval } from "../../../lib/live";
import { Empty, FailingSince, QueryView, RateBadge, RateBar, Section } from "../../../lib/ui";

import { REFRESH_MS } from "../refresh";

export function SummaryTable({
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
              <th scope="row" className="mono summary-key">
                <Link href={linkFor(r.key)}>{r.key ?? "(no channel)"}</Link>
                {/* Under the key, not in a column of its own: these tables share a row of the
                    overview and must fit half of 1,440 px. */}
                {r.nonCompliantSince ? (
                  <div className="small since-line">
                    non-compliant since <FailingSince value={r.nonCompliantSince} />
                  </div>
                ) : null}
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
export function worstFirst(rows: SummaryRow[]): SummaryRow[] {
  return [...rows].sort(
    (a, b) => b.invalid - a.invalid || (a.complianceRate ?? 1) - (b.complianceRate ?? 1) || b.total - a.total,
  );
}

export function ByLevel({
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
        <>
          <ExportLinks
            table="compliance"
            label="this table"
            query={apiQuery(filters, ["topicPrefix", "channel"], { by: "level", depth })}
          />
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
        </>
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

export function ByChannel({ filters }: { filters: Filters }) {
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
