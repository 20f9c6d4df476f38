import type { ReactNode } from "react";

/** One column of a `DataTable`: its header and how a row shows in it. */
export interface Column<R> {
  label: ReactNode;
  cell: (row: R) => ReactNode;
  /** Right-aligned figures (the `num` cell class). */
  num?: boolean;
  /** React key when the label is not a plain string. */
  key?: string;
}

/**
 * A plain table of rows in the console's table frame (`.table-wrap` scrolls a table that does not
 * fit, instead of cutting off its columns). For tables without sorting or selection.
 *
 * @example
 * <DataTable rows={cells} rowKey={(c) => c.cell} columns={[{ label: "Cell", cell: (c) => c.cell }]} />
 */
export function DataTable<R>({
  columns,
  rows,
  rowKey,
  testId,
}: {
  columns: readonly Column<R>[];
  rows: readonly R[];
  rowKey: (row: R) => string;
  testId?: string;
}) {
  const keyOf = (c: Column<R>, i: number) => c.key ?? (typeof c.label === "string" ? c.label : String(i));
  return (
    <div className="table-wrap">
      <table data-testid={testId}>
        <thead>
          <tr>
            {columns.map((c, i) => (
              <th key={keyOf(c, i)} scope="col">
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={rowKey(r)}>
              {columns.map((c, i) => (
                <td key={keyOf(c, i)} className={c.num ? "num" : undefined}>
                  {c.cell(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
