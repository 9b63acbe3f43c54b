/**
 * Small, pure helpers every connector mapping uses: reading source values, normalising the date
 * formats sources publish, reporting unknown fields and code values, and building field errors.
 */
import type { FieldError } from '../errors.js';
import type { SourceIssue } from './types.js';

export type SourceRow = Record<string, unknown>;

export function isRow(v: unknown): v is SourceRow {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A trimmed non-empty string, or undefined (numbers are stringified; null/"" / whitespace → undefined). */
export function text(row: SourceRow, field: string): string | undefined {
  const v = row[field];
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') return undefined;
  const t = v.replace(/\u3000/g, ' ').trim();
  return t === '' ? undefined : t;
}

/**
 * YYYY-MM-DD from the forms sources use: 2024-05-01, 2024/5/1, 2024.05.01, 20240501, 2024年5月1日,
 * "2024-05-01 08:00:00", or epoch milliseconds (read in China Standard Time). Undefined when unreadable.
 */
export function isoDate(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value > 1e11) {
    return new Date(value + 8 * 3600_000).toISOString().slice(0, 10);
  }
  if (typeof value !== 'string') return undefined;
  const v = value.trim();
  const m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?$/.exec(v) ?? /^(\d{4})(\d{2})(\d{2})$/.exec(v);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined;
  return date.toISOString().slice(0, 10);
}

/** A number from a number or a numeric string ("1,200.50" included); undefined otherwise. */
export function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const v = value.replace(/,/g, '').trim();
  if (!/^-?\d+(\.\d+)?$/.test(v)) return undefined;
  return Number(v);
}

/** Issues for every field of the row the mapping does not know. */
export function unknownFields(row: SourceRow, known: ReadonlySet<string>): SourceIssue[] {
  return Object.keys(row).filter((k) => !known.has(k)).map((field) => ({ kind: 'unknown_field' as const, field }));
}

export function fieldError(field: string, rule: string, zh: string, en: string): FieldError {
  return { pointer: `/${field.replace(/~/g, '~0').replace(/\//g, '~1')}`, rule, zh, en };
}

export function missing(field: string, zhName: string): FieldError {
  return fieldError(field, 'source.required', `来源字段 ${field}（${zhName}）缺失或为空`, `source field ${field} (${zhName}) is missing or empty`);
}

export function badDate(field: string, value: unknown): FieldError {
  return fieldError(field, 'source.date', `来源字段 ${field} 的日期“${String(value)}”无法识别`, `source field ${field}: unreadable date "${String(value)}"`);
}

export function unknownCode(field: string, value: string, known: readonly string[]): FieldError {
  return fieldError(
    field,
    'source.unknown_code',
    `来源字段 ${field} 的代码值“${value}”不在已知取值（${known.join('、')}）中`,
    `source field ${field}: code value "${value}" is not one of the known values (${known.join(', ')})`,
  );
}

/** Reads a dotted path ("data.list") from a parsed JSON page. */
export function atPath(value: unknown, path: string): unknown {
  let node = value;
  for (const part of path.split('.')) {
    if (!isRow(node)) return undefined;
    node = node[part];
  }
  return node;
}

/** The URL with query parameters set. */
export function withQuery(base: string, params: Record<string, string | number | null | undefined>): string {
  const url = new URL(base);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) url.searchParams.set(k, String(v));
  return url.toString();
}

/**
 * Whether a page-numbered listing goes on after `page`. With a total, the listing ends once the
 * pages cover it; a short page before that means the source caps the page size below ours, and
 * reading on with our page numbers would skip rows (and later mark them removed): that is an error.
 * Without a total, only an empty page ends the listing.
 */
export function listingContinues(p: { url: string; page: number; pageSize: number; received: number; total: unknown }): boolean {
  if (p.received === 0) return false;
  const total = Number(p.total);
  if (p.total === undefined || p.total === null || !Number.isFinite(total)) return true;
  const covered = (p.page - 1) * p.pageSize + p.received;
  if (p.received < p.pageSize && covered < total) {
    throw new Error(
      `${p.url}: the source answered ${p.received} rows where ${p.pageSize} were asked, before the end of its ${total}; ` +
        `it caps the page size — configure pageSize ≤ ${p.received}`,
    );
  }
  return covered < total;
}
