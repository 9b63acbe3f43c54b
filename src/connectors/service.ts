/**
 * The connectors of one gateway process: which are configured, starting runs (by schedule, API or
 * CLI), never two runs of one connector at once — in this process (a map of running runs) nor across
 * processes (a PostgreSQL session advisory lock held for the whole run, released by the database
 * if the process dies) — run history, alerts, and the scheduler.
 */
import { hostname } from 'node:os';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config, ConnectorInstanceConfig } from '../config/types.js';
import type { RecordPreparer } from '../ingest/prepare.js';
import type { AlertSink, ConnectorAlert } from './alerts.js';
import { createConnectorMetrics, type ConnectorMetrics } from './metrics.js';
import { PassError } from './declarative/paging.js';
import { PageShapeError } from './declarative/read-page.js';
import { assertConnectorSources, sourceFor } from './registry.js';
import { runConnector, RunStopped } from './runner.js';
import { ConnectorScheduler } from './scheduler.js';
import {
  abandonStaleRuns, connectForRunLock, finishRun, insertRun, lastRunState, loadState, tryRunLock, unlockRun,
  type RunRow, type RunTrigger,
} from '../store/connectors-repo.js';
import type { Outbox } from '../outbox/outbox.js';

export type StartResult =
  | { started: true; runId: number; done: Promise<RunRow> }
  | { started: false; reason: 'running_here' | 'running_elsewhere' | 'disabled' | 'unknown' | 'nothing_to_resume' };

export interface ConnectorServiceDeps {
  config: Config;
  pool: pg.Pool;
  preparer: RecordPreparer;
  log: Logger;
  registry: Registry;
  /** where runs queue their record events */
  outbox: Outbox;
}

export class ConnectorService {
  readonly metrics: ConnectorMetrics;
  private readonly running = new Map<string, { runId: number; abort: AbortController; done: Promise<RunRow> }>();
  private readonly sinks: AlertSink[] = [];
  private scheduler: ConnectorScheduler | null = null;
  private stopping = false;
  /** settles when the start-up resumption of interrupted runs has ended */
  resumed: Promise<void> = Promise.resolve();

  /** Refuses to start (ConfigError) when an instance's source file is missing or broken. */
  constructor(private readonly deps: ConnectorServiceDeps) {
    assertConnectorSources(deps.config);
    this.metrics = createConnectorMetrics(deps.registry);
  }

  names(): string[] {
    return Object.keys(this.deps.config.connectors.instances);
  }

  instance(name: string): ConnectorInstanceConfig | undefined {
    return Object.hasOwn(this.deps.config.connectors.instances, name) ? this.deps.config.connectors.instances[name] : undefined;
  }

  isRunningHere(name: string): boolean {
    return this.running.has(name);
  }

  nextRunAt(name: string): Date | null {
    return this.scheduler?.nextRun(name) ?? null;
  }

  /** Adds an alert receiver (the monitoring module publishes alerts to Kafka through this). */
  onAlert(sink: AlertSink): void {
    this.sinks.push(sink);
  }

  startScheduler(): void {
    const { connectors } = this.deps.config;
    this.scheduler = new ConnectorScheduler(connectors.defaults.timeZone, (name) => {
      void this.start(name, 'schedule').then((r) => {
        if (!r.started) this.deps.log.info({ connector: name, reason: r.reason }, 'connector: scheduled run skipped');
      });
    });
    for (const [name, inst] of Object.entries(connectors.instances)) {
      if (inst.enabled && inst.schedule) this.scheduler.add(name, inst.schedule);
    }
  }

  /**
   * A run cut short by a crash (its row still says `running`) resumes at start-up, from the cursor of its
   * last committed page. A row that says `running` may also be a live run of another process: only the
   * run lock tells them apart, so `start` decides under the lock (`nothing_to_resume` when the run
   * ended meanwhile). The dead process's lock may outlive it for a moment, so this retries for up to
   * `withinMs`; a connector that another live process is running is left to that process. `resumed`
   * settles when this has ended.
   */
  resumeInterrupted(withinMs = 60_000): Promise<void> {
    this.resumed = this.resumeWithin(withinMs);
    return this.resumed;
  }

