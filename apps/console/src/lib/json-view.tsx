import { useMemo } from "react";
import { type ErrorLike, highlightPayload } from "./json-highlight";

/**
 * A pretty-printed JSON value, with the places that `errors` point at marked (`<mark>`) and
 * numbered like the error list. The first marked token of each number gets the id
 * `${idPrefix}-err-${n}` so the error list can bring it into view: the token itself, not the end
 * of its line (a long packed array line used to scroll the view sideways to an empty area).
 * `numberOf` maps an error's index to the number shown (collapsed rows share one); default i + 1.
 */
export function JsonView({
  value,
  errors = [],
  numberOf,
  idPrefix = "json",
  label,
  className = "",
}: {
  value: unknown;
  errors?: readonly ErrorLike[];
  numberOf?: readonly number[];
  idPrefix?: string;
  label: string;
  className?: string;
}) {
  const lines = useMemo(() => highlightPayload(value, errors), [value, errors]);
  const num = (e: number) => numberOf?.[e] ?? e + 1;
  // Where each shown number is anchored: its first marked token.
  const anchors = useMemo(() => {
    const m = new Map<number, string>();
    lines.forEach((l, i) => {
      l.segmentErrors.forEach((errs, j) => {
        for (const e of errs) {
          const n = numberOf?.[e] ?? e + 1;
          if (!m.has(n)) m.set(n, `${i}:${j}`);
        }
      });
    });
    return m;
  }, [lines, numberOf]);
  const idAt = (i: number, j: number) => {
    for (const [n, at] of anchors) if (at === `${i}:${j}`) return `${idPrefix}-err-${n}`;
    return undefined;
  };

  return (
    <figure className={`json ${className}`}>
      <figcaption className="sr-only">{label}</figcaption>
      <pre>
        {lines.map((line, i) => {
          const shown = [...new Set(line.errors.map(num))].filter((n) => anchors.get(n)?.startsWith(`${i}:`));
          return (
            <div
              // biome-ignore lint/suspicious/noArrayIndexKey: lines of one rendering, never reordered
              key={i}
              className={line.errors.length ? "jl jl-hit" : "jl"}
              data-path={line.path}
            >
              <span className="jl-no" aria-hidden="true">
                {i + 1}
              </span>
              <span className="jl-code" style={{ paddingLeft: `${line.indent * 2}ch` }}>
                {line.segments.map((s, j) =>
                  line.segmentErrors[j]?.length ? (
                    <mark
                      // biome-ignore lint/suspicious/noArrayIndexKey: segments of one line, never reordered
                      key={j}
                      className={`j-${s.role}`}
                      data-path={s.path}
                      id={idAt(i, j)}
                      tabIndex={idAt(i, j) ? -1 : undefined}
                    >
                      {s.text}
                    </mark>
                  ) : (
                    // biome-ignore lint/suspicious/noArrayIndexKey: segments of one line, never reordered
                    <span key={j} className={`j-${s.role}`}>
                      {s.text}
                    </span>
                  ),
                )}
              </span>
              {shown.length ? (
                <span className="jl-errs">
                  {shown.map((n) => (
                    <span key={n} className="err-no">
                      <span className="sr-only">error </span>
                      {n}
                    </span>
                  ))}
                </span>
              ) : null}
            </div>
          );
        })}
      </pre>
    </figure>
  );
}
