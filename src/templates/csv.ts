/**
 * A category template as CSV (RFC 4180): UTF-8 with a byte-order mark so Excel opens it as UTF-8,
 * CRLF line ends, fields quoted when they hold a comma, quote or line break. Rows: 1 the Chinese
 * headings, 2 the column keys (what an upload parser maps by), 3 the rule of each column, then the
 * example rows. A cell starting with `=`, `+`, `-`, `@`, tab or carriage return is prefixed with `'` so
 * a spreadsheet never runs it as a formula (an upload parser removes that one `'` again: `unneutralise`).
 */
import type { CategoryTemplate } from './template.js';

export const CSV_BOM = '\uFEFF';

const FORMULA_START = /^[=+\-@\t\r]/;

/** The cell as written: a formula-like start neutralised with a leading `'`. */
export function neutralise(cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}

/** The inverse of `neutralise`, for a parser reading a filled template back. */
export function unneutralise(cell: string): string {
  return cell.startsWith("'") && FORMULA_START.test(cell.slice(1)) ? cell.slice(1) : cell;
}

/** One RFC 4180 field. */
export function csvField(cell: string): string {
  const safe = neutralise(cell);
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function csvLine(cells: readonly string[]): string {
  return cells.map(csvField).join(',');
}

/** The template as CSV text (BOM included). */
export function templateCsv(template: CategoryTemplate): string {
  const { columns, examples } = template;
  const rows = [
    columns.map((c) => c.heading),
    columns.map((c) => c.key),
    columns.map((c) => c.rule),
    ...examples.map((row) => columns.map((c) => row[c.key] ?? '')),
  ];
  return CSV_BOM + rows.map(csvLine).join('\r\n') + '\r\n';
}
