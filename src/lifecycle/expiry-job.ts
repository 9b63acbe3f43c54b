/**
 * The expiry job: records whose publishUntil has passed (China calendar day) move to `expired` and
 * are retracted from every destination that had them; a pending repair request on such a record lapses.
 *
 * Safe with several gateway processes: each batch takes its records with FOR UPDATE SKIP LOCKED, so
 * two runs never take the same record, and a record already expired no longer matches — every record
 * expires once, with one version and one set of events. Scheduled with node-cron (Asia/Shanghai).
 */
import cron, { type ScheduledTask } from 'node-cron';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import { chinaDayOf } from '../domain/publication-periods.js';
import type { Outbox } from '../outbox/outbox.js';
import { lapsePendingRepair } from '../store/lifecycle-repo.js';
import { lockExpiringRecords } from '../store/records-repo.js';
import { applyToLocked } from './transition.js';

export const EXPIRY_ACTOR = 'lifecycle:expiry';

export interface ExpiryDeps {
  pool: pg.Pool;
  config: Pick<Config, 'lifecycle'>;
  log: Logger;
  /** where expiries are queued as events (the relay is woken after each batch) */
  outbox: Outbox;
  /** the clock (tests pass a fixed one) */
  now?: () => Date;
}

export class ExpiryJob {
  private task: ScheduledTask | null = null;
  private running: Promise<number> | null = null;

  constructor(private readonly deps: ExpiryDeps) {}

  /** Expires every record past its publication end as of `now`; returns how many this run expired. */
  async runOnce(now: Date = this.deps.now?.() ?? new Date()): Promise<number> {
    const today = chinaDayOf(now);
    const batchSize = this.deps.config.lifecycle.expiryBatchSize;
    let total = 0;
    for (;;) {
      const expired = await this.deps.outbox.transaction(this.deps.pool, (client) => this.expireBatch(client, today, batchSize, now));
      total += expired;
      if (expired < batchSize) break;
    }
    if (total > 0) {
      this.deps.log.info({ expired: total, today }, 'records past their publication period expired');
    }
    return total;
  }

  private async expireBatch(client: pg.PoolClient, today: string, batchSize: number, now: Date): Promise<number> {
    const expiring = await lockExpiringRecords(client, today, batchSize);
    for (const envelope of expiring) {
      const reason = `公示期满（公示截止 ${envelope.publishUntil}）/ publication period ended on ${envelope.publishUntil}`;
      await applyToLocked(client, envelope, 'expire', { actor: EXPIRY_ACTOR, reason, outbox: this.deps.outbox, now });
      if (envelope.status === 'repair_requested') await lapsePendingRepair(client, envelope.recordId, EXPIRY_ACTOR, reason, now.toISOString());
    }
    return expiring.length;
  }

  /** Runs on config.lifecycle.expirySchedule until stop(); a run still going when the next is due is skipped. */
  start(): void {
    if (this.task) return;
    this.task = cron.schedule(
      this.deps.config.lifecycle.expirySchedule,
      async () => {
        this.running = this.runOnce().catch((err: unknown) => {
          this.deps.log.error({ err }, 'expiry run failed; the next run retries');
          return 0;
        });
        await this.running;
        this.running = null;
      },
      { name: 'lifecycle-expiry', timezone: 'Asia/Shanghai', noOverlap: true },
    );
  }

  /** Stops the schedule and waits for a run in progress to finish. */
  async stop(): Promise<void> {
    await this.task?.destroy();
    this.task = null;
    await this.running;
  }
}
