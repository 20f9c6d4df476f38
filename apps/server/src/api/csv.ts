/**
 * CSV lines for the exports (RFC 4180: fields with a comma, quote or line break are quoted,
 * quotes doubled; CRLF line ends). A text cell that a spreadsheet would run as a formula
 * (=, +, -, @ first, OWASP "CSV injection") is prefixed with a single quote; numbers are not.
 */
export type Cell = string | number | boolean | null | undefined;

export function csvCell(v: Cell): string {
  if (v === null || v === undefined) return "";
  if (typeof v !== "string") return String(v);
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvLine(cells: readonly Cell[]): string {
  return `${cells.map(csvCell).join(",")}\r\n`;
}