  private async resumeWithin(withinMs: number): Promise<void> {
    const deadline = Date.now() + withinMs;
    let pending = [];
    for (const [name, inst] of Object.entries(this.deps.config.connectors.instances)) {
      if (inst.enabled && (await lastRunState(this.deps.pool, name)) === 'running') pending.push(name);
    }
    while (pending.length && !this.stopping) {
      const still: string[] = [];
      for (const name of pending) {
        const r = await this.start(name, 'startup');
        if (r.started) this.deps.log.info({ connector: name, runId: r.runId }, 'connector: resuming a run interrupted by a crash');
        else if (r.reason === 'running_elsewhere' && (await lastRunState(this.deps.pool, name)) === 'running') still.push(name);
      }
      pending = still;
      if (!pending.length || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  /**
   * Starts a run now. Resolves as soon as the run is registered (or refused); `done` settles when it ends.
   * `allowDisabled` is for the command line, where naming a connector is the operator's explicit choice.
   * A `startup` run starts only if a run left `running` is found under the lock, that is, one whose
   * process died.
   */
  async start(name: string, trigger: RunTrigger, opts: { allowDisabled?: boolean } = {}): Promise<StartResult> {
    const inst = this.instance(name);
    if (!inst) return { started: false, reason: 'unknown' };
    if (!inst.enabled && !opts.allowDisabled) return { started: false, reason: 'disabled' };
    if (this.stopping || this.running.has(name)) return { started: false, reason: 'running_here' };
    const placeholder = { runId: 0, abort: new AbortController(), done: Promise.resolve(null as unknown as RunRow) };
    this.running.set(name, placeholder); // claims the name before the first await

    const lockClient = await connectForRunLock(this.deps.pool);
    let locked = false;
    try {
      locked = await tryRunLock(lockClient, name);
      if (!locked) {
        this.running.delete(name);
        lockClient.release();
        return { started: false, reason: 'running_elsewhere' };
      }
      const interrupted = await abandonStaleRuns(this.deps.pool, name);
      if (trigger === 'startup' && interrupted === 0) {
        this.running.delete(name);
        await unlockRun(lockClient, name);
        lockClient.release();
        return { started: false, reason: 'nothing_to_resume' };
      }
      const state = await loadState(this.deps.pool, name);
      const runId = await insertRun(this.deps.pool, name, trigger, state.cursor, `${hostname()}:${process.pid}`);
      placeholder.runId = runId;
      const done = this.execute(name, inst, runId, placeholder.abort.signal).finally(async () => {
        await unlockRun(lockClient, name).catch(() => undefined);
        lockClient.release();
        this.running.delete(name);
      });
      placeholder.done = done;
      return { started: true, runId, done };
    } catch (err) {
      this.running.delete(name);
      if (locked) await unlockRun(lockClient, name).catch(() => undefined);
      lockClient.release();
      throw err;
    }
  }

  private async execute(name: string, inst: ConnectorInstanceConfig, runId: number, signal: AbortSignal): Promise<RunRow> {
    const { log } = this.deps;
    const started = Date.now();
    this.metrics.running.set({ connector: name }, 1);
    log.info({ connector: name, runId }, 'connector run started');
    let run: RunRow;
    try {
      const outcome = await runConnector(
        {
          pool: this.deps.pool,
          preparer: this.deps.preparer,
          outbox: this.deps.outbox,
          defaults: this.deps.config.connectors.defaults,
          log,
          metrics: this.metrics,
        },
        name, inst, sourceFor(name, inst), runId, signal,
      );
      const threshold = inst.invalidThreshold ?? this.deps.config.connectors.defaults.invalidThreshold;
      if (outcome.invalidShare > threshold) {
        const message = `invalid rows ${(outcome.invalidShare * 100).toFixed(1)}% exceed the threshold ${(threshold * 100).toFixed(1)}%`;
        run = await finishRun(this.deps.pool, runId, 'failed', message);
        await this.alert({ connector: name, runId, reason: 'invalid_share', message, invalidShare: outcome.invalidShare, threshold, at: new Date().toISOString() });
      } else if (outcome.removalHeld) {
        const h = outcome.removalHeld;
        const message = `removal held back: ${h.missing} of ${h.missing + h.listed} listed records (${(h.share * 100).toFixed(1)}%) are missing, more than removalMaxShare ${(h.maxShare * 100).toFixed(1)}%; nothing was removed`;
        run = await finishRun(this.deps.pool, runId, 'failed', message);
        await this.alert({ connector: name, runId, reason: 'removal_held', message, at: new Date().toISOString() });
      } else {
        run = await finishRun(this.deps.pool, runId, 'succeeded', null);
        this.metrics.lastSuccess.set({ connector: name }, Date.now() / 1000);
      }
    } catch (err) {
      const stopped = err instanceof RunStopped;
      const message = (err as Error).message;
      run = await finishRun(this.deps.pool, runId, stopped ? 'abandoned' : 'failed', message).catch(() => ({ runId, state: 'failed' }) as RunRow);
      const incomplete = err instanceof PassError || err instanceof PageShapeError;
      if (!stopped) await this.alert({ connector: name, runId, reason: incomplete ? 'pass_incomplete' : 'run_failed', message, at: new Date().toISOString() });
    } finally {
      this.metrics.running.set({ connector: name }, 0);
      this.metrics.duration.observe({ connector: name }, (Date.now() - started) / 1000);
    }
    this.metrics.runs.inc({ connector: name, state: run.state });
    log.info({ connector: name, runId, state: run.state, pulled: run.pulled, created: run.created, updated: run.updated, unchanged: run.unchanged, rejected: run.rejected, removed: run.removed }, 'connector run finished');
    return run;
  }

  private async alert(alert: ConnectorAlert): Promise<void> {
    this.metrics.alerts.inc({ connector: alert.connector, reason: alert.reason });
    this.deps.log.error({ alert }, `connector alert: ${alert.connector}: ${alert.message}`);
    for (const sink of this.sinks) {
      try {
        await sink(alert);
      } catch (err) {
        this.deps.log.error({ err, connector: alert.connector }, 'connector alert sink failed');
      }
    }
  }

  /** Stops the schedules, asks running runs to stop after their current page, and waits for them. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.scheduler?.stop();
    const runs = [...this.running.values()];
    for (const r of runs) r.abort.abort();
    await Promise.allSettled(runs.map((r) => r.done));
  }
}
