/**
 * What the feedback file says of a row (pure): its result in Chinese, and each error as the department
 * sees it — the column's heading in its own file, the rule, the value it wrote, and the message.
 */
import type { FieldError } from '../errors.js';
import type { RowResult } from '../store/uploads-repo.js';
import type { Layout } from './layout.js';

export const RESULT_HEADING = '处理结果';
export const ERRORS_HEADING = '错误说明';

export const RESULT_TEXT: Record<RowResult, string> = {
  created: '已入库（新增）',
  updated: '已入库（更新）',
  unchanged: '未变更',
  rejected: '拒收',
};

/** The push-item path of a pointer: "/records/3/data/parties/0/name" → "data.parties.1.name". */
export function keyOfPointer(pointer: string): string {
  const parts = pointer.replace(/^\/records\/\d+/, '').split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  return parts.map((p) => (/^\d+$/.test(p) ? String(Number(p) + 1) : p)).join('.');
}

/** The file column an error is about, or -1 (a rule about the row as a whole). */
export function columnOfError(layout: Layout, error: FieldError): number {
  const key = keyOfPointer(error.pointer);
  if (!key) return -1;
  if (layout.kind === 'national') {
    // the mapping's own errors name the source field; the preparer's, the record path (data.CF_JDRQ)
    const field = key.startsWith('data.') ? key.slice(5).split('.')[0]! : key;
    const i = layout.columns.indexOf(field);
    return i >= 0 ? i : layout.columns.indexOf(key.split('.').pop()!);
  }
  const exact = layout.columns.indexOf(key);
  if (exact >= 0) return exact;
  // the nearest column the path is inside (data.parties.1 → its first column data.parties.1.name)
  let best = -1;
  layout.columns.forEach((c, i) => {
    if (c && (key.startsWith(`${c}.`) || c.startsWith(`${key}.`)) && (best < 0 || c.length > layout.columns[best]!.length)) best = i;
  });
  return best;
}

function quoted(value: string): string {
  return value.length > 60 ? `${value.slice(0, 60)}…` : value;
}

/** One error in Chinese: 字段“heading”（规则 rule，值“value”）：message. */
export function errorText(layout: Layout, error: FieldError, cells: readonly string[]): string {
  const col = columnOfError(layout, error);
  if (col < 0) return `（规则 ${error.rule}）${error.zh}`;
  const heading = layout.headings[col] || layout.columns[col] || '';
  const value = (cells[col] ?? '').trim();
  return `字段“${heading}”（规则 ${error.rule}${value ? `，值“${quoted(value)}”` : '，未填写'}）：${error.zh}`;
}

export function errorsText(layout: Layout, errors: readonly FieldError[] | undefined, cells: readonly string[]): string {
  return (errors ?? []).map((e) => errorText(layout, e, cells)).join('；\n');
}
