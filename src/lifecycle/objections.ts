/**
 * 异议 (objections): what is their own in the case workflow (./case-workflow.ts). The subject itself
 * or any partner may file one, and the case records which of the two did. Filing suspends the record
 * (out of checks and public reads, destinations are told); the decision restores it (rejected), or
 * corrects or revokes it (upheld, with the outcome). The deadline is objections.deadlineDays.
 */
import type { LifecycleAction } from '../domain/lifecycle.js';
import { GatewayError } from '../errors.js';
import { OBJECTION_TABLE, type EvidenceRef, type Objection } from '../store/case-tables.js';
import { decideCase, fileCase, type CaseKind, type CaseResult } from './case-workflow.js';
import type { Caller, LifecycleDeps } from './deps.js';

export interface ObjectionInput {
  reason: string;
  evidence: EvidenceRef[];
}

export interface ObjectionDecision {
  decision: 'upheld' | 'rejected';
  /** An upheld objection must say what becomes of the record; a rejected one has no outcome. */
  outcome?: 'corrected' | 'revoked';
  reason: string;
}

/** A rejected objection puts the record back; an upheld one corrects or revokes it, as its outcome says. */
function transitionOf(d: ObjectionDecision): LifecycleAction {
  if (d.decision === 'rejected') return 'reject_objection';
  return d.outcome === 'corrected' ? 'correct_record' : 'revoke_record';
}

/** The request schema already requires the outcome of an upheld objection; this guards other callers. */
function requireOutcome(d: ObjectionDecision): void {
  if (d.decision !== 'upheld' || d.outcome) return;
  throw new GatewayError('GW_REQUEST_INVALID', {
    zh: '异议成立时须给出 outcome：corrected（更正）或 revoked（撤销）',
    en: 'an upheld objection needs an outcome: corrected or revoked',
    errors: [{ pointer: '/outcome', rule: 'required', zh: '缺少 outcome', en: 'outcome is required when decision is upheld' }],
  });
}

export const OBJECTIONS: CaseKind<'objection', Objection, ObjectionInput, ObjectionDecision> = {
  key: 'objection',
  table: OBJECTION_TABLE,
  names: { zh: '异议', en: 'objection', closedEn: 'decided' },
  codes: { notFound: 'GW_OBJECTION_NOT_FOUND', alreadyDecided: 'GW_OBJECTION_ALREADY_DECIDED' },
  filing: {
    action: 'file_objection',
    deadlineDays: (config) => config.objections.deadlineDays,
    historyReason: (id, input) => `异议 objection ${id}: ${input.reason}`,
    // The subject files through its own partner account, whose id is its USCC; anyone else is a partner.
    extras: (_input, caller: Caller, record) => ({
      filerRole: caller.partnerId !== null && caller.partnerId === record.subject.uscc ? 'subject' : 'partner',
    }),
  },
  deciding: {
    validate: requireOutcome,
    action: transitionOf,
    historyReason: (id, d) => `异议 objection ${id} ${d.decision}${d.outcome ? ` → ${d.outcome}` : ''}: ${d.reason}`,
    extras: (d) => ({ outcome: d.decision === 'upheld' ? d.outcome! : null }),
  },
};

export function fileObjection(deps: LifecycleDeps, recordId: string, input: ObjectionInput, caller: Caller): Promise<CaseResult<'objection', Objection>> {
  return fileCase(OBJECTIONS, deps, recordId, input, caller);
}

export function decideObjection(deps: LifecycleDeps, objectionId: string, decision: ObjectionDecision, caller: Caller): Promise<CaseResult<'objection', Objection>> {
  return decideCase(OBJECTIONS, deps, objectionId, decision, caller);
}
