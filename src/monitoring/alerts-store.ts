/**
 * Early-warning alerts: stored in monitoring_alerts and, in the same transaction, queued in the
 * outbox for the alerts topic (the relay publishes them like any other event). The unique indexes of
 * migration 005 make raising the same alert twice a no-op, so an alert is published exactly once
 * however many detectors run.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { EventType, OutboxEvent } from '../publish/events.js';
import { enqueueEvents } from '../store/records-repo.js';

export type AlertKind = 'government_severe_record' | 'region_score_below_threshold' | 'connector_run_failed' | 'console_lockout';

/** Event type of alert messages on the alerts topic. */
export const ALERT_EVENT_TYPE = 'alert.raised' satisfies EventType;
/** Outbox `destination` of alert events (not a configured destination: lifecycle events never go there). */
export const ALERTS_DESTINATION = 'monitoring-alerts';

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
  /** alerts raised at most once per key (console lockouts: username and window) */
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

function alertEvent(alert: Alert, topic: string): OutboxEvent {
  const eventId = randomUUID();
  return {
    eventId,
    destination: ALERTS_DESTINATION,
    topic,
    type: ALERT_EVENT_TYPE,
    recordId: alert.alertId,
    recordVersion: 1,
    key: alert.uscc ?? alert.region ?? (alert.connector ? `connector:${alert.connector}` : `${alert.kind}:${String(alert.details.username ?? '')}`),
    payload: JSON.stringify({ eventId, type: ALERT_EVENT_TYPE, occurredAt: alert.raisedAt, alert }),
    maskPersonalIds: false,
  };
}

/**
 * Inserts the alerts that were not raised before and queues one event for each, on the caller's
 * transaction. Returns the alerts actually raised now.
 */
export async function raiseAlerts(client: pg.ClientBase, drafts: AlertDraft[], topic: string, now = new Date()): Promise<Alert[]> {
  if (!drafts.length) return [];
  const { rows } = await client.query<AlertRow>(
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
  const raised = rows.map(alertOf);
  await enqueueEvents(client, raised.map((a) => alertEvent(a, topic)));
  return raised;
}

export interface AlertFilter {
  kind?: AlertKind | undefined;
  region?: string | undefined;
  /** only alerts listed after this one (seq below it): the next page */
  beforeSeq?: number | undefined;
  limit: number;
}

/** Newest first (by seq). */
export async function listAlerts(pool: Pick<pg.Pool, 'query'>, f: AlertFilter): Promise<Alert[]> {
  const { rows } = await pool.query<AlertRow>(
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
