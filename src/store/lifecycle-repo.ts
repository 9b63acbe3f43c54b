/** Objections (异议) and repair requests (信用修复): their rows, on the caller's client or transaction. */
import type pg from 'pg';
import type { RecordGrant } from '../domain/grant.js';
import { grantCondition, grantParams } from './grant-filter.js';

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

type Row = Record<string, unknown>;
const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : null);

function objectionOf(r: Row, now: Date): Objection {
  const deadline = r.deadline_at as Date;
  return {
    objectionId: r.objection_id as string,
    recordId: r.record_id as string,
    status: r.status as Objection['status'],
    filedBy: r.filed_by as string,
    filerRole: r.filer_role as Objection['filerRole'],
    reason: r.reason as string,
    evidence: r.evidence as EvidenceRef[],
    filedAt: iso(r.filed_at)!,
    deadlineAt: deadline.toISOString(),
    overdue: r.status === 'open' && deadline.getTime() < now.getTime(),
    outcome: (r.outcome as Objection['outcome']) ?? null,
    decidedBy: (r.decided_by as string | null) ?? null,
    decisionReason: (r.decision_reason as string | null) ?? null,
    decidedAt: iso(r.decided_at),
  };
}

function repairOf(r: Row, now: Date): Repair {
  const deadline = r.deadline_at as Date;
  return {
    repairId: r.repair_id as string,
    recordId: r.record_id as string,
    status: r.status as Repair['status'],
    requestedBy: r.requested_by as string,
    commitmentRef: r.commitment_ref as string,
    reason: (r.reason as string | null) ?? null,
    evidence: r.evidence as EvidenceRef[],
    requestedAt: iso(r.requested_at)!,
    deadlineAt: deadline.toISOString(),
    overdue: r.status === 'requested' && deadline.getTime() < now.getTime(),
    decidedBy: (r.decided_by as string | null) ?? null,
    decisionReason: (r.decision_reason as string | null) ?? null,
    decidedAt: iso(r.decided_at),
  };
}

export async function insertObjection(
  client: pg.ClientBase,
  o: Pick<Objection, 'objectionId' | 'recordId' | 'filedBy' | 'filerRole' | 'reason' | 'evidence' | 'filedAt' | 'deadlineAt'>,
  now: Date,
): Promise<Objection> {
  const { rows } = await client.query(
    `INSERT INTO objections (objection_id, record_id, status, filed_by, filer_role, reason, evidence, filed_at, deadline_at)
     VALUES ($1, $2, 'open', $3, $4, $5, $6::jsonb, $7, $8) RETURNING *`,
    [o.objectionId, o.recordId, o.filedBy, o.filerRole, o.reason, JSON.stringify(o.evidence), o.filedAt, o.deadlineAt],
  );
  return objectionOf(rows[0]!, now);
}

/** The objection, if `grant` covers its record; locked for update when `lock` (to decide it). */
export async function getObjection(
  client: pg.ClientBase | pg.Pool,
  objectionId: string,
  now: Date,
  grant: RecordGrant | null,
  lock = false,
): Promise<Objection | null> {
  const { rows } = await client.query(
    `SELECT o.* FROM objections o JOIN records r USING (record_id)
      WHERE o.objection_id = $1 AND ${grantCondition('r', 2)}${lock ? ' FOR UPDATE OF o' : ''}`,
    [objectionId, ...grantParams(grant)],
  );
  return rows[0] ? objectionOf(rows[0], now) : null;
}

export async function closeObjection(
  client: pg.ClientBase,
  objectionId: string,
  d: { status: 'upheld' | 'rejected'; outcome: 'corrected' | 'revoked' | null; decidedBy: string; reason: string; decidedAt: string },
  now: Date,
): Promise<Objection> {
  const { rows } = await client.query(
    `UPDATE objections SET status = $2, outcome = $3, decided_by = $4, decision_reason = $5, decided_at = $6
      WHERE objection_id = $1 RETURNING *`,
    [objectionId, d.status, d.outcome, d.decidedBy, d.reason, d.decidedAt],
  );
  return objectionOf(rows[0]!, now);
}

export interface ListFilter {
  status?: string;
  recordId?: string;
  /** only open items past their deadline */
  overdue?: boolean;
  limit: number;
}

