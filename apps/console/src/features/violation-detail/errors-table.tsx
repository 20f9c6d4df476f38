import { Empty } from "../../lib/ui";
import type { Explained } from "./explain-errors";

/**
 * Brings the failing place into view: the marked token (payload-err-N), centred in the payload's
 * scroll box and the window, and focused so that keyboard users land on it too.
 */
export function showInPayload(n: number): boolean {
  const el = document.getElementById(`payload-err-${n}`);
  if (!el) return false;
  el.scrollIntoView({ block: "center", inline: "nearest" });
  el.focus({ preventScroll: true });
  return true;
}

/** One row per error (array items collapsed): where, what was expected, what was sent. */
export function ErrorsTable({ explained, total }: { explained: Explained; total: number }) {
  const { rows, capped, cap } = explained;
  if (rows.length === 0) return <Empty title="No error details recorded" />;
  return (
    <>
      {capped ? (
        <p className="notice" data-testid="errors-capped">
          The validator keeps the first {cap} errors of a message: this payload may have more than the {total}{" "}
          listed.
        </p>
      ) : null}
      {rows.length < total ? (
        <p className="muted">
          {total} errors in {rows.length} row{rows.length === 1 ? "" : "s"}: errors over the items of an array
          are shown once, with the range of indexes.
        </p>
      ) : null}
      <div className="table-wrap">
        <table data-testid="errors-table" className="errors-table">
          <caption className="sr-only">Validation errors</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Where</th>
              <th scope="col">Expected</th>
              <th scope="col">Sent</th>
              <th scope="col">Keyword</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={r.indexes[0]} title={r.text}>
                <td>
                  <a
                    href={`#payload-err-${i + 1}`}
                    className="err-no"
                    aria-label={`Show error ${i + 1} in the payload`}
                    onClick={(e) => {
                      if (showInPayload(i + 1)) e.preventDefault();
                    }}
                  >
                    {i + 1}
                  </a>
                </td>
                <td className="mono">{r.path || "(payload)"}</td>
                <td>{r.expected}</td>
                <td className="mono">{r.sent || "—"}</td>
                <td className="mono muted">{r.keyword}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
