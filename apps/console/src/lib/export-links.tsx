import type { ExportTable } from "@uns/api-contract";

/**
 * Download links for a table with the filters the page shows (GET /api/v1/exports/:table): the
 * session cookie goes with the request, the server streams the rows, the browser saves the file.
 * `query` is the page's own API query string (window and filters), so the file holds what the
 * page shows, without the page's paging.
 */
export function ExportLinks({ table, query, label }: { table: ExportTable; query: string; label: string }) {
  const href = (format: "csv" | "json") =>
    `/api/v1/exports/${table}?${new URLSearchParams([...new URLSearchParams(query), ["format", format]])}`;
  return (
    <span className="export-links">
      Export {label}:{" "}
      <a className="btn btn-small" href={href("csv")} download data-testid={`export-${table}-csv`}>
        CSV
      </a>{" "}
      <a className="btn btn-small" href={href("json")} download data-testid={`export-${table}-json`}>
        JSON
      </a>
    </span>
  );
}
