import { type KeyboardEvent, useEffect, useRef, useState } from "react";
import { ancestorsOf, type FlatRow, rateNow } from "../topic-index";
import { formatRate } from "./format-rate";

export const ROW_HEIGHT = 28;
const OVERSCAN = 10;

/**
 * The topic tree, virtualised: only the rows in view (plus a few) are in the DOM, at fixed
 * heights, so 50,000 topics scroll and filter as fast as 50. A WAI-ARIA tree: arrows move,
 * Right/Left open and close, Enter selects.
 */
export function VirtualTree({
  rows,
  selected,
  onSelect,
  onToggle,
  height = 560,
  now,
}: {
  rows: FlatRow[];
  selected: string | null;
  onSelect: (path: string) => void;
  onToggle: (path: string, open?: boolean) => void;
  height?: number;
  /** The server's time of the data (rates are "now" as of then). */
  now: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [focus, setFocus] = useState(0);
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN);

  // Keep the focused row in view and focused when it moves by keyboard.
  const moved = useRef(false);
  useEffect(() => {
    if (!moved.current) return;
    moved.current = false;
    const el = box.current;
    if (!el) return;
    const top = focus * ROW_HEIGHT;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + ROW_HEIGHT > el.scrollTop + height) el.scrollTop = top + ROW_HEIGHT - height;
    el.querySelector<HTMLElement>(`[data-index="${focus}"]`)?.focus();
  });

  const move = (i: number) => {
    if (i < 0 || i >= rows.length) return;
    moved.current = true;
    setFocus(i);
  };

  function onKeyDown(e: KeyboardEvent<HTMLDivElement>, i: number) {
    const r = rows[i];
    if (!r) return;
    let handled = true;
    switch (e.key) {
      case "ArrowDown":
        move(i + 1);
        break;
      case "ArrowUp":
        move(i - 1);
        break;
      case "Home":
        move(0);
        break;
      case "End":
        move(rows.length - 1);
        break;
      case "ArrowRight":
        if (r.hasChildren && !r.expanded) onToggle(r.node.path, true);
        else if (r.expanded) move(i + 1);
        break;
      case "ArrowLeft": {
        if (r.expanded) onToggle(r.node.path, false);
        else {
          const parent = ancestorsOf(r.node.path).pop();
          if (parent !== undefined) move(rows.findIndex((x) => x.node.path === parent));
        }
        break;
      }
      case "Enter":
      case " ":
        onSelect(r.node.path);
        break;
      default:
        handled = false;
    }
    if (handled) e.preventDefault();
  }

  const shown = rows.slice(first, last);
  return (
    <div
      ref={box}
      className="vtree"
      role="tree"
      aria-label="Live topics"
      data-testid="live-tree"
      data-rows={rows.length}
      style={{ height, overflowY: "auto", position: "relative" }}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
    >
      <div style={{ height: rows.length * ROW_HEIGHT, position: "relative" }}>
        {shown.map((r, k) => {
          const i = first + k;
          const n = r.node;
          const own = n.row;
          return (
            <div
              key={n.path}
              data-index={i}
              data-path={n.path}
              role="treeitem"
              aria-level={n.depth}
              aria-expanded={r.hasChildren ? r.expanded : undefined}
              aria-selected={selected === n.path}
              tabIndex={i === focus ? 0 : -1}
              className={`tree-row vtree-row${selected === n.path ? " is-selected" : ""}`}
              style={{
                top: i * ROW_HEIGHT,
                height: ROW_HEIGHT,
                paddingLeft: `${(n.depth - 1) * 1.1 + 0.25}rem`,
              }}
              onFocus={() => setFocus(i)}
              onKeyDown={(e) => onKeyDown(e, i)}
              onClick={() => onSelect(n.path)}
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
              {own ? (
                <>
                  {own.retained ? (
                    <span className="tag" title="retained message held">
                      R
                    </span>
                  ) : null}
                  <span className="vtree-value mono small" data-testid="row-value">
                    {own.preview}
                  </span>
                </>
              ) : (
                <span className="muted small">
                  {n.topics} topic{n.topics === 1 ? "" : "s"}
                </span>
              )}
              <span className="tree-stats small">
                {n.invalid > 0 ? <span className="bad">{n.invalid} invalid </span> : null}
                <span className="muted">{formatRate(own ? rateNow(own, now) : n.rate)}</span>
              </span>
            </div>
          );
        })}
      </div>
    </div>
  );
}
