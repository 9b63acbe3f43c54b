/**
 * The read models of the operator console panels, each one bounded query: throughput per hour,
 * recent quarantined rows and failed/rejecting connector runs, a subject's records in every state,
 * open objections. Tables of other modules (connectors 003, lifecycle 004) are read only when present.
 */
import { maskEnvelope, type RecordEnvelope } from '../domain/record.js';
import type { Queryable } from './db.js';

async function tableExists(db: Queryable, table: string): Promise<boolean> {
  const { rows } = await db.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [table]);
  return rows[0]?.ok ?? false;
}

export interface ThroughputBucket {
  hour: string;
  created: number;
  updated: number;
  statusChanged: number;
}

/** Record versions written per hour over the last `hours` hours (oldest first, empty hours included). */
export async function throughput(db: Queryable, hours: number, now = new Date()): Promise<ThroughputBucket[]> {
  const { rows } = await db.query<{ hour: Date; created: number; updated: number; status_changed: number }>(
    `SELECT h.hour,
            count(v.change_kind) FILTER (WHERE v.change_kind = 'created')::int AS created,
            count(v.change_kind) FILTER (WHERE v.change_kind = 'updated')::int AS updated,
            count(v.change_kind) FILTER (WHERE v.change_kind = 'status_changed')::int AS status_changed
       FROM generate_series(date_trunc('hour', $1::timestamptz) - ($2::int - 1) * interval '1 hour',
                            date_trunc('hour', $1::timestamptz), interval '1 hour') AS h(hour)
       LEFT JOIN record_versions v
         ON v.recorded_at >= h.hour AND v.recorded_at < h.hour + interval '1 hour'
      GROUP BY h.hour ORDER BY h.hour`,
    [now, hours],
  );
  return rows.map((r) => ({ hour: r.hour.toISOString(), created: r.created, updated: r.updated, statusChanged: r.status_changed }));
}

export interface RejectsView {
  available: boolean;
  quarantine: Array<{ id: number; connector: string; runId: number; sourceKey: string | null; errors: unknown; at: string }>;
  runs: Array<{ runId: number; connector: string; state: string; rejected: number; error: string | null; startedAt: string }>;
}

/** The latest quarantined source rows and the latest connector runs that rejected rows or failed. */
export async function recentRejects(db: Queryable, limit: number): Promise<RejectsView> {
  if (!(await tableExists(db, 'connector_quarantine'))) return { available: false, quarantine: [], runs: [] };
  const q = await db.query<{ id: number; connector: string; run_id: number; source_key: string | null; errors: unknown; quarantined_at: Date }>(
    'SELECT id, connector, run_id, source_key, errors, quarantined_at FROM connector_quarantine ORDER BY id DESC LIMIT $1',
    [limit],
  );
  const r = await db.query<{ run_id: number; connector: string; state: string; rejected: number; error: string | null; started_at: Date }>(
    `SELECT run_id, connector, state, rejected, error, started_at FROM connector_runs
      WHERE rejected > 0 OR state IN ('failed', 'abandoned') ORDER BY run_id DESC LIMIT $1`,
    [limit],
  );
  return {
    available: true,
    quarantine: q.rows.map((x) => ({ id: x.id, connector: x.connector, runId: x.run_id, sourceKey: x.source_key, errors: x.errors, at: x.quarantined_at.toISOString() })),
    runs: r.rows.map((x) => ({ runId: x.run_id, connector: x.connector, state: x.state, rejected: x.rejected, error: x.error, startedAt: x.started_at.toISOString() })),
  };
}

export interface PendingView {
  /** records of organisations whose USCC the subject registry has not resolved yet */
  count: number;
  latest: Array<{ recordId: string; category: string; name: string; orgCode: string | null; region: string; sourceSystem: string; updatedAt: string }>;
}

/** Records waiting for the subject registry: how many, and the latest. */
export async function pendingRecords(db: Queryable, limit: number): Promise<PendingView> {
  const count = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM records WHERE pending');
  const { rows } = await db.query<{ record_id: string; category: string; envelope: RecordEnvelope; updated_at: Date }>(
    'SELECT record_id, category, envelope, updated_at FROM current_records WHERE pending ORDER BY change_seq DESC LIMIT $1',
    [limit],
  );
  return {
    count: count.rows[0]!.n,
    latest: rows.map((r) => ({
      recordId: r.record_id, category: r.category, name: r.envelope.subject.name, orgCode: r.envelope.subject.orgCode ?? null,
      region: r.envelope.subject.region, sourceSystem: r.envelope.source.system, updatedAt: r.updated_at.toISOString(),
    })),
  };
}

export interface SubjectRecordView {
  recordId: string;
  category: string;
  severity: string | null;
  status: string;
  version: number;
  decidedAt: string;
  publishUntil: string | null;
  updatedAt: string;
  sourceSystem: string;
}

/** A subject's records in every state (operators see withdrawn and repaired ones too), newest first; identity numbers masked. */
export async function subjectRecordsAnyState(db: Queryable, uscc: string, limit: number): Promise<{ name: string | null; records: SubjectRecordView[] }> {
  const { rows } = await db.query<{ envelope: RecordEnvelope; status: string; version: number; updated_at: Date }>(
    'SELECT envelope, status, version, updated_at FROM current_records WHERE uscc = $1 ORDER BY updated_at DESC LIMIT $2',
    [uscc, limit],
  );
  const envelopes = rows.map((r) => maskEnvelope(r.envelope));
  return {
    name: envelopes[0]?.subject.name ?? null,
    records: rows.map((r, i) => ({
      recordId: envelopes[i]!.recordId,
      category: envelopes[i]!.category,
      severity: envelopes[i]!.severity ?? null,
      status: r.status,
      version: r.version,
      decidedAt: envelopes[i]!.decidedAt,
      publishUntil: envelopes[i]!.publishUntil ?? null,
      updatedAt: r.updated_at.toISOString(),
      sourceSystem: envelopes[i]!.source.system,
    })),
  };
}

export interface OpenObjectionsView {
  available: boolean;
  objections: Array<{ objectionId: string; recordId: string; subjectName: string | null; uscc: string | null; filedAt: string; deadlineAt: string; overdue: boolean; reason: string }>;
}

/** Open objections (issue 5's `objections` table), those closest to or past their deadline first. */
export async function openObjections(db: Queryable, limit: number, now = new Date()): Promise<OpenObjectionsView> {
  if (!(await tableExists(db, 'objections'))) return { available: false, objections: [] };
  const { rows } = await db.query<{ objection_id: string; record_id: string; name: string | null; uscc: string | null; filed_at: Date; deadline_at: Date; reason: string }>(
    `SELECT o.objection_id, o.record_id, r.subject_name AS name, r.uscc, o.filed_at, o.deadline_at, o.reason
       FROM objections o JOIN records r ON r.record_id = o.record_id
      WHERE o.status = 'open' ORDER BY o.deadline_at LIMIT $1`,
    [limit],
  );
  return {
    available: true,
    objections: rows.map((o) => ({
      objectionId: o.objection_id,
      recordId: o.record_id,
      subjectName: o.name,
      uscc: o.uscc,
      filedAt: o.filed_at.toISOString(),
      deadlineAt: o.deadline_at.toISOString(),
      overdue: o.deadline_at < now,
      reason: o.reason,
    })),
  };
}
