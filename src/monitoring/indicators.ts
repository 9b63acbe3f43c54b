/**
 * The 政务诚信 indicators of government subjects' negative records, computed in PostgreSQL and
 * returned already aggregated per (unit, category, severity), where a unit is a region code as
 * stored on the records (county level as a rule) or a subject's USCC. Roll-up to city and province
 * happens on these few thousand rows (src/monitoring/report.ts), never on records.
 *
 * "The state at T" of a record is the state of its last version recorded at or before T, so a record
 * repaired, objected or expired after the period still counts as it stood at the period's end, and a
 * record created after T does not exist at T. Read as cheaply as that allows (migration 005's indexes):
 *   - not changed since T (updated_at <= T): the current row, index-only from
 *     records_government_negative_idx;
 *   - only its status changed since T (same content hash as at T): the current row's columns with
 *     the status of the version at T (index-only from record_versions_pkey);
 *   - its content changed since T (an `updated` version after T, rare): everything from the envelope
 *     of the version at T, which decides whether it was a government subject's negative record then.
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
 */
import type pg from 'pg';
import type { Severity } from '../domain/catalogue.js';
import { PUBLIC_STATUSES } from '../store/records-read.js';
import { cstDate, type ReportPeriod } from './report-period.js';

export type IndicatorUnit = 'region' | 'subject';

export interface IndicatorRow {
  /** region code, or USCC for unit = subject */
  unit: string;
  category: string;
  severity: Severity | null;
  active: number;
  newInPeriod: number;
  debtorSubjects: number;
  unresolvedPaymentDefaults: number;
}

export interface IndicatorQuery {
  period: ReportPeriod;
  /** the instant whose state is reported (period end, or now for a running period) */
  at: Date;
  unit: IndicatorUnit;
  /** only records whose region starts with this (e.g. "32" for 江苏) */
  regionPrefix?: string | undefined;
}

type Queryable = Pick<pg.ClientBase, 'query'>;

const STATE_AT_T = `
  SELECT r.region, r.uscc, r.category, r.severity,
         CASE WHEN r.updated_at <= $1 THEN r.status ELSE v.status END AS status,
         r.decided_on, r.publish_until, r.open_payment_default
    FROM records r
    LEFT JOIN LATERAL (
         SELECT rv.status, rv.content_hash FROM record_versions rv
          WHERE r.updated_at > $1 AND rv.record_id = r.record_id AND rv.recorded_at <= $1
          ORDER BY rv.version DESC LIMIT 1) v ON true
   WHERE r.government_subject AND r.polarity = 'negative' AND r.created_at <= $1
     AND (r.updated_at <= $1 OR v.content_hash = r.content_hash)
     AND r.region LIKE $6
  UNION ALL
  SELECT v.envelope #>> '{subject,region}', v.envelope #>> '{subject,uscc}', v.envelope ->> 'category',
         v.envelope ->> 'severity', v.status, v.envelope ->> 'decidedAt', v.envelope ->> 'publishUntil',
         monitoring_is_open_payment_default(v.envelope)
    FROM (SELECT DISTINCT u.record_id FROM record_versions u
           WHERE u.change_kind = 'updated' AND u.recorded_at > $1) changed
    JOIN records r ON r.record_id = changed.record_id
   CROSS JOIN LATERAL (
         SELECT rv.status, rv.content_hash, rv.envelope FROM record_versions rv
          WHERE rv.record_id = changed.record_id AND rv.recorded_at <= $1
          ORDER BY rv.version DESC LIMIT 1) v
   WHERE v.content_hash <> r.content_hash
     AND monitoring_is_government(v.envelope) AND v.envelope ->> 'polarity' = 'negative'
     AND v.envelope #>> '{subject,region}' LIKE $6`;

function indicatorSql(unit: IndicatorUnit): string {
  const unitColumn = unit === 'region' ? 'region' : 'uscc';
  return `
    SELECT ${unitColumn} AS unit, category, severity,
           count(*) FILTER (WHERE in_force)::int AS active,
           count(*) FILTER (WHERE decided_on >= $3 AND decided_on < $4 AND status NOT IN ('revoked', 'removed'))::int AS new_in_period,
           count(DISTINCT uscc) FILTER (WHERE in_force AND category = 'dishonest_debtor')::int AS debtor_subjects,
           count(*) FILTER (WHERE in_force AND open_payment_default)::int AS unresolved_payment_defaults
      FROM (SELECT s.*, (s.status = ANY($5::text[]) AND (s.publish_until IS NULL OR s.publish_until >= $2)) AS in_force
              FROM (${STATE_AT_T}) s) t
     WHERE ${unitColumn} IS NOT NULL
     GROUP BY 1, 2, 3`;
}

export async function indicatorRows(db: Queryable, q: IndicatorQuery): Promise<IndicatorRow[]> {
  const { rows } = await db.query<{
    unit: string;
    category: string;
    severity: Severity | null;
    active: number;
    new_in_period: number;
    debtor_subjects: number;
    unresolved_payment_defaults: number;
  }>(indicatorSql(q.unit), [q.at, cstDate(q.at), q.period.startDate, q.period.endDate, PUBLIC_STATUSES, `${q.regionPrefix ?? ''}%`]);
  return rows
    .filter((r) => r.active + r.new_in_period > 0)
    .map((r) => ({
      unit: r.unit,
      category: r.category,
      severity: r.severity,
      active: r.active,
      newInPeriod: r.new_in_period,
      debtorSubjects: r.debtor_subjects,
      unresolvedPaymentDefaults: r.unresolved_payment_defaults,
    }));
}
