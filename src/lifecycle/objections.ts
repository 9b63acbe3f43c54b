/**
 * 异议 (objections): filing one suspends the record (out of checks and public reads, destinations are
 * told); the decision restores it (rejected), or corrects or revokes it (upheld). Each step is one
 * transaction: the objection row and the record's new version commit together.
 */
import { randomUUID } from 'node:crypto';
import type { RecordEnvelope } from '../domain/record.js';
import { GatewayError } from '../errors.js';
import { closeObjection, getObjection, insertObjection, type EvidenceRef, type Objection } from '../store/lifecycle-repo.js';
import type { Caller, LifecycleDeps } from './deps.js';
import { applyToLocked, lockRecord } from './transition.js';

export interface ObjectionInput {
  reason: string;
  evidence: EvidenceRef[];
}

export interface ObjectionDecision {
  decision: 'upheld' | 'rejected';
  /** required when upheld */
  outcome?: 'corrected' | 'revoked';
  reason: string;
}

const DAY_MS = 86_400_000;

export async function fileObjection(
  deps: LifecycleDeps,
  recordId: string,
  input: ObjectionInput,
  caller: Caller,
): Promise<{ objection: Objection; record: RecordEnvelope }> {
  const now = deps.now?.() ?? new Date();
  const objectionId = randomUUID();
  return deps.outbox.transaction(deps.pool, async (client) => {
    const locked = await lockRecord(client, recordId, caller.grant);
    const record = await applyToLocked(client, locked, 'file_objection', {
      actor: caller.actor,
      reason: `异议 objection ${objectionId}: ${input.reason}`,
      outbox: deps.outbox,
      now,
    });
    const objection = await insertObjection(
      client,
      {
        objectionId,
        recordId,
        filedBy: caller.actor,
        filerRole: caller.partnerId !== null && caller.partnerId === locked.subject.uscc ? 'subject' : 'partner',
        reason: input.reason,
        evidence: input.evidence,
        filedAt: now.toISOString(),
        deadlineAt: new Date(now.getTime() + deps.config.objections.deadlineDays * DAY_MS).toISOString(),
      },
      now,
    );
    return { objection, record };
  });
}

export async function decideObjection(
  deps: LifecycleDeps,
  objectionId: string,
  decision: ObjectionDecision,
  caller: Caller,
): Promise<{ objection: Objection; record: RecordEnvelope }> {
  if (decision.decision === 'upheld' && !decision.outcome) {
    throw new GatewayError('GW_REQUEST_INVALID', {
      zh: '异议成立时须给出 outcome：corrected（更正）或 revoked（撤销）',
      en: 'an upheld objection needs an outcome: corrected or revoked',
      errors: [{ pointer: '/outcome', rule: 'required', zh: '缺少 outcome', en: 'outcome is required when decision is upheld' }],
    });
  }
  const now = deps.now?.() ?? new Date();
  return deps.outbox.transaction(deps.pool, async (client) => {
    const found = await getObjection(client, objectionId, now, caller.grant);
    if (!found) throw notFound(objectionId);
    // Lock order everywhere: the record, then its objection.
    const locked = await lockRecord(client, found.recordId, caller.grant, () => notFound(objectionId));
    const objection = (await getObjection(client, objectionId, now, null, true))!;
    if (objection.status !== 'open') {
      throw new GatewayError('GW_OBJECTION_ALREADY_DECIDED', {
        zh: `异议 ${objectionId} 已于 ${objection.decidedAt} 处理（${objection.status}）`,
        en: `objection ${objectionId} was decided (${objection.status}) at ${objection.decidedAt}`,
        extensions: { objection },
      });
    }
    const action = decision.decision === 'rejected' ? 'reject_objection' : decision.outcome === 'corrected' ? 'correct_record' : 'revoke_record';
    const record = await applyToLocked(client, locked, action, {
      actor: caller.actor,
      reason: `异议 objection ${objectionId} ${decision.decision}${decision.outcome ? ` → ${decision.outcome}` : ''}: ${decision.reason}`,
      outbox: deps.outbox,
      now,
    });
    const closed = await closeObjection(
      client,
      objectionId,
      {
        status: decision.decision,
        outcome: decision.decision === 'upheld' ? decision.outcome! : null,
        decidedBy: caller.actor,
        reason: decision.reason,
        decidedAt: now.toISOString(),
      },
      now,
    );
    return { objection: closed, record };
  });
}

export function notFound(objectionId: string): GatewayError {
  return new GatewayError('GW_OBJECTION_NOT_FOUND', { zh: `异议 ${objectionId} 不存在`, en: `objection ${objectionId} does not exist` });
}
