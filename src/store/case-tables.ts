/**
 * The two case tables of the record lifecycle (migration 004): objections (异议) and repair requests
 * (信用修复). Both hold one case against one record, with its filer, evidence, deadline and decision;
 * they differ in the names of a few columns and in the columns only one of them has. Each table is
 * described here once, and src/store/lifecycle-repo.ts builds its SQL from these descriptions only, so
 * every table and column name in that SQL comes from this closed set and never from a request.
 */

/** A reference to evidence held elsewhere (document number, file id, URL), never the document itself. */
export interface EvidenceRef {
  ref: string;
  description?: string;
}

export interface Objection {
  objectionId: string;
  recordId: string;
  status: 'open' | 'upheld' | 'rejected';
  filedBy: string;
  filerRole: 'subject' | 'partner';
  reason: string;
  evidence: EvidenceRef[];
  filedAt: string;
  deadlineAt: string;
  overdue: boolean;
  outcome: 'corrected' | 'revoked' | null;
  decidedBy: string | null;
  decisionReason: string | null;
  decidedAt: string | null;
}

export interface Repair {
  repairId: string;
  recordId: string;
  status: 'requested' | 'granted' | 'rejected' | 'lapsed';
  requestedBy: string;
  commitmentRef: string;
  reason: string | null;
  evidence: EvidenceRef[];
  requestedAt: string;
  deadlineAt: string;
  overdue: boolean;
  decidedBy: string | null;
  decisionReason: string | null;
  decidedAt: string | null;
}

/** What every case answer has, whatever its kind; the workflow relies on these fields only. */
export interface CaseBase {
  recordId: string;
  status: string;
  decidedAt: string | null;
}

/** The columns whose names differ between the tables, or that only one table has. */
type CaseColumn = 'objection_id' | 'repair_id' | 'filed_by' | 'requested_by' | 'filed_at' | 'requested_at' | 'filer_role' | 'commitment_ref' | 'outcome';

/** One answer field and the column it is read from (and written to). */
type FieldColumn<T> = readonly [field: keyof T & string, column: CaseColumn];

/**
 * One case table. The columns both tables share (record_id, status, reason, evidence, deadline_at,
 * decided_by, decision_reason, decided_at) are not named here: they are the same in both. The answer
 * lists its fields in the order of the table's columns, the table's own ones where they stand.
 */
export interface CaseTable<T extends CaseBase> {
  table: 'objections' | 'repairs';
  /** The status of a case not yet decided. Deciding requires it, and overdue counts only such cases. */
  openStatus: T['status'];
  /** Every status the table's CHECK constraint allows, which is what a list may be filtered by. */
  statuses: readonly T['status'][];
  id: FieldColumn<T>;
  filer: FieldColumn<T>;
  filedAt: FieldColumn<T>;
  /** The table's own columns written on filing; they stand after the filer. */
  filingExtras: readonly FieldColumn<T>[];
  /** The table's own columns written on deciding; they stand after the deadline. */
  decisionExtras: readonly FieldColumn<T>[];
}

export const OBJECTION_TABLE: CaseTable<Objection> = {
  table: 'objections', openStatus: 'open', statuses: ['open', 'upheld', 'rejected'],
  id: ['objectionId', 'objection_id'], filer: ['filedBy', 'filed_by'], filedAt: ['filedAt', 'filed_at'],
  filingExtras: [['filerRole', 'filer_role']], decisionExtras: [['outcome', 'outcome']],
};

export const REPAIR_TABLE: CaseTable<Repair> = {
  table: 'repairs', openStatus: 'requested', statuses: ['requested', 'granted', 'rejected', 'lapsed'],
  id: ['repairId', 'repair_id'], filer: ['requestedBy', 'requested_by'], filedAt: ['requestedAt', 'requested_at'],
  filingExtras: [['commitmentRef', 'commitment_ref']], decisionExtras: [],
};

/** The closed set: the repository refuses any description that is not one of these objects. */
export const CASE_TABLES: readonly unknown[] = [OBJECTION_TABLE, REPAIR_TABLE];
