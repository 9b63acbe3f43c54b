/**
 * The one workflow of the lifecycle's cases, objections (异议) and repair requests (信用修复).
 *
 * Filing: the record is locked (a record outside the caller's grant is answered as missing), the
 * kind's own checks run, the kind's filing transition is applied, and the case row is written with
 * its filer, evidence and deadline. Deciding: the record and then the case are locked, the case must
 * still be open, the decision's transition is applied, and the case is closed with who decided and
 * why. Each step is one transaction, so the case row and the record's new version (and its events)
 * commit together or not at all.
 *
 * What differs between the kinds is a CaseKind, defined in ./objections.ts and ./repairs.ts.
 */
import { randomUUID } from 'node:crypto';
import type { RecordGrant } from '../domain/grant.js';
import type { LifecycleAction } from '../domain/lifecycle.js';
import type { RecordEnvelope } from '../domain/record.js';
import { GatewayError, type ErrorCode } from '../errors.js';
import type { CaseBase, CaseTable, EvidenceRef } from '../store/case-tables.js';
import { closeCase, getCase, insertCase, listCases, type ListFilter } from '../store/lifecycle-repo.js';
import type { Caller, LifecycleDeps } from './deps.js';
import { applyToLocked, lockRecord, type TransitionContext } from './transition.js';

/** Every filing carries evidence and may carry a reason; each kind adds its own members. */
export interface CaseInput {
  reason?: string;
  evidence: EvidenceRef[];
}

/** Every decision carries its reason, and the decision itself is the status the case closes with. */
export interface CaseDecision<S extends string = string> {
  decision: S;
  reason: string;
}

/** The rules of filing that belong to one kind. */
export interface FilingRules<C extends CaseBase, I extends CaseInput> {
  /** The record's transition on filing. */
  action: LifecycleAction;
  /** The days the authority has to decide; each kind has its own setting. */
  deadlineDays(config: LifecycleDeps['config']): number;
  /** The kind's own refusals. They run on the locked record, before its transition is applied. */
  check?(deps: LifecycleDeps, recordId: string, record: RecordEnvelope, now: Date): void;
  /** The reason written into the record's version history, naming the case. */
  historyReason(caseId: string, input: I): string;
  /** The values of the columns only this kind's table has. */
  extras(input: I, caller: Caller, record: RecordEnvelope): Partial<C>;
}

/** The rules of deciding that belong to one kind. */
export interface DecisionRules<C extends CaseBase, D extends CaseDecision<C['status']>> {
  /** Refusals before anything is read; they guard callers that bypass the request schema. */
  validate?(decision: D): void;
  /** The record's transition that this decision stands for. */
  action(decision: D): LifecycleAction;
  /** The reason written into the record's version history, naming the case. */
  historyReason(caseId: string, decision: D): string;
  /** The values of the decision columns only this kind's table has. */
  extras(decision: D): Partial<C>;
}

/** How a kind names its cases in answers, in messages and in error codes. */
export interface CaseNaming<K extends string = string> {
  /** The member of the answer that holds the case, next to `record`. */
  key: K;
  /** The case's name in messages; `closedEn` is the English verb the kind has always used for a closed case. */
  names: { zh: string; en: string; closedEn: string };
  codes: { notFound: ErrorCode; alreadyDecided: ErrorCode };
}

export interface CaseKind<K extends string, C extends CaseBase, I extends CaseInput, D extends CaseDecision<C['status']>> extends CaseNaming<K> {
  table: CaseTable<C>;
  filing: FilingRules<C, I>;
  deciding: DecisionRules<C, D>;
}

/** A case and its record, answered as `{ <key>: case, record }`. */
export type CaseResult<K extends string, C> = { [P in K]: C } & { record: RecordEnvelope };

const DAY_MS = 86_400_000;

// The case comes first and the record second, the order in which the API has always answered.
function resultOf<K extends string, C>(key: K, c: C, record: RecordEnvelope): CaseResult<K, C> {
  return { [key]: c, record } as CaseResult<K, C>;
}

export function caseNotFound(kind: CaseNaming, caseId: string): GatewayError {
  return new GatewayError(kind.codes.notFound, { zh: `${kind.names.zh} ${caseId} 不存在`, en: `${kind.names.en} ${caseId} does not exist` });
}

