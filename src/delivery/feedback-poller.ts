/**
 * Reads the platform's feedback files of one file-way destination every `feedbackPollMs`, applies
 * them to the delivery states (idempotent: an answer given twice changes nothing) and moves each to
 * the archive. A feedback file for a package not recorded yet (the platform answered before the
 * gateway recorded the package) waits for the next poll; one that cannot be read is archived as
 * `.invalid`.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { applyFeedback, packageRecorded } from '../store/deliveries-repo.js';
import type { FileWay } from './file-way.js';

export class FeedbackPoller {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly destination: string,
    private readonly way: FileWay,
    private readonly deps: { pool: pg.Pool; metrics: Metrics; log: Logger },
    private readonly intervalMs: number,
  ) {}

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

  /** One pass over the feedback directory. */
  async poll(): Promise<void> {
    for (const file of await this.way.feedbackFiles()) {
      let feedback;
      try {
        feedback = await this.way.readFeedback(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // another process took it
        throw err;
      }
      if (typeof feedback === 'string') {
        this.deps.log.warn({ destination: this.destination, file, problem: feedback }, 'delivery: feedback file not readable; archived as invalid');
        await this.way.archive(file, '.invalid');
        continue;
      }
      if (!(await packageRecorded(this.deps.pool, feedback.package))) continue;
      const changed = await applyFeedback(this.deps.pool, this.destination, feedback.results.map((r) => ({
        eventId: r.eventId, outcome: r.outcome, reason: r.reason ?? null, field: r.field ?? null,
      })));
      if (changed.accepted) this.deps.metrics.deliveries.inc({ destination: this.destination, state: 'accepted' }, changed.accepted);
      if (changed.rejected) this.deps.metrics.deliveries.inc({ destination: this.destination, state: 'rejected' }, changed.rejected);
      await this.way.archive(file);
    }
  }
}
