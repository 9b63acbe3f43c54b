/**
 * The 政务诚信 indicators of government subjects' negative records, computed in PostgreSQL (the
 * statement is indicatorCounts in src/store/indicators-repo.ts) and returned already aggregated per
 * (unit, category, severity), where a unit is a region code as stored on the records (county level as
 * a rule) or a subject's USCC. Roll-up to city and province happens on these few thousand rows
 * (src/monitoring/report.ts), never on records.
 *
 * "The state at T" of a record is the state of its last version recorded at or before T, so a record
 * repaired, objected or expired after the period still counts as it stood at the period's end, and a
 * record created after T does not exist at T (how that is read cheaply: STATE_AT_T in the store).
 * A record is in force at T when its status then is a public one (active, repair_requested) and its
 * publication period had not ended: publishUntil (a last day, inclusive) >= the calendar day of T.
 *
 * Indicators per (unit, category, severity):
 *   active       records in force at T
 *   newInPeriod  records decided (decidedAt) inside the period and known at T, unless revoked or
 *                removed at T (a record repaired or expired inside the period still counts as new)
 *   debtorSubjects  distinct USCCs with a dishonest_debtor record in force at T (失信被执行人)
 *   unresolvedPaymentDefaults  procurement_breach payment defaults (data.listType = payment_default,
 *                data.resolved = false) in force at T
 * Rows with neither active nor new records are left out.
 */
import type { Queryable } from '../store/db.js';
import { indicatorCounts, type IndicatorRow, type IndicatorUnit } from '../store/indicators-repo.js';
import { cstDate, type ReportPeriod } from './report-period.js';

export type { IndicatorRow, IndicatorUnit };

export interface IndicatorQuery {
  period: ReportPeriod;
  /** the instant whose state is reported (period end, or now for a running period) */
  at: Date;
  unit: IndicatorUnit;
  /** only records whose region starts with this (e.g. "32" for 江苏) */
  regionPrefix?: string | undefined;
}

export async function indicatorRows(db: Queryable, q: IndicatorQuery): Promise<IndicatorRow[]> {
  const rows = await indicatorCounts(db, {
    at: q.at,
    atDay: cstDate(q.at),
    periodStartDay: q.period.startDate,
    periodEndDay: q.period.endDate,
    unit: q.unit,
    regionPrefix: q.regionPrefix,
  });
  return rows.filter((r) => r.active + r.newInPeriod > 0);
}
