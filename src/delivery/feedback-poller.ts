/**
 * Reads a destination's feedback source (the file way's feedback directory, the database way's
 * feedback table) every `feedbackPollMs` and applies the answers to the delivery states (idempotent:
 * an answer given twice changes nothing). The source acknowledges only what was applied; an answer
 * about a package not recorded yet waits for the next poll.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { inTransaction } from '../store/db.js';
import { applyFeedback, packageRecorded } from '../store/deliveries-repo.js';
import type { FeedbackSink, FeedbackSource } from './way.js';

export class FeedbackPoller {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly sink: FeedbackSink;

  constructor(
    private readonly destination: string,
    private readonly source: FeedbackSource,
    private readonly deps: { pool: pg.Pool; metrics: Metrics; log: Logger },
    private readonly intervalMs: number,
  ) {
    this.sink = {
      destination,
      packageRecorded: (name) => packageRecorded(deps.pool, name),
      apply: async (entries) => {
        const changed = await inTransaction(deps.pool, (client) => applyFeedback(client, destination, entries));
        countFeedback(deps.metrics, destination, changed);
      },
      warn: (details, message) => deps.log.warn({ destination, ...details }, message),
    };
  }

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.poll().catch((err: unknown) => this.deps.log.warn({ err, destination: this.destination }, 'delivery: reading feedback failed')).finally(() => {
        this.running = null;
      });
    }, this.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass over the source. */
  poll(): Promise<void> {
    return this.source.poll(this.sink);
  }
}

/** Counts the delivery states answers changed, in gateway_deliveries_total. */
export function countFeedback(metrics: Metrics, destination: string, changed: { accepted: number; rejected: number }): void {
  if (changed.accepted) metrics.deliveries.inc({ destination, state: 'accepted' }, changed.accepted);
  if (changed.rejected) metrics.deliveries.inc({ destination, state: 'rejected' }, changed.rejected);
}
