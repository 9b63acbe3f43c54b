/**
 * The 政务诚信 integrity report's queries (src/monitoring/report.ts, indicators.ts and
 * handling-indicators.ts hold the roll-up, scoring and ranking). Read only, owns no table: the
 * indicators of government subjects' negative records over records and record_versions (with the
 * columns, functions and indexes of migration 005), objection and repair handling over objections and
 * repairs (migration 004) joined to records, subject names from records, and the report's snapshot
 * transaction and settings.
 */
import type pg from 'pg';
import type { Severity } from '../domain/catalogue.js';
import { inTransaction, type Queryable } from './db.js';
import { PUBLIC_STATUSES } from './records-read.js';

/**
 * Runs fn on `client` after the settings for one large aggregate: no JIT (its compile time exceeds
 * the query's own on this workload) and enough work_mem to sort the per-region rows in memory.
 * SET LOCAL: they last until the client's transaction ends.
 */
export async function withReportSettings<T>(client: Queryable, fn: (client: Queryable) => Promise<T>): Promise<T> {
  await client.query(`SET LOCAL jit = off`);
  await client.query(`SET LOCAL work_mem = '64MB'`);
  return fn(client);
}

/** Runs fn in one read-only REPEATABLE READ transaction (one snapshot for all its queries), with the report settings. */
export function inReportSnapshot<T>(pool: pg.Pool, fn: (client: Queryable) => Promise<T>): Promise<T> {
  return inTransaction(pool, (client) => withReportSettings(client, fn), 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
}

/** What the indicators are counted per: a region code as stored on the records, or a subject's USCC. */
export type IndicatorUnit = 'region' | 'subject';

/** The indicators of one (unit, category, severity); definitions in src/monitoring/indicators.ts. */
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

export interface IndicatorParams {
  /** T, the instant whose state is counted */
  at: Date;
  /** the calendar day (YYYY-MM-DD, UTC+8) of T: records published until an earlier day are no longer in force */
  atDay: string;
  /** the period's first day and the first day after it (YYYY-MM-DD) */
  periodStartDay: string;
  periodEndDay: string;
  unit: IndicatorUnit;
  /** only records whose region starts with this */
  regionPrefix?: string | undefined;
}

/**
 * The government subjects' negative records as they stood at T ($1), with their region ($6: a LIKE
 * pattern). "The state at T" of a record is that of its last version recorded at or before T, read as
 * cheaply as that allows (migration 005's indexes):
 *   - not changed since T (updated_at <= T): the current row, index-only from
 *     records_government_negative_idx;
 *   - only its status changed since T (same content hash as at T): the current row's columns with
 *     the status of the version at T (index-only from record_versions_pkey);
 *   - its content changed since T (an `updated` version after T, rare): everything from the envelope
 *     of the version at T, which decides whether it was a government subject's negative record then.
 * A record created after T does not appear.
 */
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
         SELECT rv.status, rv.content_hash, rv.envelope::jsonb AS envelope FROM record_versions rv -- parsed once, read eight times
          WHERE rv.record_id = changed.record_id AND rv.recorded_at <= $1
          ORDER BY rv.version DESC LIMIT 1) v
   WHERE v.content_hash <> r.content_hash
     AND monitoring_is_government(v.envelope) AND v.envelope ->> 'polarity' = 'negative'
     AND v.envelope #>> '{subject,region}' LIKE $6`;

/**
 * The indicator counts per (unit, category, severity) over STATE_AT_T. In force at T: status $5 (the
 * public ones) and publish_until ≥ $2 (the day of T); new in the period: decided_on in [$3, $4) and
 * neither revoked nor removed at T.
 */
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

/** Every (unit, category, severity) with at least one government subject's negative record at T, and its counts (zeros included). */
export async function indicatorCounts(db: Queryable, p: IndicatorParams): Promise<IndicatorRow[]> {
  const { rows } = await db.query<{
    unit: string;
    category: string;
    severity: Severity | null;
    active: number;
    new_in_period: number;
    debtor_subjects: number;
    unresolved_payment_defaults: number;
  }>(indicatorSql(p.unit), [p.at, p.atDay, p.periodStartDay, p.periodEndDay, PUBLIC_STATUSES, `${p.regionPrefix ?? ''}%`]);
  return rows.map((r) => ({
    unit: r.unit,
    category: r.category,
    severity: r.severity,
    active: r.active,
    newInPeriod: r.new_in_period,
    debtorSubjects: r.debtor_subjects,
    unresolvedPaymentDefaults: r.unresolved_payment_defaults,
  }));
}

/** True when the lifecycle tables (objections, repairs: migration 004) exist. */
export async function lifecycleTablesExist(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ ok: boolean }>(
    `SELECT to_regclass('objections') IS NOT NULL AND to_regclass('repairs') IS NOT NULL AS ok`,
  );
  return rows[0]?.ok ?? false;
}

export type HandlingTable = 'objections' | 'repairs';

export interface HandlingCount {
  unit: string;
  handled: number;
  pastDeadline: number;
}

export interface HandlingParams {
  /** T, the instant whose state is counted */
  at: Date;
  periodStart: Date;
  unit: IndicatorUnit;
  /** only records whose region starts with this */
  regionPrefix?: string | undefined;
}

const FILED_AT = { objections: 'filed_at', repairs: 'requested_at' } as const;

/**
 * $1 T, $2 period start, $3 region LIKE pattern; over the government subjects' records, those filed
 * by T. Handled: decided in [$2, T]. Past deadline: at T still undecided past deadline_at, or decided
 * in [$2, T] after it.
 */
function handlingSql(table: HandlingTable, unit: IndicatorUnit): string {
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

/** Objections or repairs handled and past their deadline, per unit (the region or USCC of the record they concern). */
export async function handlingCounts(db: Queryable, table: HandlingTable, p: HandlingParams): Promise<HandlingCount[]> {
  const { rows } = await db.query<{ unit: string; handled: number; past_deadline: number }>(handlingSql(table, p.unit), [
    p.at,
    p.periodStart,
    `${p.regionPrefix ?? ''}%`,
  ]);
  return rows.map((r) => ({ unit: r.unit, handled: r.handled, pastDeadline: r.past_deadline }));
}

/** The subject name of each USCC, from its most recently updated record. */
export async function latestSubjectNames(db: Queryable, usccs: string[]): Promise<Map<string, string>> {
  if (!usccs.length) return new Map();
  const { rows } = await db.query<{ uscc: string; name: string }>(
    `SELECT DISTINCT ON (uscc) uscc, subject_name AS name
       FROM records WHERE uscc = ANY($1::text[]) ORDER BY uscc, updated_at DESC`,
    [usccs],
  );
  return new Map(rows.map((r) => [r.uscc, r.name]));
}
