/**
 * The early-warning alerts' statements (src/monitoring/alerts-store.ts and alert-detector.ts hold the
 * logic). Owns monitoring_alerts (the alerts raised; migration 005, dedupe_key from 006) and
 * monitoring_cursors (the alert detector's positions in the change feed, migration 005), and reads the
 * change feed itself: records by change_seq.
 */
import { randomUUID } from 'node:crypto';
import type { Queryable } from './db.js';

// ---------------------------------------------------------------------------------------------------
// monitoring_alerts
// ---------------------------------------------------------------------------------------------------

export const ALERT_KINDS = [
  'government_severe_record', 'region_score_below_threshold', 'connector_run_failed', 'console_lockout', 'delivery_rejections', 'delivery_parked',
  'upload_failed',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** An alert to raise (a row of monitoring_alerts without its id, seq and time). */
export interface AlertDraft {
  kind: AlertKind;
  region?: string;
  /** record alerts */
  recordId?: string;
  recordVersion?: number;
  uscc?: string | null;
  /** region alerts */
  level?: 'province' | 'city' | 'county';
  period?: string;
  score?: number;
  threshold?: number;
  /** connector alerts */
  connector?: string;
  connectorRunId?: number;
  /** alerts raised at most once per key (console lockouts: username and window; delivery alerts) */
  dedupeKey?: string;
  /** what the alert is about, shown to operators and carried in the event */
  details: Record<string, unknown>;
}

export interface Alert {
  alertId: string;
  seq: number;
  kind: AlertKind;
  region: string | null;
  recordId: string | null;
  recordVersion: number | null;
  uscc: string | null;
  level: string | null;
  period: string | null;
  score: number | null;
  threshold: number | null;
  connector: string | null;
  connectorRunId: number | null;
  details: Record<string, unknown>;
  raisedAt: string;
}

export interface AlertFilter {
  kind?: AlertKind | undefined;
  region?: string | undefined;
  /** only alerts listed after this one (seq below it): the next page */
  beforeSeq?: number | undefined;
  limit: number;
}

interface AlertRow {
  alert_id: string;
  seq: number;
  kind: AlertKind;
  region: string | null;
  record_id: string | null;
  record_version: number | null;
  uscc: string | null;
  level: string | null;
  period: string | null;
  score: string | null;
  threshold: string | null;
  connector: string | null;
  connector_run_id: number | null;
  details: Record<string, unknown>;
  raised_at: Date;
}

function alertOf(r: AlertRow): Alert {
  return {
    alertId: r.alert_id,
    seq: r.seq,
    kind: r.kind,
    region: r.region,
    recordId: r.record_id,
    recordVersion: r.record_version,
    uscc: r.uscc,
    level: r.level,
    period: r.period,
    score: r.score === null ? null : Number(r.score),
    threshold: r.threshold === null ? null : Number(r.threshold),
    connector: r.connector,
    connectorRunId: r.connector_run_id,
    details: r.details,
    raisedAt: r.raised_at.toISOString(),
  };
}

/**
 * Inserts the drafts (each with a new id, raised at `now`) in one statement; a draft that one of the
 * unique indexes says was raised before is skipped (ON CONFLICT DO NOTHING). Returns the rows
 * actually inserted.
 */
export async function insertAlerts(db: Queryable, drafts: AlertDraft[], now: Date): Promise<Alert[]> {
  const { rows } = await db.query<AlertRow>(
    `INSERT INTO monitoring_alerts (alert_id, kind, region, record_id, record_version, uscc, level, period, score, threshold,
                                    connector, connector_run_id, details, raised_at, dedupe_key)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::int[], $6::text[], $7::text[], $8::text[],
                          $9::numeric[], $10::numeric[], $11::text[], $12::bigint[], $13::jsonb[], $14::timestamptz[], $15::text[])
     ON CONFLICT DO NOTHING
     RETURNING *`,
    [
      drafts.map(() => randomUUID()),
      drafts.map((d) => d.kind),
      drafts.map((d) => d.region ?? null),
      drafts.map((d) => d.recordId ?? null),
      drafts.map((d) => d.recordVersion ?? null),
      drafts.map((d) => d.uscc ?? null),
      drafts.map((d) => d.level ?? null),
      drafts.map((d) => d.period ?? null),
      drafts.map((d) => d.score ?? null),
      drafts.map((d) => d.threshold ?? null),
      drafts.map((d) => d.connector ?? null),
      drafts.map((d) => d.connectorRunId ?? null),
      drafts.map((d) => JSON.stringify(d.details)),
      drafts.map(() => now),
      drafts.map((d) => d.dedupeKey ?? null),
    ],
  );
  return rows.map(alertOf);
}

/** Newest first (by seq); `region` matches the alerts whose region code starts with it. */
export async function listAlerts(db: Queryable, f: AlertFilter): Promise<Alert[]> {
  const { rows } = await db.query<AlertRow>(
    `SELECT * FROM monitoring_alerts
      WHERE ($1::text IS NULL OR kind = $1)
        AND ($2::text IS NULL OR region LIKE $2 || '%')
        AND ($3::bigint IS NULL OR seq < $3)
      ORDER BY seq DESC
      LIMIT $4`,
    [f.kind ?? null, f.region ?? null, f.beforeSeq ?? null, f.limit],
  );
  return rows.map(alertOf);
}

// ---------------------------------------------------------------------------------------------------
// monitoring_cursors and the change feed (records.change_seq)
// ---------------------------------------------------------------------------------------------------

/** The cursor's position, its row locked (FOR UPDATE) until the caller's transaction ends; null when there is no such cursor. */
export async function lockMonitoringCursor(db: Queryable, name: string): Promise<number | null> {
  const { rows } = await db.query<{ position: number }>('SELECT position FROM monitoring_cursors WHERE name = $1 FOR UPDATE', [name]);
  return rows[0]?.position ?? null;
}

export async function moveMonitoringCursor(db: Queryable, name: string, position: number): Promise<void> {
  await db.query('UPDATE monitoring_cursors SET position = $2, updated_at = now() WHERE name = $1', [name, position]);
}

/** A record as the alert detector reads it from the change feed (its current row). */
export interface ChangedRecord {
  recordId: string;
  changeSeq: number;
  version: number;
  uscc: string | null;
  region: string;
  category: string;
  status: string;
  severity: string | null;
  polarity: string | null;
  governmentSubject: boolean;
  subjectName: string | null;
  decidedOn: string | null;
}

/** Up to `limit` records whose change_seq is above `afterSeq` and at most `horizon` (feed-horizon.ts), in change_seq order. */
export async function recordsChangedAfter(db: Queryable, afterSeq: number, horizon: number, limit: number): Promise<ChangedRecord[]> {
  const { rows } = await db.query<{
    record_id: string;
    change_seq: number;
    version: number;
    uscc: string | null;
    region: string;
    category: string;
    status: string;
    severity: string | null;
    polarity: string | null;
    government_subject: boolean;
    subject_name: string | null;
    decided_on: string | null;
  }>(
    `SELECT record_id, change_seq, version, uscc, region, category, status, severity, polarity, government_subject,
            subject_name, decided_on
       FROM records WHERE change_seq > $1 AND change_seq <= $2 ORDER BY change_seq LIMIT $3`,
    [afterSeq, horizon, limit],
  );
  return rows.map((r) => ({
    recordId: r.record_id,
    changeSeq: r.change_seq,
    version: r.version,
    uscc: r.uscc,
    region: r.region,
    category: r.category,
    status: r.status,
    severity: r.severity,
    polarity: r.polarity,
    governmentSubject: r.government_subject,
    subjectName: r.subject_name,
    decidedOn: r.decided_on,
  }));
}

/** The highest change_seq of a record up to `horizon` (feed-horizon.ts); null when there is none. */
export async function changeFeedHead(db: Queryable, horizon: number): Promise<number | null> {
  const { rows } = await db.query<{ head: number | null }>('SELECT max(change_seq) AS head FROM records WHERE change_seq <= $1', [horizon]);
  return rows[0]?.head ?? null;
}
