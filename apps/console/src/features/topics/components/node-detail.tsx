import { Link } from "wouter";
import { ApiError } from "../../../lib/api";
import type { Filters } from "../../../lib/filters";
import { complianceRate, formatBytes, formatCount } from "../../../lib/format";
import { parsePayload } from "../../../lib/json-highlight";
import { JsonView } from "../../../lib/json-view";
import { paths } from "../../../lib/links";
import { Empty, ErrorState, Loading, PolicyBadge, RateBadge, Section, Time } from "../../../lib/ui";
import { useLastMessageQuery } from "../api";
import type { TopicNode } from "../build-tree";
import { perMinute } from "./per-minute";

function LastMessageView({ topic }: { topic: string }) {
  const q = useLastMessageQuery(topic);
  if (q.isPending) return <Loading label="Loading the last message" />;
  if (q.isError) {
    if (q.error instanceof ApiError && q.error.status === 404)
      return <Empty title="No message kept for this topic" />;
    return <ErrorState error={q.error} onRetry={() => void q.refetch()} />;
  }
  const m = q.data;
  const parsed = parsePayload(m.payloadText);
  return (
    <>
      <p className="small">
        <Time value={m.time} /> from <span className="mono">{m.clientId}</span>, {m.outcome},{" "}
        {formatBytes(m.payloadSize)}
        {m.payloadTruncated ? " (truncated)" : ""}
      </p>
      {parsed.ok ? (
        <JsonView value={parsed.value} label={`Last message on ${topic}`} idPrefix="last" />
      ) : (
        <pre className="raw">{m.payloadText ?? `(binary, ${formatBytes(m.payloadSize)})`}</pre>
      )}
    </>
  );
}

/** A node of the tree: what governs it, its compliance, rate and last message. */
export function NodeDetail({
  node,
  filters,
  seconds,
}: {
  node: TopicNode;
  filters: Filters;
  seconds: number;
}) {
  const g = node.gov;
  const rate = complianceRate(node.counts);
  return (
    <Section title={node.path} id="node">
      <dl className="facts">
        <dt>Governed by</dt>
        <dd>
          {!g ? (
            <span>Outside the governed tree (refused, unless the tree says outside: allow)</span>
          ) : g.type === "leaf" ? (
            <>
              leaf <span className="mono">{g.leaf}</span>, channel{" "}
              {g.channel ? (
                <Link href={`/contracts#channel-${encodeURIComponent(g.channel)}`}>{g.channel}</Link>
              ) : (
                <span className="muted">none (ungoverned)</span>
              )}{" "}
              <PolicyBadge policy={g.policy} />
            </>
          ) : g.type === "leaf-part" ? (
            <>
              part of leaf <span className="mono">{g.leaf}</span>
            </>
          ) : (
            <>
              level <strong>{g.level}</strong>{" "}
              {g.kind === "variable" ? <span className="mono">{g.key}</span> : null}
              {g.pattern ? <span className="mono muted"> pattern {g.pattern}</span> : null}
              {g.enum ? <span className="mono muted"> one of {g.enum.join(", ")}</span> : null}{" "}
              <PolicyBadge policy={g.policy} />
            </>
          )}
          {g && "description" in g && g.description ? (
            <div className="muted small">{g.description}</div>
          ) : null}
        </dd>
        <dt>Compliance</dt>
        <dd>
          <RateBadge rate={rate} />{" "}
          <span className="muted small">{node.children.length ? "this subtree" : "this topic"}</span>
        </dd>
        <dt>Messages</dt>
        <dd>
          {formatCount(node.counts.total)} ({formatCount(node.counts.valid)} valid,{" "}
          {formatCount(node.counts.invalid)} invalid, {formatCount(node.counts.unvalidated)} unvalidated,{" "}
          {formatCount(node.counts.ungoverned)} ungoverned)
        </dd>
        <dt>Rate</dt>
        <dd>{perMinute(node.counts.total, seconds)} averaged over the window</dd>
        <dt>Last message</dt>
        <dd>
          <Time value={node.lastMessageAt} />
        </dd>
      </dl>
      <p>
        <Link
          href={paths.violations({ ...filters, topic: node.children.length ? `${node.path}/` : node.path })}
        >
          Violations here →
        </Link>{" "}
        <Link
          href={paths.overview({ ...filters, topic: node.children.length ? `${node.path}/` : node.path })}
        >
          Overview of this subtree →
        </Link>
      </p>
      {node.own ? (
        <>
          <h3>Last message</h3>
          <LastMessageView topic={node.path} />
        </>
      ) : null}
    </Section>
  );
}
