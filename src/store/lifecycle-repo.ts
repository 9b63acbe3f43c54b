/** Objections (异议) and repair requests (信用修复): their rows, on the caller's client or transaction. */
import type pg from 'pg';

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

/** The objection, locked for update when `lock` (to decide it). */
export async function getObjection(client: pg.ClientBase | pg.Pool, objectionId: string, now: Date, lock = false): Promise<Objection | null> {
  const { rows } = await client.query(`SELECT * FROM objections WHERE objection_id = $1${lock ? ' FOR UPDATE' : ''}`, [objectionId]);
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

/** Objections by filing time (oldest first): open ones past their deadline with `overdue`. */
export async function listObjections(pool: pg.Pool, filter: ListFilter, now: Date): Promise<Objection[]> {
  const { rows } = await pool.query(
    `SELECT * FROM objections
      WHERE ($1::text IS NULL OR status = $1) AND ($2::uuid IS NULL OR record_id = $2)
        AND (NOT $3 OR (status = 'open' AND deadline_at < $4))
      ORDER BY filed_at, objection_id LIMIT $5`,
    [filter.status ?? null, filter.recordId ?? null, filter.overdue ?? false, now.toISOString(), filter.limit],
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

export async function getRepair(client: pg.ClientBase | pg.Pool, repairId: string, now: Date, lock = false): Promise<Repair | null> {
  const { rows } = await client.query(`SELECT * FROM repairs WHERE repair_id = $1${lock ? ' FOR UPDATE' : ''}`, [repairId]);
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

export async function listRepairs(pool: pg.Pool, filter: ListFilter, now: Date): Promise<Repair[]> {
  const { rows } = await pool.query(
    `SELECT * FROM repairs
      WHERE ($1::text IS NULL OR status = $1) AND ($2::uuid IS NULL OR record_id = $2)
        AND (NOT $3 OR (status = 'requested' AND deadline_at < $4))
      ORDER BY requested_at, repair_id LIMIT $5`,
    [filter.status ?? null, filter.recordId ?? null, filter.overdue ?? false, now.toISOString(), filter.limit],
  );
  return rows.map((r) => repairOf(r, now));
}
