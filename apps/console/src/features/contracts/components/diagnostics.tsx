import type { Diagnostic } from "@uns/api-contract";

function where(d: Diagnostic): string {
  return `${d.file}${d.line ? `:${d.line}${d.column ? `:${d.column}` : ""}` : ""}`;
}

/** Problems found while loading the contracts, errors first in weight. */
export function Diagnostics({ diagnostics }: { diagnostics: Diagnostic[] }) {
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const summary =
    errors === 0 ? (
      <p className="ok">
        Every document loaded without errors
        {diagnostics.length ? `; ${diagnostics.length} warning${diagnostics.length === 1 ? "" : "s"}:` : "."}
      </p>
    ) : (
      <p className="bad">
        {errors} error{errors === 1 ? "" : "s"}: the documents at fault give no channels (or the last good
        version stays).
      </p>
    );
  if (diagnostics.length === 0) return summary;
  return (
    <div className="table-wrap">
      {summary}
      <table data-testid="diagnostics">
        <caption className="sr-only">Problems found while loading the contracts</caption>
        <thead>
          <tr>
            <th scope="col">Severity</th>
            <th scope="col">Where</th>
            <th scope="col">Message</th>
            <th scope="col">Code</th>
          </tr>
        </thead>
        <tbody>
          {diagnostics.map((d, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: the loader's list, in its order
            <tr key={i} className={d.severity === "error" ? "row-bad" : undefined}>
              <td>
                <span className={`sev sev-${d.severity}`}>{d.severity}</span>
              </td>
              <td className="mono">
                {where(d)}
                {d.path ? <div className="muted small">{d.path}</div> : null}
              </td>
              <td>{d.message}</td>
              <td className="mono muted">{d.code}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
