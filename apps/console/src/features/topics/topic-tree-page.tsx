import { useQuery } from "@tanstack/react-query";
import type { LastMessage, TopicsResponse } from "@uns/api-contract";
import { type KeyboardEvent, useEffect, useId, useMemo, useRef, useState } from "react";
import { Link } from "wouter";
import { ApiError, getJson, qs } from "../../lib/api";
import { FilterBar } from "../../lib/filter-bar";
import { apiQuery, type Filters, windowSeconds } from "../../lib/filters";
import { complianceRate, formatBytes, formatCount } from "../../lib/format";
import { parsePayload } from "../../lib/json-highlight";
import { JsonView } from "../../lib/json-view";
import { paths } from "../../lib/links";
import { useLiveInterval } from "../../lib/live";
import {
  Empty,
  ErrorState,
  Loading,
  PageHeader,
  PolicyBadge,
  QueryView,
  RateBadge,
  Section,
  Time,
} from "../../lib/ui";
import { useUrlState } from "../../lib/url-state";
import {
  ancestors,
  buildTopicTree,
  findNode,
  searchPaths,
  type TopicNode,
  type VisibleRow,
  visibleRows,
} from "./build-tree";

/** Average messages per minute over the window. */
function perMinute(n: number, seconds: number): string {
  const v = (n / seconds) * 60;
  if (v === 0) return "0/min";
  if (v < 0.1) return "<0.1/min";
  return `${v < 10 ? v.toFixed(1) : formatCount(Math.round(v))}/min`;
}

function GovLabel({ node }: { node: TopicNode }) {
  const g = node.gov;
  if (!g) return <span className="tag tag-outside">outside tree</span>;
  if (g.type === "leaf") return <span className="tag tag-leaf">{g.channel ?? "leaf"}</span>;
  if (g.type === "leaf-part") return <span className="tag">part of {g.leaf}</span>;
  return <span className="tag tag-level">{g.level}</span>;
}

function Tree({
  rows,
  selected,
  onSelect,
  onToggle,
  seconds,
}: {
  rows: VisibleRow[];
  selected: string | null;
  onSelect: (path: string) => void;
  onToggle: (path: string, open?: boolean) => void;
  seconds: number;
}) {
  const [focus, setFocus] = useState<string | null>(selected ?? rows[0]?.node.path ?? null);
  const refs = useRef(new Map<string, HTMLDivElement>());
  const focusPath = rows.some((r) => r.node.path === focus) ? focus : (rows[0]?.node.path ?? null);

  const move = (path: string | undefined) => {
    if (path === undefined) return;
    setFocus(path);
    refs.current.get(path)?.focus();
  };

  // WAI-ARIA tree pattern: arrows move, Right/Left open/close or go to child/parent, Enter selects.
  function onKeyDown(e: KeyboardEvent<HTMLDivElement>, i: number) {
    const row = rows[i];
    if (!row) return;
    let handled = true;
    switch (e.key) {
      case "ArrowDown":
        move(rows[i + 1]?.node.path);
        break;
      case "ArrowUp":
        move(rows[i - 1]?.node.path);
        break;
      case "Home":
        move(rows[0]?.node.path);
        break;
      case "End":
        move(rows[rows.length - 1]?.node.path);
        break;
      case "ArrowRight":
        if (row.hasChildren && !row.expanded) onToggle(row.node.path, true);
        else if (row.expanded) move(rows[i + 1]?.node.path);
        break;
      case "ArrowLeft":
        if (row.expanded) onToggle(row.node.path, false);
        else move(ancestors(row.node.path).pop());
        break;
      case "Enter":
      case " ":
        onSelect(row.node.path);
        break;
      default:
        handled = false;
    }
    if (handled) e.preventDefault();
  }

  return (
    <div className="tree" role="tree" aria-label="Topic tree">
      {rows.map((r, i) => {
        const n = r.node;
        const rate = complianceRate(n.counts);
        return (
          <div
            key={n.path}
            ref={(el) => {
              if (el) refs.current.set(n.path, el);
              else refs.current.delete(n.path);
            }}
            role="treeitem"
            aria-level={n.depth}
            aria-expanded={r.hasChildren ? r.expanded : undefined}
            aria-selected={selected === n.path}
            tabIndex={focusPath === n.path ? 0 : -1}
            onFocus={() => setFocus(n.path)}
            onKeyDown={(e) => onKeyDown(e, i)}
            onClick={(e) => {
              e.stopPropagation();
              onSelect(n.path);
            }}
            className={`tree-row${selected === n.path ? " is-selected" : ""}${n.counts.total === 0 ? " is-quiet" : ""}`}
            style={{ paddingLeft: `${(n.depth - 1) * 1.1 + 0.25}rem` }}
            data-path={n.path}
          >
            <span
              className="twisty"
              aria-hidden="true"
              onClick={(e) => {
                e.stopPropagation();
                if (r.hasChildren) onToggle(n.path);
              }}
            >
              {r.hasChildren ? (r.expanded ? "▾" : "▸") : "·"}
            </span>
            <span className="tree-name mono">{n.name}</span>
            <GovLabel node={n} />
            <span className="tree-stats">
              {n.counts.total > 0 ? (
                <>
                  <RateBadge rate={rate} />
                  <span className="muted small">{perMinute(n.counts.total, seconds)}</span>
                </>
              ) : (
                <span className="muted small">no messages</span>
              )}
            </span>
          </div>
        );
      })}
    </div>
  );
}

