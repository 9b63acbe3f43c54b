/**
 * Objections (异议) and credit repairs (信用修复) handled in a period, and those past their deadline,
 * per unit (the region or USCC of the record they concern), for government subjects' records.
 *
 * The `objections` and `repairs` tables come from migration 004 (the lifecycle). Where they do not
 * exist (a database migrated without 004) this returns `available: false` and reports show the
 * handling columns as unavailable (the score then counts no overdue handling).
 *
 *   handled      decided inside the period (decided_at in [period start, T])
 *   pastDeadline filed by T and, at T, still undecided past its deadline_at; or decided inside the
 *                period after its deadline
 */
import type pg from 'pg';
import type { IndicatorUnit } from './indicators.js';
import type { ReportPeriod } from './report-period.js';

export interface HandlingRow {
  unit: string;
  objectionsHandled: number;
  objectionsPastDeadline: number;
  repairsHandled: number;
  repairsPastDeadline: number;
}

export interface HandlingIndicators {
  available: boolean;
  rows: HandlingRow[];
}

type Queryable = Pick<pg.ClientBase, 'query'>;

async function lifecycleTablesExist(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ ok: boolean }>(
    `SELECT to_regclass('objections') IS NOT NULL AND to_regclass('repairs') IS NOT NULL AS ok`,
  );
  return rows[0]?.ok ?? false;
}

const FILED_AT = { objections: 'filed_at', repairs: 'requested_at' } as const;

function handlingSql(table: 'objections' | 'repairs', unit: IndicatorUnit): string {
  const unitColumn = unit === 'region' ? 'r.region' : 'r.uscc';
  return `
    SELECT ${unitColumn} AS unit,
           count(*) FILTER (WHERE h.decided_at >= $2 AND h.decided_at <= $1)::int AS handled,
           count(*) FILTER (WHERE (h.decided_at IS NULL OR h.decided_at > $1) AND h.deadline_at < $1
                               OR h.decided_at >= $2 AND h.decided_at <= $1 AND h.decided_at > h.deadline_at)::int AS past_deadline
      FROM ${table} h
      JOIN records r ON r.record_id = h.record_id
     WHERE r.government_subject AND h.${FILED_AT[table]} <= $1 AND r.region LIKE $3
     GROUP BY 1`;
}

export async function handlingIndicators(
  db: Queryable,
  q: { period: ReportPeriod; at: Date; unit: IndicatorUnit; regionPrefix?: string | undefined },
): Promise<HandlingIndicators> {
  if (!(await lifecycleTablesExist(db))) return { available: false, rows: [] };
  const params = [q.at, q.period.start, `${q.regionPrefix ?? ''}%`];
  const objections = await db.query<{ unit: string; handled: number; past_deadline: number }>(handlingSql('objections', q.unit), params);
  const repairs = await db.query<{ unit: string; handled: number; past_deadline: number }>(handlingSql('repairs', q.unit), params);
  const byUnit = new Map<string, HandlingRow>();
  const rowFor = (unit: string) => {
    let row = byUnit.get(unit);
    if (!row) byUnit.set(unit, (row = { unit, objectionsHandled: 0, objectionsPastDeadline: 0, repairsHandled: 0, repairsPastDeadline: 0 }));
    return row;
  };
  for (const o of objections.rows) Object.assign(rowFor(o.unit), { objectionsHandled: o.handled, objectionsPastDeadline: o.past_deadline });
  for (const r of repairs.rows) Object.assign(rowFor(r.unit), { repairsHandled: r.handled, repairsPastDeadline: r.past_deadline });
  return { available: true, rows: [...byUnit.values()] };
}
