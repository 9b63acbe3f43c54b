/**
 * The outbox relay, run in a worker thread (relay-worker.ts) and driven from the main thread: start,
 * wake after a commit, stop at shutdown. The thread's reports become the gateway's metrics and the
 * relay status that /readyz shows. A thread that dies is started again after a second; the relay's
 * lease and its claim-publish rounds make that safe (a round not committed leaves its rows unsent, sent again with the same event id).
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import type { Metrics } from '../metrics.js';
import type { Relay, RelayStatus } from './relay.js';
import { withThreadHeap, type ThreadHeap } from './thread-heap.js';
import type { RelayCommand, RelayMessage, RelayWorkerData } from './relay-worker.js';

const RESTART_DELAY_MS = 1000;
/**
 * The thread's module: compiled, relay-worker.js beside this file (npm run build); run from the
 * TypeScript sources (tsx, vitest), an entry that loads tsx in the thread first.
 */
const WORKER_ENTRY = import.meta.url.endsWith('.ts')
  ? new URL('./relay-thread-entry.mjs', import.meta.url)
  : new URL('./relay-worker.js', import.meta.url);
const STOP_TIMEOUT_MS = 30_000;
/**
 * The relay thread's heap. Semi-spaces of 16 MiB, V8's default: the gateway runs node with 64 MiB
 * semi-spaces for its main thread (README, "Node.js runtime"), a flag V8 applies to every thread's heap
 * when the thread starts, over a Worker's resourceLimits, and the relay thread keeps little alive
 * between batches: with 64 its heap held about 150 MiB during a large pull, mostly empty young
 * generation; with 16, 50–70 MiB. An old generation of 64 MiB before its first full GC and at least
 * that after each: a round's rows outlive a few scavenges while the broker acknowledges, so about
 * 10 MB reach the old generation per round, and with the process's --heap-growing-percent=50 over the
 * thread's 12–20 MB that survive, a full GC came every round or two (43 in 40,000 records of
 * bench:ingest, their marking on V8's helper threads); with 64, 14.
 */
const RELAY_HEAP: ThreadHeap = { semiSpaceMb: 16, initialOldSpaceMb: 64 };

export class RelayThread implements Relay {
  readonly status: RelayStatus = { leader: false, brokerUp: false, lastError: null, lastSuccessAt: null };
  private worker: Worker | null = null;
  private running = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private onStopped: (() => void) | null = null;
  /** the CPU time the current thread had reported, already counted in the metric */
  private countedCpuSeconds = 0;

  constructor(private readonly deps: { config: Config; databaseUrl: string; log: Logger; metrics: Metrics }) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.spawn();
  }

  wake(): void {
    this.command('wake');
  }

  /** Lets the round in flight finish (its rows are sent and off the unsent, or left for the next relay), then ends the thread. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const stopped = new Promise<void>((resolve) => (this.onStopped = resolve));
    this.command('stop');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS)));
    await Promise.race([stopped, exited, timedOut]);
    clearTimeout(timer);
    await worker.terminate();
    this.status.leader = false;
  }

  private command(c: RelayCommand): void {
    this.worker?.postMessage(c);
  }

  private spawn(): void {
    const data: RelayWorkerData = { config: this.deps.config, databaseUrl: this.deps.databaseUrl };
    const worker = withThreadHeap(RELAY_HEAP, () => new Worker(WORKER_ENTRY, { workerData: data, name: 'outbox-relay' }));
    this.worker = worker;
    this.countedCpuSeconds = 0;
    worker.on('message', (m: RelayMessage) => this.received(m));
    worker.on('error', (err) => this.deps.log.error({ err }, 'outbox relay thread failed'));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = null;
      this.status.leader = false;
      if (!this.running) return;
      this.deps.log.error({ code }, `outbox relay thread exited; starting it again in ${RESTART_DELAY_MS} ms`);
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        if (this.running) this.spawn();
      }, RESTART_DELAY_MS);
    });
  }

  private countCpu(seconds: number | null): void {
    if (seconds === null || seconds <= this.countedCpuSeconds) return;
    this.deps.metrics.relayThreadCpu.inc(seconds - this.countedCpuSeconds);
    this.countedCpuSeconds = seconds;
  }

  private received(m: RelayMessage): void {
    const { metrics } = this.deps;
    switch (m.type) {
      case 'published':
        for (const e of m.events) {
          metrics.eventsPublished.inc({ topic: e.topic });
          metrics.publishLatency.observe(e.ageSeconds);
        }
        this.countCpu(m.threadCpuSeconds);
        break;
      case 'failed':
        metrics.relayErrors.inc();
        this.countCpu(m.threadCpuSeconds);
        break;
      case 'status':
        Object.assign(this.status, m.status);
        break;
      case 'stopped':
        this.onStopped?.();
        break;
    }
  }
}