function LastMessageView({ topic }: { topic: string }) {
  const q = useQuery({
    queryKey: ["last-message", topic],
    queryFn: ({ signal }) => getJson<LastMessage>(`/topics/last-message${qs({ topic })}`, signal),
    retry: (n, err) => !(err instanceof ApiError && err.status === 404) && n < 1,
    placeholderData: undefined,
  });
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

function NodeDetail({ node, filters, seconds }: { node: TopicNode; filters: Filters; seconds: number }) {
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

export function TopicTreePage() {
  const { filters, params, update } = useUrlState();
  const interval = useLiveInterval(15_000);
  const q = useQuery({
    queryKey: ["topics", filters.range, filters.from, filters.to, filters.topic],
    queryFn: ({ signal }) => getJson<TopicsResponse>(`/topics?${apiQuery(filters, ["topicPrefix"])}`, signal),
    refetchInterval: interval,
  });
  const tree = useMemo(() => (q.data ? buildTopicTree(q.data.tree, q.data.topics) : null), [q.data]);
  const search = params.get("q") ?? "";
  const selected = params.get("node");
  const [expanded, setExpanded] = useState<Set<string>>(() => new Set(selected ? ancestors(selected) : []));
  const seconds = windowSeconds(filters);
  const id = useId();

  // Open the first levels on first load, and the way to a node given in the URL.
  const opened = useRef(false);
  useEffect(() => {
    if (!tree || opened.current) return;
    opened.current = true;
    const open = new Set<string>(selected ? ancestors(selected) : []);
    const walk = (n: TopicNode) => {
      if (n.depth >= 3) return;
      if (n.path) open.add(n.path);
      for (const c of n.children) walk(c);
    };
    walk(tree);
    setExpanded(open);
  }, [tree, selected]);

  const only = useMemo(() => (tree ? searchPaths(tree, search) : null), [tree, search]);
  const rows = useMemo(() => (tree ? visibleRows(tree, expanded, only) : []), [tree, expanded, only]);
  const node = tree && selected ? findNode(tree, selected) : null;

  const toggle = (path: string, open?: boolean) =>
    setExpanded((s) => {
      const next = new Set(s);
      if (open ?? !next.has(path)) next.add(path);
      else next.delete(path);
      return next;
    });

  return (
    <div className="page page-topics">
      <PageHeader title="Topic tree">
        <span className="muted">The governed tree and every topic seen in the window</span>
      </PageHeader>
      <FilterBar fields={["topic"]} resetKeys={[]} />
      <QueryView query={q} loadingLabel="Loading topics">
        {() => (
          <div className="grid grid-tree">
            <Section title="Topics" id="tree">
              <div className="field inline">
                <label htmlFor={`${id}-q`}>Search topics</label>
                <input
                  id={`${id}-q`}
                  type="search"
                  defaultValue={search}
                  placeholder="cell-02, weld-spot"
                  onChange={(e) => update({ q: e.target.value }, { replace: true })}
                />
              </div>
              {rows.length === 0 ? (
                <Empty title={search ? "No topic matches" : "No topics yet"}>
                  {search
                    ? "Try part of a level name."
                    : "Nothing is governed or has been seen in this window."}
                </Empty>
              ) : (
                <Tree
                  rows={rows}
                  selected={selected}
                  seconds={seconds}
                  onToggle={toggle}
                  onSelect={(p) => update({ node: p }, { replace: true })}
                />
              )}
            </Section>
            <div className="tree-detail">
              {node ? (
                <NodeDetail node={node} filters={filters} seconds={seconds} />
              ) : (
                <Section title="Details" id="node">
                  <p className="muted">
                    Choose a topic (arrow keys and Enter, or click) to see its contract, policy, compliance
                    and last message.
                  </p>
                </Section>
              )}
            </div>
          </div>
        )}
      </QueryView>
    </div>
  );
}
