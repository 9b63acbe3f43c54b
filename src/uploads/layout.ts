/**
 * Which layout a file's heading rows are in (pure): our template's (row 1 the Chinese headings, row 2
 * the column keys, in CSV a row 3 of rules; or the keys alone; or the Chinese headings alone), or the
 * national 双公示 headings (one row of field codes or their Chinese names). The layout says, for each
 * column of the file, which template key or source field it is, and where the data rows start.
 * Columns it does not know (the feedback file's 处理结果 and 错误说明 among them) are ignored.
 */
import type { CategoryTemplate } from '../templates/template.js';
import { normaliseHeading, type NationalMapping } from './national.js';

export interface Layout {
  kind: 'template' | 'national';
  /** per file column: the template key (template) or source field (national) it holds, or null */
  columns: Array<string | null>;
  /** per file column: its heading as the file says it (for the feedback's error texts) */
  headings: string[];
  /** the first row (1-based, as numbered in the file) that holds data */
  dataFrom: number;
}

function templateByKeys(template: CategoryTemplate, rows: string[][], keyRow: number): Layout | null {
  const keys = new Set(template.columns.map((c) => c.key));
  const cells = rows[keyRow] ?? [];
  const columns = cells.map((c) => (keys.has(c) ? c : null));
  if (!columns.includes('source.key') || !columns.includes('subject.name')) return null;
  const ruleOf = new Map(template.columns.map((c) => [c.key, c.rule]));
  const next = rows[keyRow + 1] ?? [];
  const isRulesRow = next.some(Boolean) && next.every((cell, i) => !cell || (columns[i] !== null && ruleOf.get(columns[i]!) === cell));
  const headingOf = new Map(template.columns.map((c) => [c.key, c.heading]));
  return {
    kind: 'template',
    columns,
    headings: columns.map((key, i) => (keyRow > 0 ? rows[0]?.[i] : undefined) || (key ? headingOf.get(key)! : '')),
    dataFrom: keyRow + 2 + (isRulesRow ? 1 : 0),
  };
}

function templateByHeadings(template: CategoryTemplate, rows: string[][]): Layout | null {
  const byHeading = new Map(template.columns.map((c) => [normaliseHeading(c.heading), c.key]));
  const cells = rows[0] ?? [];
  const columns = cells.map((c) => byHeading.get(normaliseHeading(c)) ?? null);
  if (!columns.includes('source.key') || !columns.includes('subject.name')) return null;
  return { kind: 'template', columns, headings: cells, dataFrom: 2 };
}

function national(mapping: NationalMapping, rows: string[][]): Layout | null {
  const cells = rows[0] ?? [];
  const columns = cells.map((c) => (c ? mapping.fieldOf(c) ?? null : null));
  if (!mapping.needed.every((f) => columns.includes(f))) return null;
  return { kind: 'national', columns, headings: cells, dataFrom: 2 };
}

/** The layout of a sheet whose first rows are `rows` (texts by column), or null when it has no known headings. */
export function recogniseLayout(template: CategoryTemplate, mapping: NationalMapping | null, rows: string[][]): Layout | null {
  return templateByKeys(template, rows, 1) ?? templateByKeys(template, rows, 0) ?? templateByHeadings(template, rows)
    ?? (mapping ? national(mapping, rows) : null);
}
