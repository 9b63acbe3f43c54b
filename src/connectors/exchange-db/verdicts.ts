/**
 * A row's verdict as the department reads it in its feedback column or table: `accepted`, or `rejected`
 * with each error in Chinese — the field, the rule, the value (never the value of an identity number),
 * and what is wrong. Pure.
 */
import type { FieldError } from '../../errors.js';
import type { RowVerdict } from '../types.js';
import type { VerdictRow } from './source-query.js';

export interface VerdictWording {
  accepted: string;
  rejected: string;
  maxLength: number;
}

/** The message of an accepted row. */
export const ACCEPTED_MESSAGE = '已接收';

/** Rules whose value may be an identity number: never quoted back. */
const UNQUOTED_RULE = /subject_id|personal|id_number|idNumber/i;

/** The source field an error's pointer names (`/CF_JDRQ` → CF_JDRQ), or the record path as it is. */
function fieldOf(pointer: string): string {
  return pointer.slice(1).replace(/~1/g, '/').replace(/~0/g, '~');
}

/** One error: 字段 F；规则 R；值 “V”：what is wrong. */
export function errorText(error: FieldError, row: Record<string, unknown>): string {
  const field = fieldOf(error.pointer);
  const parts = [`字段 ${field || '（整行）'}`, `规则 ${error.rule}`];
  const raw = field && Object.hasOwn(row, field) ? row[field] : undefined;
  if (raw !== undefined && !UNQUOTED_RULE.test(error.rule)) parts.push(raw === null ? '值 NULL' : `值“${String(raw).slice(0, 60)}”`);
  return `${parts.join('；')}：${error.zh}`;
}

/** The message of a rejected row: its errors, one after another, cut to maxLength. */
export function rejectionMessage(errors: readonly FieldError[], row: Record<string, unknown>, maxLength: number): string {
  const text = errors.map((e) => errorText(e, row)).join('\n');
  return text.length <= maxLength ? text : `${text.slice(0, maxLength - 1)}…`;
}

/**
 * The rows to write back: one per key (a key twice in a page: its last verdict), none for a row whose
 * key cannot be read (it cannot be addressed).
 */
export function verdictRows(verdicts: readonly RowVerdict[], keyColumns: readonly string[], wording: VerdictWording): VerdictRow[] {
  const byKey = new Map<string, VerdictRow>();
  for (const v of verdicts) {
    const row = v.row as Record<string, unknown>;
    const key = keyColumns.map((c) => row[c]);
    if (key.some((k) => k === null || k === undefined)) continue;
    const status = v.accepted ? wording.accepted : wording.rejected;
    const message = v.accepted ? ACCEPTED_MESSAGE : rejectionMessage(v.errors, row, wording.maxLength);
    byKey.set(JSON.stringify(key), { key, status, message });
  }
  return [...byKey.values()];
}