function alreadyDecided(kind: CaseNaming, caseId: string, c: CaseBase): GatewayError {
  return new GatewayError(kind.codes.alreadyDecided, {
    zh: `${kind.names.zh} ${caseId} 已于 ${c.decidedAt} 处理（${c.status}）`,
    en: `${kind.names.en} ${caseId} was ${kind.names.closedEn} (${c.status}) at ${c.decidedAt}`,
    extensions: { [kind.key]: c },
  });
}

/** Who changes the record, when and why: its version history and its events carry all of it. */
function transitionBy(deps: LifecycleDeps, caller: Caller, now: Date, reason: string): TransitionContext {
  return { actor: caller.actor, reason, outbox: deps.outbox, now };
}

export async function fileCase<K extends string, C extends CaseBase, I extends CaseInput, D extends CaseDecision<C['status']>>(
  kind: CaseKind<K, C, I, D>, deps: LifecycleDeps, recordId: string, input: I, caller: Caller,
): Promise<CaseResult<K, C>> {
  const now = deps.now?.() ?? new Date();
  const caseId = randomUUID();
  const rules = kind.filing;
  return deps.outbox.transaction(deps.pool, async (client) => {
    const locked = await lockRecord(client, recordId, caller.grant);
    rules.check?.(deps, recordId, locked, now);
    const record = await applyToLocked(client, locked, rules.action, transitionBy(deps, caller, now, rules.historyReason(caseId, input)));
    const filed = await insertCase(
      client,
      kind.table,
      {
        caseId,
        recordId,
        filedBy: caller.actor,
        reason: input.reason ?? null,
        evidence: input.evidence,
        filedAt: now.toISOString(),
        deadlineAt: new Date(now.getTime() + rules.deadlineDays(deps.config) * DAY_MS).toISOString(),
        extras: rules.extras(input, caller, locked),
      },
      now,
    );
    return resultOf(kind.key, filed, record);
  });
}

export async function decideCase<K extends string, C extends CaseBase, I extends CaseInput, D extends CaseDecision<C['status']>>(
  kind: CaseKind<K, C, I, D>, deps: LifecycleDeps, caseId: string, decision: D, caller: Caller,
): Promise<CaseResult<K, C>> {
  const rules = kind.deciding;
  rules.validate?.(decision);
  const now = deps.now?.() ?? new Date();
  return deps.outbox.transaction(deps.pool, async (client) => {
    // The first read, unlocked and under the caller's grant, finds the record to lock; a case on a
    // record outside the grant is answered as one that does not exist.
    const found = await getCase(client, kind.table, caseId, now, caller.grant);
    if (!found) throw caseNotFound(kind, caseId);
    // Lock order everywhere: the record, then its case; the case is read again under its lock.
    const locked = await lockRecord(client, found.recordId, caller.grant, () => caseNotFound(kind, caseId));
    const current = (await getCase(client, kind.table, caseId, now, null, true))!;
    if (current.status !== kind.table.openStatus) throw alreadyDecided(kind, caseId, current);
    const record = await applyToLocked(client, locked, rules.action(decision), transitionBy(deps, caller, now, rules.historyReason(caseId, decision)));
    const closed = await closeCase(
      client,
      kind.table,
      caseId,
      { status: decision.decision, decidedBy: caller.actor, reason: decision.reason, decidedAt: now.toISOString(), extras: rules.extras(decision) },
      now,
    );
    return resultOf(kind.key, closed, record);
  });
}

/** One case. A case on a record outside `grant` gets the kind's 404, exactly as one that does not exist. */
export async function readCase<C extends CaseBase>(kind: CaseNaming & { table: CaseTable<C> }, deps: LifecycleDeps, caseId: string, grant: RecordGrant | null): Promise<C> {
  const found = await getCase(deps.pool, kind.table, caseId, deps.now?.() ?? new Date(), grant);
  if (!found) throw caseNotFound(kind, caseId);
  return found;
}

/** The cases on records `grant` covers, filtered, oldest first. */
export async function listCasesOf<C extends CaseBase>(kind: CaseNaming & { table: CaseTable<C> }, deps: LifecycleDeps, filter: ListFilter, grant: RecordGrant | null): Promise<C[]> {
  return listCases(deps.pool, kind.table, filter, grant, deps.now?.() ?? new Date());
}
