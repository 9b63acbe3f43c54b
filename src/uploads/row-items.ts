/**
 * One data row of an uploaded file → the push item it stands for, or the errors that keep it from
 * being one (pure). Template rows go through rowToPushItem (src/templates/row-mapping.ts); rows under
 * the national headings through the connector mapping (map-row.ts). Either way the item then goes
 * through the same preparer as a pushed batch, which names the field of each fault.
 */
import type { ConnectorInstanceConfig } from '../config/types.js';
import { mapSourceRow } from '../connectors/declarative/map-row.js';
import type { CategoryId } from '../domain/catalogue.js';
import type { FieldError } from '../errors.js';
import { unneutralise } from '../templates/csv.js';
import { rowToPushItem } from '../templates/row-mapping.js';
import type { CategoryTemplate } from '../templates/template.js';
import type { Layout } from './layout.js';
import type { NationalMapping } from './national.js';

export type RowItem = { ok: true; item: unknown } | { ok: false; errors: FieldError[] };

export interface RowContext {
  category: CategoryId;
  template: CategoryTemplate;
  national: NationalMapping | null;
  layout: Layout;
  sourceSystem: string;
  /** when the file came (the records' source.fetchedAt) */
  receivedAt: string;
}

/** True when a row has no text in any column the layout reads. */
export function isEmptyRow(layout: Layout, cells: readonly string[]): boolean {
  return layout.columns.every((field, i) => field === null || !(cells[i] ?? '').trim());
}

/** The cells of a row by the layout's keys or fields (a neutralised cell read back without its `'`). */
function byField(layout: Layout, cells: readonly string[]): Record<string, string> {
  const row: Record<string, string> = {};
  layout.columns.forEach((field, i) => {
    const text = unneutralise((cells[i] ?? '').trim());
    if (field !== null && text !== '' && row[field] === undefined) row[field] = text;
  });
  return row;
}

export function rowItem(ctx: RowContext, cells: readonly string[]): RowItem {
  const row = byField(ctx.layout, cells);
  if (ctx.layout.kind === 'template') return { ok: true, item: rowToPushItem(ctx.category, ctx.template.columns, row, ctx.sourceSystem) };
  const mapping = ctx.national!;
  // the mapping reads only the instance's region (none for an upload: the codes tell it)
  const env = { system: ctx.sourceSystem, fetchedAt: ctx.receivedAt, pageUrl: '', config: {} as ConnectorInstanceConfig };
  const [mapped] = mapSourceRow(mapping.spec, row, env, mapping.known);
  if (!mapped) {
    return { ok: false, errors: [{ pointer: '', rule: 'upload.row_skipped', zh: '该行被标记为不报送（映射规则的 skipWhen）', en: 'the row is marked as not to be taken (the mapping\'s skipWhen)' }] };
  }
  if (!mapped.ok) return { ok: false, errors: mapped.errors };
  return { ok: true, item: mapped.input };
}