/** Objections on records `grant` covers, by filing time (oldest first): open ones past their deadline with `overdue`. */
export async function listObjections(pool: pg.Pool, filter: ListFilter, grant: RecordGrant | null, now: Date): Promise<Objection[]> {
  const { rows } = await pool.query(
    `SELECT o.* FROM objections o JOIN records r USING (record_id)
      WHERE ($1::text IS NULL OR o.status = $1) AND ($2::uuid IS NULL OR o.record_id = $2)
        AND (NOT $3 OR (o.status = 'open' AND o.deadline_at < $4)) AND ${grantCondition('r', 6)}
      ORDER BY o.filed_at, o.objection_id LIMIT $5`,
    [filter.status ?? null, filter.recordId ?? null, filter.overdue ?? false, now.toISOString(), filter.limit, ...grantParams(grant)],
  );
  return rows.map((r) => objectionOf(r, now));
}

export async function insertRepair(
  client: pg.ClientBase,
  r: Pick<Repair, 'repairId' | 'recordId' | 'requestedBy' | 'commitmentRef' | 'reason' | 'evidence' | 'requestedAt' | 'deadlineAt'>,
  now: Date,
): Promise<Repair> {
  const { rows } = await client.query(
    `INSERT INTO repairs (repair_id, record_id, status, requested_by, commitment_ref, reason, evidence, requested_at, deadline_at)
     VALUES ($1, $2, 'requested', $3, $4, $5, $6::jsonb, $7, $8) RETURNING *`,
    [r.repairId, r.recordId, r.requestedBy, r.commitmentRef, r.reason, JSON.stringify(r.evidence), r.requestedAt, r.deadlineAt],
  );
  return repairOf(rows[0]!, now);
}

/** The repair request, if `grant` covers its record; locked for update when `lock` (to decide it). */
export async function getRepair(
  client: pg.ClientBase | pg.Pool,
  repairId: string,
  now: Date,
  grant: RecordGrant | null,
  lock = false,
): Promise<Repair | null> {
  const { rows } = await client.query(
    `SELECT p.* FROM repairs p JOIN records r USING (record_id)
      WHERE p.repair_id = $1 AND ${grantCondition('r', 2)}${lock ? ' FOR UPDATE OF p' : ''}`,
    [repairId, ...grantParams(grant)],
  );
  return rows[0] ? repairOf(rows[0], now) : null;
}

export async function closeRepair(
  client: pg.ClientBase,
  repairId: string,
  d: { status: 'granted' | 'rejected'; decidedBy: string; reason: string; decidedAt: string },
  now: Date,
): Promise<Repair> {
  const { rows } = await client.query(
    `UPDATE repairs SET status = $2, decided_by = $3, decision_reason = $4, decided_at = $5 WHERE repair_id = $1 RETURNING *`,
    [repairId, d.status, d.decidedBy, d.reason, d.decidedAt],
  );
  return repairOf(rows[0]!, now);
}

/** Closes the pending repair request of a record whose publication ended on its own (expiry). */
export async function lapsePendingRepair(client: pg.ClientBase, recordId: string, actor: string, reason: string, at: string): Promise<void> {
  await client.query(
    `UPDATE repairs SET status = 'lapsed', decided_by = $2, decision_reason = $3, decided_at = $4
      WHERE record_id = $1 AND status = 'requested'`,
    [recordId, actor, reason, at],
  );
}

/** Repair requests on records `grant` covers, oldest first: pending ones past their deadline with `overdue`. */
export async function listRepairs(pool: pg.Pool, filter: ListFilter, grant: RecordGrant | null, now: Date): Promise<Repair[]> {
  const { rows } = await pool.query(
    `SELECT p.* FROM repairs p JOIN records r USING (record_id)
      WHERE ($1::text IS NULL OR p.status = $1) AND ($2::uuid IS NULL OR p.record_id = $2)
        AND (NOT $3 OR (p.status = 'requested' AND p.deadline_at < $4)) AND ${grantCondition('r', 6)}
      ORDER BY p.requested_at, p.repair_id LIMIT $5`,
    [filter.status ?? null, filter.recordId ?? null, filter.overdue ?? false, now.toISOString(), filter.limit, ...grantParams(grant)],
  );
  return rows.map((r) => repairOf(r, now));
}
