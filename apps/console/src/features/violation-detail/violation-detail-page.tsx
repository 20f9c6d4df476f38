import { useQuery } from "@tanstack/react-query";
import type { ViolationDetail, ViolationDetailResponse } from "@uns/api-contract";
import { useMemo } from "react";
import { Link } from "wouter";
import { ApiError, getJson } from "../../lib/api";
import { formatBytes } from "../../lib/format";
import { parsePayload } from "../../lib/json-highlight";
import { paths } from "../../lib/links";
import { Empty, ErrorState, KindBadge, Loading, PageHeader, PolicyBadge, Section, Time } from "../../lib/ui";
import { ErrorsTable } from "./errors-table";
import { type Explained, explainErrors } from "./explain-errors";
import { Payload } from "./payload-view";
import { PublisherHistory } from "./publisher-history";
import { SchemaParts } from "./schema-parts";
import { SimilarElsewhere } from "./similar-elsewhere";

/** What the broker did with the message, from its kind and the topic's policy. */
export function fate(v: Pick<ViolationDetail, "kind" | "policy" | "topic">): string {
  if (v.kind === "acl" || v.kind === "topic")
    return `Refused: not delivered; routed to $uns/refused/${v.topic} for admins.`;
  if (v.policy === "enforce")
    return `Quarantined: not delivered to subscribers; routed to $uns/quarantine/${v.topic}.`;
  return "Delivered to subscribers (policy monitor), then recorded as invalid.";
}

export function ViolationDetailPage({ id }: { id: string }) {
  const q = useQuery({
    queryKey: ["violation", id],
    queryFn: ({ signal }) =>
      getJson<ViolationDetailResponse>(`/violations/${encodeURIComponent(id)}`, signal),
    placeholderData: undefined,
    staleTime: Number.POSITIVE_INFINITY,
    retry: (n, err) => !(err instanceof ApiError && err.status < 500) && n < 1,
  });
  if (q.isPending) return <Loading label={`Loading violation ${id}`} />;
  if (q.isError) {
    const notFound = q.error instanceof ApiError && (q.error.status === 404 || q.error.status === 400);
    return (
      <div className="page">
        <PageHeader title={`Violation ${id}`} />
        {notFound ? (
          <Empty title="No such violation">
            It may have been deleted by retention.{" "}
            <Link href={paths.violations()}>Back to the violations</Link>
          </Empty>
        ) : (
          <ErrorState error={q.error} onRetry={() => void q.refetch()} />
        )}
      </div>
    );
  }
  return <ViolationView data={q.data} />;
}

/** The explanation rows and, per error, the row number it is shown under (payload marks). */
export function explainViolation(v: ViolationDetail): { explained: Explained; numberOf: number[] } {
  const parsed = parsePayload(v.payloadText);
  const explained = explainErrors(v.errors, parsed.ok ? parsed.value : undefined, {
    docKnown: parsed.ok && !v.payloadTruncated,
  });
  const numberOf: number[] = [];
  explained.rows.forEach((r, i) => {
    for (const e of r.indexes) numberOf[e] = i + 1;
  });
  return { explained, numberOf };
}

function ViolationView({ data }: { data: ViolationDetailResponse }) {
  const v = data.violation;
  const { explained, numberOf } = useMemo(() => explainViolation(v), [v]);
  return (
    <div className="page page-violation">
      <PageHeader title={`Violation ${v.id}`}>
        <KindBadge kind={v.kind} /> <PolicyBadge policy={v.policy} />{" "}
        <Link href={paths.violations()}>← All violations</Link>
      </PageHeader>
      <Section title="What happened" id="what">
        <dl className="facts">
          <dt>Time</dt>
          <dd>
            <Time value={v.time} />
          </dd>
          <dt>Topic</dt>
          <dd className="mono">{v.topic}</dd>
          <dt>Publisher</dt>
          <dd className="mono">
            {v.clientId}
            {v.username ? <span className="muted"> (user {v.username})</span> : null}
          </dd>
          <dt>Contract</dt>
          <dd>
            {v.contractFile ? (
              <>
                <span className="mono">{v.contractFile}</span> version{" "}
                <strong>{v.contractVersion ?? "?"}</strong>, channel <span className="mono">{v.channel}</span>
                {v.messageName ? (
                  <>
                    , message <span className="mono">{v.messageName}</span>
                  </>
                ) : null}
              </>
            ) : (
              <span className="muted">none</span>
            )}
          </dd>
          <dt>Payload</dt>
          <dd>
            {formatBytes(v.payloadSize)}
            {v.payloadTruncated ? " (truncated in the store)" : ""}
          </dd>
          <dt>Outcome</dt>
          <dd>{fate(v)}</dd>
        </dl>
      </Section>
      <Section
        title={`Why it failed (${v.errors.length} error${v.errors.length === 1 ? "" : "s"})`}
        id="errors"
      >
        <ErrorsTable explained={explained} total={v.errors.length} />
      </Section>
      <div className="grid grid-2">
        <Section title="Payload" id="payload">
          <Payload v={v} numberOf={numberOf} />
        </Section>
        <Section title="The schema that failed" id="schema">
          <SchemaParts data={data} />
        </Section>
      </div>
      <div className="grid grid-2">
        <Section title={`Publisher ${v.clientId}`} id="publisher">
          <PublisherHistory v={v} />
        </Section>
        <Section title="Same error elsewhere" id="similar">
          <SimilarElsewhere data={data} />
        </Section>
      </div>
    </div>
  );
}
