/**
 * The record state machine (docs/architecture.md §4.1): every allowed transition with its events, every refused
 * one with the transitions allowed instead, and the 409 the gateway answers with. Pure; no clock.
 */
import { describe, expect, it } from 'vitest';
import {
  allowedFrom,
  checkTransition,
  eventsFor,
  TRANSITIONS,
  type LifecycleAction,
} from '../../src/domain/lifecycle.js';
import type { RecordEnvelope, RecordStatus } from '../../src/domain/record.js';
import { GatewayError, toProblem } from '../../src/errors.js';
import { assertTransition } from '../../src/lifecycle/transition.js';

const STATUSES: RecordStatus[] = ['active', 'objected', 'corrected', 'revoked', 'repair_requested', 'repaired', 'expired', 'removed'];
const ACTIONS: LifecycleAction[] = [
  'file_objection', 'reject_objection', 'correct_record', 'revoke_record', 'republish',
  'request_repair', 'grant_repair', 'reject_repair', 'expire', 'withdraw', 'relist',
];

/** The lifecycle of docs/architecture.md §4.1, written out independently of the module's table. */
const EXPECTED: Array<[RecordStatus, LifecycleAction, RecordStatus]> = [
  ['active', 'file_objection', 'objected'],
  ['objected', 'reject_objection', 'active'],
  ['objected', 'correct_record', 'corrected'],
  ['objected', 'revoke_record', 'revoked'],
  ['corrected', 'republish', 'active'],
  ['active', 'request_repair', 'repair_requested'],
  ['repair_requested', 'grant_repair', 'repaired'],
  ['repair_requested', 'reject_repair', 'active'],
  ['active', 'expire', 'expired'],
  ['repair_requested', 'expire', 'expired'],
  ['active', 'withdraw', 'removed'],
  ['objected', 'withdraw', 'removed'],
  ['repair_requested', 'withdraw', 'removed'],
  ['corrected', 'withdraw', 'removed'],
  ['removed', 'relist', 'active'],
];

describe('allowed transitions', () => {
  it('the table is exactly the lifecycle of docs/architecture.md §4.1', () => {
    expect(TRANSITIONS.map((t) => [t.from, t.action, t.to])).toEqual(EXPECTED);
  });

  it.each(EXPECTED)('%s --%s--> %s is allowed', (from, action, to) => {
    const check = checkTransition(from, action);
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    expect(check.transition.to).toBe(to);
    expect(check.events[0]).toBe('record.status_changed');
  });

  it('repaired, revoked, expired and removed are retracted from destinations; other moves only announce the new status', () => {
    expect(eventsFor('repaired')).toEqual(['record.status_changed', 'record.retracted']);
    expect(eventsFor('revoked')).toEqual(['record.status_changed', 'record.retracted']);
    expect(eventsFor('expired')).toEqual(['record.status_changed', 'record.retracted']);
    expect(eventsFor('removed')).toEqual(['record.status_changed', 'record.retracted']);
    for (const s of ['active', 'objected', 'corrected', 'repair_requested'] as RecordStatus[]) expect(eventsFor(s)).toEqual(['record.status_changed']);
  });
});

describe('refused transitions', () => {
  const refused = STATUSES.flatMap((from) =>
    ACTIONS.filter((action) => !EXPECTED.some(([f, a]) => f === from && a === action)).map((action) => [from, action] as const),
  );

  it('every status × action pair not in the lifecycle is refused (there are some for every status)', () => {
    expect(refused.length).toBe(STATUSES.length * ACTIONS.length - EXPECTED.length);
    for (const s of STATUSES) expect(refused.some(([from]) => from === s)).toBe(true);
  });

  it.each(refused)('%s --%s--> is refused, naming what is allowed from %s', (from, action) => {
    const check = checkTransition(from, action);
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.from).toBe(from);
    expect(check.allowed.map((t) => t.action)).toEqual(EXPECTED.filter(([f]) => f === from).map(([, a]) => a));
  });

  it('repaired, revoked and expired are final: nothing is allowed from them', () => {
    expect(allowedFrom('repaired')).toEqual([]);
    expect(allowedFrom('revoked')).toEqual([]);
    expect(allowedFrom('expired')).toEqual([]);
  });
});

describe('the 409 answer', () => {
  const record = { recordId: '00000000-0000-5000-8000-000000000001', status: 'objected' } as RecordEnvelope;

  it('a refused transition is GW_TRANSITION_NOT_ALLOWED (409) listing the allowed transitions in zh and en', () => {
    let caught: unknown;
    try {
      assertTransition(record, 'request_repair');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(GatewayError);
    const err = caught as GatewayError;
    expect(err.code).toBe('GW_TRANSITION_NOT_ALLOWED');
    expect(err.status).toBe(409);
    const en = toProblem(err, 'en');
    expect(en.currentStatus).toBe('objected');
    expect(en.requestedAction).toBe('request_repair');
    expect((en.allowedTransitions as Array<{ action: string; to: string }>).map((t) => `${t.action}→${t.to}`)).toEqual([
      'reject_objection→active', 'correct_record→corrected', 'revoke_record→revoked', 'withdraw→removed',
    ]);
    expect(en.detail).toContain('allowed now: reject_objection');
    expect(toProblem(err, 'zh').detail).toContain('当前允许的操作：reject_objection');
  });

  it('an allowed transition passes and names its events', () => {
    expect(assertTransition({ ...record, status: 'repair_requested' }, 'grant_repair')).toMatchObject({
      transition: { to: 'repaired' },
      events: ['record.status_changed', 'record.retracted'],
    });
  });

  it('a final status says nothing is allowed', () => {
    expect(() => assertTransition({ ...record, status: 'repaired' }, 'file_objection')).toThrowError(/allowed now: none/);
  });
});
