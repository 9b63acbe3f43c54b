/**
 * The early-warning job. Every `detectorIntervalMs` it
 *  1. reads the records changed since its cursor in the change feed (records.change_seq, read up to
 *     the feed's horizon, so nothing committed later appears below the cursor) and raises a
 *     `government_severe_record` alert for each government subject's severe negative record in force;
 *  2. when anything changed since the last score check, computes the current quarter's scores at
 *     province, city and county level and raises a `region_score_below_threshold` alert for each
 *     unit below `scoreAlertThreshold` (once per unit, level and quarter).
 *  3. raises the delivery alerts (delivery-alerts.ts): a destination's platform rejecting too much, an
 *     event parked.
 * Each step runs in one transaction that locks its cursor row (FOR UPDATE), raises the alerts (stored
 * and queued in the outbox, see alerts-store.ts) and advances the cursor, so two gateway processes
 * take turns and each alert is published once; the unique indexes on monitoring_alerts hold even if
 * they did not. The statements are in src/store/alerts-repo.ts.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { MonitoringConfig } from '../config/types.js';
import { REGION_LEVELS, displayName, type RegionLevel } from '../domain/regions.js';
import { changeFeedHead, lockMonitoringCursor, moveMonitoringCursor, recordsChangedAfter, type ChangedRecord } from '../store/alerts-repo.js';
import { inTransaction, type Queryable } from '../store/db.js';
import { feedHorizon } from '../store/feed-horizon.js';
import { PUBLIC_STATUSES } from '../store/records-read.js';
import type { Outbox } from '../outbox/outbox.js';
import { raiseAlerts, type Alert, type AlertDraft } from './alerts-store.js';
import { detectDeliveryAlerts } from './delivery-alerts.js';

type AlertOutbox = Pick<Outbox, 'alertsRaised' | 'committed'>;
import { parsePeriod, quarterOf } from './report-period.js';
import { buildRegionReports } from './report.js';

const RECORD_CURSOR = 'alert-detector';
const SCORE_CURSOR = 'region-scores';

async function lockCursor(client: Queryable, name: string): Promise<number> {
  const position = await lockMonitoringCursor(client, name);
  if (position === null) throw new Error(`monitoring cursor ${name} is missing (migration 005 not applied?)`);
  return position;
}

function isSevereGovernmentRecord(r: ChangedRecord): boolean {
  return r.governmentSubject && r.polarity === 'negative' && r.severity === 'severe' && (PUBLIC_STATUSES as string[]).includes(r.status);
}

export interface DetectorRound {
  recordsExamined: number;
  raised: Alert[];
}

/** One pass over the change feed (up to batchSize records). Safe to call from several processes. */
export async function detectRecordAlerts(pool: pg.Pool, cfg: MonitoringConfig, outbox: AlertOutbox, now = new Date()): Promise<DetectorRound> {
  const horizon = await feedHorizon(pool); // read first: it waits for every writer, so none may be this transaction
  return inTransaction(pool, async (client) => {
    const from = await lockCursor(client, RECORD_CURSOR);
    const rows = await recordsChangedAfter(client, from, horizon, cfg.detectorBatchSize);
    const last = rows[rows.length - 1];
    if (!last) return { recordsExamined: 0, raised: [] };
    const drafts: AlertDraft[] = rows.filter(isSevereGovernmentRecord).map((r) => ({
      kind: 'government_severe_record',
      region: r.region,
      recordId: r.recordId,
      recordVersion: r.version,
      uscc: r.uscc,
      details: {
        subjectName: r.subjectName,
        regionName: displayName(r.region),
        category: r.category,
        severity: r.severity,
        decidedAt: r.decidedOn,
      },
    }));
    const raised = await raiseAlerts(client, drafts, outbox, now);
    await moveMonitoringCursor(client, RECORD_CURSOR, last.changeSeq);
    return { recordsExamined: rows.length, raised };
  });
}

/** Scores the current quarter when records changed since the last check; alerts on units below the threshold. */
export async function detectScoreAlerts(pool: pg.Pool, cfg: MonitoringConfig, outbox: AlertOutbox, now = new Date()): Promise<Alert[]> {
  // up to the horizon: a change committed later below a head read now would never be scored
  const horizon = await feedHorizon(pool);
  return inTransaction(pool, async (client) => {
    const checkedUpTo = await lockCursor(client, SCORE_CURSOR);
    const head = (await changeFeedHead(client, horizon)) ?? 0;
    if (head <= checkedUpTo) return [];
    const period = parsePeriod(quarterOf(now))!;
    const drafts: AlertDraft[] = [];
    for (const report of await buildRegionReports(client, { period, weights: cfg.scoreWeights, now }, REGION_LEVELS)) {
      const level = report.level as RegionLevel;
      for (const row of report.rows) {
        if (row.score >= cfg.scoreAlertThreshold) continue;
        drafts.push({
          kind: 'region_score_below_threshold',
          region: row.code,
          level,
          period: period.id,
          score: row.score,
          threshold: cfg.scoreAlertThreshold,
          details: { regionName: displayName(row.code), penalty: row.penalty, activeNegative: row.activeNegative.total, stateAt: report.stateAt },
        });
      }
    }
    const raised = await raiseAlerts(client, drafts, outbox, now);
    await moveMonitoringCursor(client, SCORE_CURSOR, head);
    return raised;
  });
}

/** Runs both passes on an interval until stopped; a failed round is logged and retried next interval. */
export class AlertDetector {
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> | null = null;
  private stopped = true;

  constructor(
    private readonly pool: pg.Pool,
    private readonly cfg: MonitoringConfig,
    private readonly log: Logger,
    /** where alerts are queued; told after a round that queued some (it wakes the relay) */
    private readonly outbox: AlertOutbox,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.round;
  }

  /** One full round now: drains the change feed, then checks scores and deliveries. Returns the alerts raised. */
  async runOnce(now = new Date()): Promise<Alert[]> {
    const raised: Alert[] = [];
    for (;;) {
      const r = await detectRecordAlerts(this.pool, this.cfg, this.outbox, now);
      raised.push(...r.raised);
      if (r.recordsExamined < this.cfg.detectorBatchSize || this.stopped) break;
    }
    raised.push(...(await detectScoreAlerts(this.pool, this.cfg, this.outbox, now)));
    raised.push(...(await detectDeliveryAlerts(this.pool, this.cfg, this.outbox, now)));
    if (raised.length) {
      this.log.warn({ alerts: raised.map((a) => ({ kind: a.kind, region: a.region, recordId: a.recordId })) }, 'monitoring alerts raised');
      this.outbox.committed();
    }
    return raised;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.round = this.runOnce()
        .then(() => undefined)
        .catch((err: unknown) => this.log.error({ err }, 'alert detector round failed'))
        .finally(() => this.schedule(this.cfg.detectorIntervalMs));
    }, delayMs);
  }
}
