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
import { lockExpiringRecords, writeStatusMoves } from '../store/records-repo.js';
import { assertTransition } from './transition.js';

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
  /** set by stop(): a run in progress ends after the batch it is writing */
  private stopping = false;

  constructor(private readonly deps: ExpiryDeps) {}

  /**
   * Expires every record past its publication end as of `now` (or, when stop() is called meanwhile,
   * those of the batches written until then: the others stay due for the next run); returns how many
   * this run expired.
   */
  async runOnce(now: Date = this.deps.now?.() ?? new Date()): Promise<number> {
    const today = chinaDayOf(now);
    const batchSize = this.deps.config.lifecycle.expiryBatchSize;
    let total = 0;
    for (;;) {
      const expired = await this.deps.outbox.transaction(this.deps.pool, (client) => this.expireBatch(client, today, batchSize, now));
      total += expired;
      if (expired < batchSize || this.stopping) break;
    }
    if (total > 0) {
      this.deps.log.info({ expired: total, today }, 'records past their publication period expired');
    }
    return total;
  }

  /** One batch, locked and moved to `expired` in a fixed number of statements (writeStatusMoves). */
  private async expireBatch(client: pg.PoolClient, today: string, batchSize: number, now: Date): Promise<number> {
    const expiring = await lockExpiringRecords(client, today, batchSize);
    const moves = expiring.map(({ current, subjectKey }) => {
      assertTransition(current, 'expire'); // active and repair_requested expire (the batch takes no others)
      return { current, subjectKey, reason: expiryReason(current.publishUntil) };
    });
    await writeStatusMoves(client, moves, 'expired', { actor: EXPIRY_ACTOR, reason: null, outbox: this.deps.outbox, now });
    for (const { current, reason } of moves) {
      if (current.status === 'repair_requested') await lapsePendingRepair(client, current.recordId, EXPIRY_ACTOR, reason, now.toISOString());
    }
    return expiring.length;
  }

  /** Runs on config.lifecycle.expirySchedule until stop(); a run still going when the next is due is skipped. */
  start(): void {
    if (this.task) return;
    this.stopping = false;
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

  /** Stops the schedule; a run in progress ends after its current batch, and is waited for. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.task?.destroy();
    this.task = null;
    await this.running;
  }
}

function expiryReason(publishUntil: string | null): string {
  return `公示期满（公示截止 ${publishUntil}）/ publication period ended on ${publishUntil}`;
}
