/**
 * 信用修复 (credit repair): what is its own in the case workflow (./case-workflow.ts). Only a
 * negative record may be repaired, only once its minimum publication period is over
 * (earliestRepairAt), and only with the subject's signed credit commitment. Requesting it leaves the
 * record published; granting it ends publication and sharing: the record is retracted from every
 * destination that had it, left out of checks and public reads, and kept in the history. The
 * deadline is repairs.decisionDeadlineDays. A pending request lapses when the record expires first
 * (the expiry job, ./expiry-job.ts).
 */
import { chinaDayOf, isRepairOpen, withPublicationPeriods } from '../domain/publication-periods.js';
import type { RecordEnvelope } from '../domain/record.js';
import { GatewayError } from '../errors.js';
import { REPAIR_TABLE, type EvidenceRef, type Repair } from '../store/case-tables.js';
import { decideCase, fileCase, type CaseKind, type CaseResult } from './case-workflow.js';
import type { Caller, LifecycleDeps } from './deps.js';
import { assertTransition } from './transition.js';

export interface RepairInput {
  /** The reference to the subject's signed credit commitment (信用承诺书), which repair requires. */
  commitmentRef: string;
  reason?: string;
  evidence: EvidenceRef[];
}

export interface RepairDecision {
  decision: 'granted' | 'rejected';
  reason: string;
}

/** The earliest repair date of a stored record; records stored before periods existed get it from the table now. */
function earliestRepairDate(deps: LifecycleDeps, record: RecordEnvelope): string | undefined {
  return record.earliestRepairAt ?? withPublicationPeriods(record, deps.config.publicationPeriods).earliestRepairAt;
}

/**
 * Refuses a record that may not be repaired now. The refusals come in this order: not a negative
 * record (there is nothing to repair), then a status that does not allow the request (409, naming
 * what is allowed), then the minimum period, so that a date is only given to a record that will be
 * repairable on it.
 */
function checkEligible(deps: LifecycleDeps, recordId: string, record: RecordEnvelope, now: Date): void {
  if (record.polarity !== 'negative') {
    throw new GatewayError('GW_REPAIR_NOT_APPLICABLE', {
      zh: `记录 ${recordId} 不是负面记录（${record.polarity}），无需信用修复`,
      en: `record ${recordId} is not negative (${record.polarity}); there is nothing to repair`,
    });
  }
  assertTransition(record, 'request_repair');
  const earliest = earliestRepairDate(deps, record);
  if (!isRepairOpen(earliest, chinaDayOf(now))) {
    throw new GatewayError('GW_REPAIR_TOO_EARLY', {
      zh: `记录 ${recordId} 最短公示期未满，${earliest} 起方可申请信用修复`,
      en: `record ${recordId} is still within its minimum publication period; repair may be requested from ${earliest}`,
      extensions: { recordId, earliestRepairAt: earliest },
    });
  }
}

export const REPAIRS: CaseKind<'repair', Repair, RepairInput, RepairDecision> = {
  key: 'repair',
  table: REPAIR_TABLE,
  names: { zh: '信用修复申请', en: 'repair request', closedEn: 'closed' },
  codes: { notFound: 'GW_REPAIR_NOT_FOUND', alreadyDecided: 'GW_REPAIR_ALREADY_DECIDED' },
  filing: {
    action: 'request_repair',
    deadlineDays: (config) => config.repairs.decisionDeadlineDays,
    check: checkEligible,
    historyReason: (id, input) => `信用修复申请 repair ${id}（承诺 commitment ${input.commitmentRef}）${input.reason ? `: ${input.reason}` : ''}`,
    extras: (input) => ({ commitmentRef: input.commitmentRef }),
  },
  deciding: {
    action: (d) => (d.decision === 'granted' ? 'grant_repair' : 'reject_repair'),
    historyReason: (id, d) => `信用修复 repair ${id} ${d.decision}: ${d.reason}`,
    // Repair requests have no decision columns of their own.
    extras: () => ({}),
  },
};

export function requestRepair(deps: LifecycleDeps, recordId: string, input: RepairInput, caller: Caller): Promise<CaseResult<'repair', Repair>> {
  return fileCase(REPAIRS, deps, recordId, input, caller);
}

export function decideRepair(deps: LifecycleDeps, repairId: string, decision: RepairDecision, caller: Caller): Promise<CaseResult<'repair', Repair>> {
  return decideCase(REPAIRS, deps, repairId, decision, caller);
}
