/**
 * The alert detector's delivery pass (issue 17): a `delivery_rejections` alert for a destination whose
 * platform rejected more than `deliveryRejectedShare` of the records it answered in the last hour (at
 * least `deliveryRejectedMinAnswers` answers; once per destination and clock hour), and a
 * `delivery_parked` alert for each event a delivery parked (once per parked event, read by a cursor).
 * Runs in one transaction that locks the cursor, like the detector's other passes.
 */
import type pg from 'pg';
import type { MonitoringConfig } from '../config/types.js';
import type { Outbox } from '../outbox/outbox.js';
import { lockMonitoringCursor, moveMonitoringCursor } from '../store/alerts-repo.js';
import { inTransaction } from '../store/db.js';
import { answersSince, parkedAfter, type ParkedRow } from '../store/deliveries-repo.js';
import { raiseAlerts, type Alert, type AlertDraft } from './alerts-store.js';

const PARKED_CURSOR = 'delivery-parked';
const HOUR_MS = 3_600_000;

export interface DestinationAnswers {
  destination: string;
  answered: number;
  rejected: number;
}

/** The rejection alerts the last hour's answers call for (pure). */
export function rejectionDrafts(answers: DestinationAnswers[], cfg: Pick<MonitoringConfig, 'deliveryRejectedShare' | 'deliveryRejectedMinAnswers'>, now: Date): AlertDraft[] {
  const hour = new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS).toISOString().slice(0, 13);
  return answers
    .filter((a) => a.answered >= cfg.deliveryRejectedMinAnswers && a.rejected / a.answered > cfg.deliveryRejectedShare)
    .map((a) => ({
      kind: 'delivery_rejections',
      dedupeKey: `${a.destination}@${hour}`,
      details: {
        destination: a.destination, answered: a.answered, rejected: a.rejected,
        share: Math.round((a.rejected / a.answered) * 1000) / 1000, threshold: cfg.deliveryRejectedShare, hour,
      },
    }));
}

export function parkedDraft(p: ParkedRow): AlertDraft {
  return {
    kind: 'delivery_parked',
    dedupeKey: `parked:${p.id}`,
    details: { destination: p.destination, topic: p.topic, partition: p.partition, offset: p.offset, eventId: p.eventId, recordId: p.recordId, reason: p.reason, parkedAt: p.parkedAt },
  };
}

export function detectDeliveryAlerts(pool: pg.Pool, cfg: MonitoringConfig, outbox: Pick<Outbox, 'alertsRaised'>, now = new Date()): Promise<Alert[]> {
  return inTransaction(pool, async (client) => {
    const from = await lockMonitoringCursor(client, PARKED_CURSOR);
    if (from === null) throw new Error(`monitoring cursor ${PARKED_CURSOR} is missing (migration 012 not applied?)`);
    const parked = await parkedAfter(client, {}, from, cfg.detectorBatchSize);
    const drafts = [...rejectionDrafts(await answersSince(client, new Date(now.getTime() - HOUR_MS)), cfg, now), ...parked.map(parkedDraft)];
    const raised = await raiseAlerts(client, drafts, outbox, now);
    if (parked.length) await moveMonitoringCursor(client, PARKED_CURSOR, parked[parked.length - 1]!.id);
    return raised;
  });
}
