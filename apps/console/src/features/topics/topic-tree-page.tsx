import { useEffect, useId, useMemo, useRef, useState } from "react";
import { FilterBar } from "../../lib/filter-bar";
import { windowSeconds } from "../../lib/filters";
import { useLiveInterval } from "../../lib/live";
import { Empty, PageHeader, QueryView, Section } from "../../lib/ui";
import { useUrlState } from "../../lib/url-state";
import { useTopicsQuery } from "./api";
import { ancestors, buildTopicTree, findNode, searchPaths, type TopicNode, visibleRows } from "./build-tree";
import { NodeDetail } from "./components/node-detail";
import { Tree } from "./components/tree";

export function TopicTreePage() {
  const { filters, params, update } = useUrlState();
  const interval = useLiveInterval(15_000);
  const q = useTopicsQuery(filters, interval);
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
