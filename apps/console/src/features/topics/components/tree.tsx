import { type KeyboardEvent, useRef, useState } from "react";
import { complianceRate } from "../../../lib/format";
import { RateBadge } from "../../../lib/ui";
import { ancestors, type TopicNode, type VisibleRow } from "../build-tree";
import { perMinute } from "./per-minute";

function GovLabel({ node }: { node: TopicNode }) {
  const g = node.gov;
  if (!g) return <span className="tag tag-outside">outside tree</span>;
  if (g.type === "leaf") return <span className="tag tag-leaf">{g.channel ?? "leaf"}</span>;
  if (g.type === "leaf-part") return <span className="tag">part of {g.leaf}</span>;
  return <span className="tag tag-level">{g.level}</span>;
}

/** The topic tree as a WAI-ARIA tree: arrows move, Right/Left open and close, Enter selects. */
export function Tree({
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
