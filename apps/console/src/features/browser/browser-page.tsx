import { useDeferredValue, useId, useMemo, useState } from "react";
import { formatCount } from "../../lib/format";
import { Empty, ErrorState, PageHeader, Section } from "../../lib/ui";
import { useUrlState } from "../../lib/url-state";
import { useTopicFeed } from "./api";
import { TopicDetail } from "./components/topic-detail";
import { VirtualTree } from "./components/virtual-tree";
import { ancestorsOf } from "./topic-index";

/**
 * The live topic browser (MQTT Explorer, governed): every topic delivered since the server
 * started, its value and rate now, the contract and compliance; a topic's messages, diffs and a
 * chart of one field. `?node=` picks the topic, `?q=` filters, `?field=` the charted field.
 */
export function BrowserPage() {
  const { params, update } = useUrlState();
  const feed = useTopicFeed();
  const selected = params.get("node");
  const field = params.get("field") ?? "";
  const [filter, setFilter] = useState(params.get("q") ?? "");
  // Typing stays responsive with 50,000 topics: the tree follows the text when React has time.
  const deferred = useDeferredValue(filter);
  const [expanded, setExpanded] = useState<Set<string>>(() => new Set(selected ? ancestorsOf(selected) : []));
  const id = useId();
  // biome-ignore lint/correctness/useExhaustiveDependencies: feed.version says the index changed in place
  const rows = useMemo(
    () => feed.index.flatten(expanded, deferred),
    [feed.index, feed.version, expanded, deferred],
  );

  const toggle = (path: string, open?: boolean) =>
    setExpanded((s) => {
      const next = new Set(s);
      if (open ?? !next.has(path)) next.add(path);
      else next.delete(path);
      return next;
    });

  return (
    <div className="page page-browser">
      <PageHeader title="Live topics">
        <span className="muted" data-testid="topic-count">
          {formatCount(feed.total)} topics since the server started
          {feed.evicted ? `, ${formatCount(feed.evicted)} forgotten to stay within memory` : ""}
        </span>
      </PageHeader>
      {feed.error ? <ErrorState error={feed.error} /> : null}
      <div className="grid grid-tree">
        <Section title="Topics" id="live-tree-h">
          <div className="field inline">
            <label htmlFor={`${id}-q`}>Filter topics</label>
            <input
              id={`${id}-q`}
              type="search"
              value={filter}
              placeholder="cell-02, weld-spot"
              data-testid="topic-filter"
              onChange={(e) => {
                setFilter(e.target.value);
                update({ q: e.target.value }, { replace: true });
              }}
            />
            <span className="muted small" data-testid="row-count">
              {formatCount(rows.length)} rows
            </span>
          </div>
          {rows.length === 0 ? (
            <Empty title={deferred ? "No topic matches" : "No topics yet"}>
              {deferred
                ? "Try part of a level name."
                : "Topics appear here as soon as something is published."}
            </Empty>
          ) : (
            <VirtualTree
              rows={rows}
              selected={selected}
              now={feed.index.at}
              onToggle={toggle}
              onSelect={(p) => {
                update({ node: p }, { replace: true });
                const n = rows.find((r) => r.node.path === p);
                if (n?.hasChildren && !n.node.row) toggle(p);
              }}
            />
          )}
        </Section>
        <div className="tree-detail">
          {selected && feed.index.row(selected) ? (
            <TopicDetail
              topic={selected}
              field={field}
              onField={(f) => update({ field: f }, { replace: true })}
            />
          ) : (
            <Section title="Details" id="live-topic">
              <p className="muted">
                Choose a topic with a value to see its last value, recent messages with what changed, and a
                chart of any numeric field.
              </p>
            </Section>
          )}
        </div>
      </div>
    </div>
  );
}
