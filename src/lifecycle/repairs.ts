/**
 * 信用修复 (credit repair): a negative record may be repaired once its minimum publication period is
 * over (earliestRepairAt) and the subject has signed a credit commitment. Granting it ends publication
 * and sharing: the record is retracted from every destination that had it, left out of checks and
 * public reads, and kept in the history.
 */
import { randomUUID } from 'node:crypto';
import { chinaDayOf, isRepairOpen, withPublicationPeriods } from '../domain/publication-periods.js';
import type { RecordEnvelope } from '../domain/record.js';
import { GatewayError } from '../errors.js';
import { closeRepair, getRepair, insertRepair, type EvidenceRef, type Repair } from '../store/lifecycle-repo.js';
import type { Caller, LifecycleDeps } from './deps.js';
import { applyToLocked, assertTransition, lockRecord } from './transition.js';

export interface RepairInput {
  /** reference to the subject's signed credit commitment (信用承诺书) */
  commitmentRef: string;
  reason?: string;
  evidence: EvidenceRef[];
}

export interface RepairDecision {
  decision: 'granted' | 'rejected';
  reason: string;
}

const DAY_MS = 86_400_000;

/** The earliest repair date of a stored record; records stored before periods existed get it from the table now. */
function earliestRepairDate(deps: LifecycleDeps, record: RecordEnvelope): string | undefined {
  return record.earliestRepairAt ?? withPublicationPeriods(record, deps.config.publicationPeriods).earliestRepairAt;
}

export async function requestRepair(
  deps: LifecycleDeps,
  recordId: string,
  input: RepairInput,
  caller: Caller,
): Promise<{ repair: Repair; record: RecordEnvelope }> {
  const now = deps.now?.() ?? new Date();
  const repairId = randomUUID();
  return deps.outbox.transaction(deps.pool, async (client) => {
    const locked = await lockRecord(client, recordId, caller.grant);
    if (locked.polarity !== 'negative') {
      throw new GatewayError('GW_REPAIR_NOT_APPLICABLE', {
        zh: `记录 ${recordId} 不是负面记录（${locked.polarity}），无需信用修复`,
        en: `record ${recordId} is not negative (${locked.polarity}); there is nothing to repair`,
      });
    }
    assertTransition(locked, 'request_repair');
    const earliest = earliestRepairDate(deps, locked);
    if (!isRepairOpen(earliest, chinaDayOf(now))) {
      throw new GatewayError('GW_REPAIR_TOO_EARLY', {
        zh: `记录 ${recordId} 最短公示期未满，${earliest} 起方可申请信用修复`,
        en: `record ${recordId} is still within its minimum publication period; repair may be requested from ${earliest}`,
        extensions: { recordId, earliestRepairAt: earliest },
      });
    }
    const record = await applyToLocked(client, locked, 'request_repair', {
      actor: caller.actor,
      reason: `信用修复申请 repair ${repairId}（承诺 commitment ${input.commitmentRef}）${input.reason ? `: ${input.reason}` : ''}`,
      outbox: deps.outbox,
      now,
    });
    const repair = await insertRepair(
      client,
      {
        repairId,
        recordId,
        requestedBy: caller.actor,
        commitmentRef: input.commitmentRef,
        reason: input.reason ?? null,
        evidence: input.evidence,
        requestedAt: now.toISOString(),
        deadlineAt: new Date(now.getTime() + deps.config.repairs.decisionDeadlineDays * DAY_MS).toISOString(),
      },
      now,
    );
    return { repair, record };
  });
}

export async function decideRepair(
  deps: LifecycleDeps,
  repairId: string,
  decision: RepairDecision,
  caller: Caller,
): Promise<{ repair: Repair; record: RecordEnvelope }> {
  const now = deps.now?.() ?? new Date();
  return deps.outbox.transaction(deps.pool, async (client) => {
    const found = await getRepair(client, repairId, now, caller.grant);
    if (!found) throw repairNotFound(repairId);
    // Lock order everywhere: the record, then its repair request.
    const locked = await lockRecord(client, found.recordId, caller.grant, () => repairNotFound(repairId));
    const repair = (await getRepair(client, repairId, now, null, true))!;
    if (repair.status !== 'requested') {
      throw new GatewayError('GW_REPAIR_ALREADY_DECIDED', {
        zh: `信用修复申请 ${repairId} 已于 ${repair.decidedAt} 处理（${repair.status}）`,
        en: `repair request ${repairId} was closed (${repair.status}) at ${repair.decidedAt}`,
        extensions: { repair },
      });
    }
    const record = await applyToLocked(client, locked, decision.decision === 'granted' ? 'grant_repair' : 'reject_repair', {
      actor: caller.actor,
      reason: `信用修复 repair ${repairId} ${decision.decision}: ${decision.reason}`,
      outbox: deps.outbox,
      now,
    });
    const closed = await closeRepair(
      client,
      repairId,
      { status: decision.decision, decidedBy: caller.actor, reason: decision.reason, decidedAt: now.toISOString() },
      now,
    );
    return { repair: closed, record };
  });
}

export function repairNotFound(repairId: string): GatewayError {
  return new GatewayError('GW_REPAIR_NOT_FOUND', { zh: `信用修复申请 ${repairId} 不存在`, en: `repair request ${repairId} does not exist` });
}
