/**
 * The case tables of the record lifecycle, objections (异议) and repair requests (信用修复), read and
 * written by one set of queries on the caller's client or transaction. The table, and the names of
 * the columns it does not share with the other, come from its description in ./case-tables.ts.
 */
import type pg from 'pg';
import type { RecordGrant } from '../domain/grant.js';
import { CASE_TABLES, type CaseBase, type CaseTable, type EvidenceRef } from './case-tables.js';
import { grantCondition, grantParams } from './grant-filter.js';

type Row = Record<string, unknown>;
/** A column value to write, and the cast its placeholder needs (if any). */
type Cell = readonly [column: string, value: unknown, cast?: string];

const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : null);

/**
 * The description itself, once it is known to be one of the closed set. Its names are written into
 * the SQL text (identifiers cannot be parameters), so nothing else may reach that text.
 */
function known<T extends CaseBase>(table: CaseTable<T>): CaseTable<T> {
  if (!CASE_TABLES.includes(table)) throw new Error(`not one of the lifecycle case tables: ${String(table.table)}`);
  return table;
}

/** The answer fields of `pairs`, read from their columns; a missing value is null, as the answers have always had it. */
function fieldsOf<T extends CaseBase>(pairs: CaseTable<T>['filingExtras'], r: Row): Row {
  return Object.fromEntries(pairs.map(([field, column]) => [field, r[column] ?? null]));
}

/** The answer for one row. Its fields keep the order of the table's columns, as the API has always answered. */
function caseOf<T extends CaseBase>(t: CaseTable<T>, r: Row, now: Date): T {
  const deadline = r.deadline_at as Date;
  const answer: Row = {
    [t.id[0]]: r[t.id[1]],
    recordId: r.record_id,
    status: r.status,
    [t.filer[0]]: r[t.filer[1]],
    ...fieldsOf(t.filingExtras, r),
    reason: r.reason ?? null,
    evidence: r.evidence as EvidenceRef[],
    [t.filedAt[0]]: iso(r[t.filedAt[1]]),
    deadlineAt: deadline.toISOString(),
    overdue: r.status === t.openStatus && deadline.getTime() < now.getTime(),
    ...fieldsOf(t.decisionExtras, r),
    decidedBy: r.decided_by ?? null,
    decisionReason: r.decision_reason ?? null,
    decidedAt: iso(r.decided_at),
  };
  return answer as T;
}

/** The table's own columns among `pairs`, with their values taken from `extras` (null where absent). */
function extraCells<T extends CaseBase>(pairs: CaseTable<T>['filingExtras'], extras: Partial<T>): Cell[] {
  return pairs.map(([field, column]) => [column, extras[field] ?? null] as const);
}

/** A new case, as the filing writes it; the id, filer and filing time go to the table's own columns. */
export interface CaseFiling<T> {
  caseId: string;
  recordId: string;
  filedBy: string;
  reason: string | null;
  evidence: EvidenceRef[];
  filedAt: string;
  deadlineAt: string;
  /** The values of the table's own filing columns, by answer field. */
  extras: Partial<T>;
}

export async function insertCase<T extends CaseBase>(client: pg.ClientBase, table: CaseTable<T>, c: CaseFiling<T>, now: Date): Promise<T> {
  const t = known(table);
  const cells: Cell[] = [
    [t.id[1], c.caseId], ['record_id', c.recordId], ['status', t.openStatus], [t.filer[1], c.filedBy],
    ...extraCells(t.filingExtras, c.extras),
    ['reason', c.reason], ['evidence', JSON.stringify(c.evidence), '::jsonb'], [t.filedAt[1], c.filedAt], ['deadline_at', c.deadlineAt],
  ];
  const { rows } = await client.query(
    `INSERT INTO ${t.table} (${cells.map(([column]) => column).join(', ')})
     VALUES (${cells.map(([, , cast], i) => `$${i + 1}${cast ?? ''}`).join(', ')}) RETURNING *`,
    cells.map(([, value]) => value),
  );
  return caseOf(t, rows[0]!, now);
}

/** The case, if `grant` covers its record; locked for update when `lock` (to decide it). */
export async function getCase<T extends CaseBase>(
  client: pg.ClientBase | pg.Pool,
  table: CaseTable<T>,
  caseId: string,
  now: Date,
  grant: RecordGrant | null,
  lock = false,
): Promise<T | null> {
  const t = known(table);
  const { rows } = await client.query(
    `SELECT c.* FROM ${t.table} c JOIN records r USING (record_id)
      WHERE c.${t.id[1]} = $1 AND ${grantCondition('r', 2)}${lock ? ' FOR UPDATE OF c' : ''}`,
    [caseId, ...grantParams(grant)],
  );
  return rows[0] ? caseOf(t, rows[0], now) : null;
}

/** How a case is closed: its new status, who decided and why, and the table's own decision columns. */
export interface CaseClosing<T extends CaseBase> {
  status: T['status'];
  decidedBy: string;
  reason: string;
  decidedAt: string;
  extras: Partial<T>;
}

export async function closeCase<T extends CaseBase>(client: pg.ClientBase, table: CaseTable<T>, caseId: string, d: CaseClosing<T>, now: Date): Promise<T> {
  const t = known(table);
  const cells: Cell[] = [
    ['status', d.status], ...extraCells(t.decisionExtras, d.extras),
    ['decided_by', d.decidedBy], ['decision_reason', d.reason], ['decided_at', d.decidedAt],
  ];
  const { rows } = await client.query(
    `UPDATE ${t.table} SET ${cells.map(([column], i) => `${column} = $${i + 2}`).join(', ')}
      WHERE ${t.id[1]} = $1 RETURNING *`,
    [caseId, ...cells.map(([, value]) => value)],
  );
  return caseOf(t, rows[0]!, now);
}

export interface ListFilter {
  status?: string;
  recordId?: string;
  /** With true, only open cases past their deadline are listed. */
  overdue?: boolean;
  limit: number;
}

/** Cases on records `grant` covers, by filing time (oldest first): open ones past their deadline with `overdue`. */
export async function listCases<T extends CaseBase>(pool: pg.Pool, table: CaseTable<T>, filter: ListFilter, grant: RecordGrant | null, now: Date): Promise<T[]> {
  const t = known(table);
  const { rows } = await pool.query(
    `SELECT c.* FROM ${t.table} c JOIN records r USING (record_id)
      WHERE ($1::text IS NULL OR c.status = $1) AND ($2::uuid IS NULL OR c.record_id = $2)
        AND (NOT $3 OR (c.status = $6 AND c.deadline_at < $4)) AND ${grantCondition('r', 7)}
      ORDER BY c.${t.filedAt[1]}, c.${t.id[1]} LIMIT $5`,
    [filter.status ?? null, filter.recordId ?? null, filter.overdue ?? false, now.toISOString(), filter.limit, t.openStatus, ...grantParams(grant)],
  );
  return rows.map((r) => caseOf(t, r, now));
}

/**
 * Closes the pending repair request of a record whose publication ended on its own (expiry). Only
 * repair requests lapse: an open objection suspends the record, so the expiry job never takes it.
 */
export async function lapsePendingRepair(client: pg.ClientBase, recordId: string, actor: string, reason: string, at: string): Promise<void> {
  await client.query(
    `UPDATE repairs SET status = 'lapsed', decided_by = $2, decision_reason = $3, decided_at = $4
      WHERE record_id = $1 AND status = 'requested'`,
    [recordId, actor, reason, at],
  );
}
