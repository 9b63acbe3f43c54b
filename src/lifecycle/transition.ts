/**
 * Applies one lifecycle transition to a stored record, on the caller's transaction: lock the record,
 * ask the state machine, refuse with 409 (naming the transitions allowed instead) or write the new
 * status as a version with who/when/why and queue its events to every destination that had the record.
 */
import type pg from 'pg';
import { checkTransition, TRANSITIONS, type LifecycleAction, type LifecycleEventType, type Transition } from '../domain/lifecycle.js';
import { grantCovers, type RecordGrant } from '../domain/grant.js';
import type { RecordEnvelope, RecordStatus } from '../domain/record.js';
import { GatewayError } from '../errors.js';
import { lockRecordEnvelope, lockRecordsToMove, writeStatusChange, writeStatusMoves, type LockedRecord, type RecordEventRouting } from '../store/records-repo.js';

export interface TransitionContext {
  actor: string;
  reason: string;
  outbox: RecordEventRouting;
  now: Date;
}

/**
 * The record, locked until the transaction ends. When there is none, or `grant` does not cover it,
 * throws `hidden()` — by default 404 GW_RECORD_NOT_FOUND: a record outside the caller's grant is
 * answered exactly as one that does not exist.
 */
export async function lockRecord(
  client: pg.ClientBase,
  recordId: string,
  grant: RecordGrant | null = null,
  hidden: () => GatewayError = () => recordNotFound(recordId),
): Promise<RecordEnvelope> {
  const envelope = await lockRecordEnvelope(client, recordId);
  if (!envelope || !grantCovers(grant, envelope.category, envelope.subject.region)) throw hidden();
  return envelope;
}

export function recordNotFound(recordId: string): GatewayError {
  return new GatewayError('GW_RECORD_NOT_FOUND', { zh: `记录 ${recordId} 不存在`, en: `record ${recordId} does not exist` });
}

/** The allowed transition; throws GW_TRANSITION_NOT_ALLOWED unless `action` is allowed from the record's status. */
export function assertTransition(record: RecordEnvelope, action: LifecycleAction): { transition: Transition; events: LifecycleEventType[] } {
  const check = checkTransition(record.status, action);
  if (check.ok) return check;
  const wanted = TRANSITIONS.find((t) => t.action === action)!;
  const allowedZh = check.allowed.map((t) => `${t.action}（${t.zh}）`).join('、') || '无';
  const allowedEn = check.allowed.map((t) => `${t.action} (${t.en})`).join(', ') || 'none';
  throw new GatewayError('GW_TRANSITION_NOT_ALLOWED', {
    zh: `记录 ${record.recordId} 当前状态为 ${record.status}，不能“${wanted.zh}”；当前允许的操作：${allowedZh}`,
    en: `record ${record.recordId} is ${record.status}, so "${wanted.en}" is not allowed; allowed now: ${allowedEn}`,
    extensions: {
      recordId: record.recordId,
      currentStatus: record.status,
      requestedAction: action,
      allowedTransitions: check.allowed.map((t) => ({ action: t.action, to: t.to, zh: t.zh, en: t.en })),
    },
  });
}

/** Locks the record, checks and applies `action`; returns the new envelope. */
export async function applyTransition(
  client: pg.ClientBase,
  recordId: string,
  action: LifecycleAction,
  ctx: TransitionContext,
): Promise<RecordEnvelope> {
  const record = await lockRecord(client, recordId);
  return applyToLocked(client, record, action, ctx);
}

/** As applyTransition, for a record the caller has already locked in this transaction. */
export async function applyToLocked(
  client: pg.ClientBase,
  record: RecordEnvelope,
  action: LifecycleAction,
  ctx: TransitionContext,
): Promise<RecordEnvelope> {
  const check = assertTransition(record, action);
  return writeStatusChange(client, record.recordId, check.transition.to, {
    actor: ctx.actor,
    outbox: ctx.outbox,
    reason: ctx.reason,
    now: ctx.now,
  });
}

/**
 * Locks these records (in id order) and applies `action` to those whose status allows it, together, in
 * a fixed number of statements; the others, and ids with no record, are left as they are. For a
 * source's moves over many records at once (removal, relisting). Returns the moved records' new envelopes.
 */
export async function applyWhereAllowed(
  client: pg.ClientBase,
  recordIds: readonly string[],
  action: LifecycleAction,
  ctx: TransitionContext,
): Promise<RecordEnvelope[]> {
  if (!recordIds.length) return [];
  const byTarget = new Map<RecordStatus, LockedRecord[]>();
  for (const locked of await lockRecordsToMove(client, recordIds)) {
    const check = checkTransition(locked.current.status, action);
    if (!check.ok) continue;
    let moves = byTarget.get(check.transition.to);
    if (!moves) byTarget.set(check.transition.to, (moves = []));
    moves.push(locked);
  }
  const moved: RecordEnvelope[] = [];
  for (const [status, moves] of byTarget) {
    moved.push(...await writeStatusMoves(client, moves, status, ctx));
  }
  return moved;
}
