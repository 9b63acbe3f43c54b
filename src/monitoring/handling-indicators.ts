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
 *
 * Counted per table in PostgreSQL (src/store/indicators-repo.ts); this file merges the two per unit.
 */
import type { Queryable } from '../store/db.js';
import { handlingCounts, lifecycleTablesExist, type IndicatorUnit } from '../store/indicators-repo.js';
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

export async function handlingIndicators(
  db: Queryable,
  q: { period: ReportPeriod; at: Date; unit: IndicatorUnit; regionPrefix?: string | undefined },
): Promise<HandlingIndicators> {
  if (!(await lifecycleTablesExist(db))) return { available: false, rows: [] };
  const params = { at: q.at, periodStart: q.period.start, unit: q.unit, regionPrefix: q.regionPrefix };
  const objections = await handlingCounts(db, 'objections', params);
  const repairs = await handlingCounts(db, 'repairs', params);
  const byUnit = new Map<string, HandlingRow>();
  const rowFor = (unit: string) => {
    let row = byUnit.get(unit);
    if (!row) byUnit.set(unit, (row = { unit, objectionsHandled: 0, objectionsPastDeadline: 0, repairsHandled: 0, repairsPastDeadline: 0 }));
    return row;
  };
  for (const o of objections) Object.assign(rowFor(o.unit), { objectionsHandled: o.handled, objectionsPastDeadline: o.pastDeadline });
  for (const r of repairs) Object.assign(rowFor(r.unit), { repairsHandled: r.handled, repairsPastDeadline: r.pastDeadline });
  return { available: true, rows: [...byUnit.values()] };
}
