/**
 * The record lifecycle (docs/architecture.md §4.1) as a state machine. Pure: no clock, no I/O.
 *
 *   active ──file_objection──► objected ──reject_objection──► active
 *                                       ──correct_record────► corrected ──republish──► active
 *                                       ──revoke_record─────► revoked
 *   active ──request_repair──► repair_requested ──grant_repair──► repaired
 *                                               ──reject_repair─► active
 *   active, repair_requested ──expire──► expired          (publishUntil has passed)
 *   active, objected, repair_requested, corrected ──withdraw──► removed ──relist──► active
 *
 * Every transition is announced to the destinations that had the record with `record.status_changed`;
 * a record that must no longer be shown anywhere (repaired, revoked, expired, removed) is also
 * `record.retracted` (终止公示, 停止共享).
 */
import type { RecordStatus } from './record.js';

export type LifecycleAction =
  | 'file_objection'
  | 'reject_objection'
  | 'correct_record'
  | 'revoke_record'
  | 'republish'
  | 'request_repair'
  | 'grant_repair'
  | 'reject_repair'
  | 'expire'
  | 'withdraw'
  | 'relist';

export type LifecycleEventType = 'record.status_changed' | 'record.retracted';

export interface Transition {
  from: RecordStatus;
  to: RecordStatus;
  action: LifecycleAction;
  zh: string;
  en: string;
}

const t = (from: RecordStatus, action: LifecycleAction, to: RecordStatus, zh: string, en: string): Transition => ({ from, to, action, zh, en });

export const TRANSITIONS: readonly Transition[] = Object.freeze([
  t('active', 'file_objection', 'objected', '提出异议（暂停公示和联合惩戒）', 'file an objection (publication and joint punishment suspended)'),
  t('objected', 'reject_objection', 'active', '异议不成立，恢复公示', 'objection rejected: published again'),
  t('objected', 'correct_record', 'corrected', '异议成立，记录更正', 'objection upheld: record corrected'),
  t('objected', 'revoke_record', 'revoked', '异议成立，记录撤销', 'objection upheld: record revoked'),
  t('corrected', 'republish', 'active', '更正后的记录重新公示', 'corrected record published again'),
  t('active', 'request_repair', 'repair_requested', '申请信用修复', 'request credit repair'),
  t('repair_requested', 'grant_repair', 'repaired', '准予信用修复（终止公示、停止共享）', 'repair granted (publication and sharing end)'),
  t('repair_requested', 'reject_repair', 'active', '不予信用修复，继续公示', 'repair refused: stays published'),
  t('active', 'expire', 'expired', '公示期满', 'publication period over'),
  t('repair_requested', 'expire', 'expired', '公示期满', 'publication period over'),
  t('active', 'withdraw', 'removed', '来源撤回', 'withdrawn by the source'),
  t('objected', 'withdraw', 'removed', '来源撤回', 'withdrawn by the source'),
  t('repair_requested', 'withdraw', 'removed', '来源撤回', 'withdrawn by the source'),
  t('corrected', 'withdraw', 'removed', '来源撤回', 'withdrawn by the source'),
  t('removed', 'relist', 'active', '来源重新列入', 'listed again by the source'),
]);
for (const tr of TRANSITIONS) Object.freeze(tr);

/** Statuses whose records must no longer be shown or shared anywhere: destinations get `record.retracted`. */
export const RETRACTED_STATUSES: readonly RecordStatus[] = Object.freeze(['repaired', 'revoked', 'expired', 'removed']);

/** The transitions allowed from `status`, in table order (none from repaired, revoked and expired). */
export function allowedFrom(status: RecordStatus): Transition[] {
  return TRANSITIONS.filter((tr) => tr.from === status);
}

/** The events a move into `to` sends to every destination that had the record. */
export function eventsFor(to: RecordStatus): LifecycleEventType[] {
  return RETRACTED_STATUSES.includes(to) ? ['record.status_changed', 'record.retracted'] : ['record.status_changed'];
}

export type TransitionCheck =
  | { ok: true; transition: Transition; events: LifecycleEventType[] }
  | { ok: false; from: RecordStatus; action: LifecycleAction; allowed: Transition[] };

/** Whether `action` may be taken on a record in `from`; when not, which transitions are allowed instead. */
export function checkTransition(from: RecordStatus, action: LifecycleAction): TransitionCheck {
  const transition = TRANSITIONS.find((tr) => tr.from === from && tr.action === action);
  if (!transition) return { ok: false, from, action, allowed: allowedFrom(from) };
  return { ok: true, transition, events: eventsFor(transition.to) };
}
