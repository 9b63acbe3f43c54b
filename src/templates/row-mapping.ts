/**
 * A template row and a push item, each turned into the other (pure). A row is the cell texts of one
 * line keyed by column key (the template's second header row); `rowToPushItem` is what an upload
 * parser uses: empty cells are left out, numbers and 是/否 are converted, a list column is split at
 * semicolons, `data.parties.2.name` lands in `data.parties[1].name`. It checks nothing: the result goes
 * through the same validation as any pushed item, which names the field of each fault.
 */
import type { CategoryId } from '../domain/catalogue.js';
import type { TemplateColumn } from './template-columns.js';

/** The cells of one row, by column key. */
export type TemplateRow = Record<string, string>;

const TRUE = new Set(['是', 'true', 'TRUE', 'True', '1', 'Y', 'y']);
const FALSE = new Set(['否', 'false', 'FALSE', 'False', '0', 'N', 'n']);

/** A cell's value as the push shape wants it; text that is not what the column wants is kept as text. */
export function cellValue(column: TemplateColumn, text: string): unknown {
  switch (column.type) {
    case 'number':
    case 'integer': {
      const n = Number(text.replaceAll(',', ''));
      return text.trim() !== '' && Number.isFinite(n) ? n : text;
    }
    case 'boolean':
      return TRUE.has(text) ? true : FALSE.has(text) ? false : text;
    case 'list':
      return text.split(/[;；]/).map((s) => s.trim()).filter(Boolean);
    default:
      return text;
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node: Record<string, unknown> | unknown[] = target;
  path.forEach((segment, i) => {
    const key: string | number = /^[1-9][0-9]*$/.test(segment) ? Number(segment) - 1 : segment;
    const last = i === path.length - 1;
    const current = (node as Record<string | number, unknown>)[key];
    if (last) (node as Record<string | number, unknown>)[key] = value;
    else if (current === undefined) (node as Record<string | number, unknown>)[key] = /^[1-9][0-9]*$/.test(path[i + 1]!) ? [] : {};
    if (!last) node = (node as Record<string | number, unknown>)[key] as Record<string, unknown> | unknown[];
  });
}

/** Lists with gaps (party 1 and 3 filled, 2 empty) closed up. */
function compact(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(compact);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, compact(v)]));
  return value;
}

/** The push item of a filled row of `category`'s template, under the uploading agency's `sourceSystem`. */
export function rowToPushItem(category: CategoryId, columns: readonly TemplateColumn[], row: TemplateRow, sourceSystem: string): Record<string, unknown> {
  const item: Record<string, unknown> = { category, subject: {}, source: { system: sourceSystem }, data: {} };
  for (const column of columns) {
    const text = (row[column.key] ?? '').trim();
    if (text !== '') setPath(item, column.key.split('.'), cellValue(column, text));
  }
  return compact(item) as Record<string, unknown>;
}

function getPath(item: unknown, path: readonly string[]): unknown {
  let node = item;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = Array.isArray(node) && /^[1-9][0-9]*$/.test(segment) ? node[Number(segment) - 1] : (node as Record<string, unknown>)[segment];
  }
  return node;
}

function cellText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (value === true) return '是';
  if (value === false) return '否';
  if (Array.isArray(value)) return value.map(String).join('；');
  return String(value);
}

/** The cell text of the value at `path` (a column key split at its dots) in a push item. */
export function cellAt(item: unknown, path: readonly string[]): string {
  return cellText(getPath(item, path));
}

/** The row a push item fills in a template with these columns (what the example rows are made from). */
export function pushItemToRow(columns: readonly TemplateColumn[], item: unknown): TemplateRow {
  return Object.fromEntries(columns.map((c) => [c.key, cellAt(item, c.key.split('.'))]));
}
