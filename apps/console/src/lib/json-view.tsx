import { useMemo } from "react";
import { type ErrorLike, highlightPayload } from "./json-highlight";

/**
 * A pretty-printed JSON value, with the places that `errors` point at marked (`<mark>`) and
 * numbered like the error list. The first line each error marks gets the id
 * `${idPrefix}-err-${n}` so the error list can link to it.
 */
export function JsonView({
  value,
  errors = [],
  idPrefix = "json",
  label,
  className = "",
}: {
  value: unknown;
  errors?: readonly ErrorLike[];
  idPrefix?: string;
  label: string;
  className?: string;
}) {
  const lines = useMemo(() => highlightPayload(value, errors), [value, errors]);
  const firstLineOf = useMemo(() => {
    const m = new Map<number, number>();
    lines.forEach((l, i) => {
      for (const e of l.errors) if (!m.has(e)) m.set(e, i);
    });
    return m;
  }, [lines]);

  return (
    <figure className={`json ${className}`}>
      <figcaption className="sr-only">{label}</figcaption>
      <pre>
        {lines.map((line, i) => {
          const anchored = line.errors.filter((e) => firstLineOf.get(e) === i);
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
                    // biome-ignore lint/suspicious/noArrayIndexKey: segments of one line, never reordered
                    <mark key={j} className={`j-${s.role}`} data-path={s.path}>
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
              {anchored.length ? (
                <span className="jl-errs">
                  {anchored.map((e) => (
                    <span key={e} className="err-no" id={`${idPrefix}-err-${e + 1}`} tabIndex={-1}>
                      <span className="sr-only">error </span>
                      {e + 1}
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
