/**
 * The background worker of a gateway process: takes queued uploads (woken by POST /v1/uploads, and
 * every pollIntervalMs), and uploads whose worker went silent for staleAfterSeconds — a process that
 * crashed — one at a time, resuming each after its last committed row. Stopping finishes the batch in
 * hand and hands the upload back to the queue.
 */
import { randomUUID } from 'node:crypto';
import type { UploadsConfig } from '../config/types.js';
import { claimUpload, releaseUpload } from '../store/uploads-repo.js';
import { processUpload, type ProcessDeps } from './process-upload.js';

export class UploadWorker {
  readonly id = `upload-worker-${randomUUID()}`;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: ProcessDeps, private readonly config: UploadsConfig) {}

  start(): void {
    if (this.loop || !this.config.workerEnabled) return;
    this.loop = this.run();
  }

  /** A new upload is queued: look now instead of at the next poll. */
  wake(): void {
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const upload = await claimUpload(this.deps.pool, this.id, this.config.staleAfterSeconds);
        if (upload) {
          this.deps.log.info({ upload: upload.id, resumeAfterRow: upload.lastRow }, 'upload: working');
          const end = await processUpload(this.deps, upload, this.id, this.config.batchSize, () => this.stopped);
          if (end === 'stopped') await releaseUpload(this.deps.pool, upload.id, this.id);
          this.deps.log.info({ upload: upload.id, end }, 'upload: ended');
          continue;
        }
      } catch (err) {
        this.deps.log.error({ err }, 'upload worker: claiming an upload failed');
      }
      await this.sleep();
    }
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        if (this.timer) clearTimeout(this.timer);
        this.timer = null;
        this.wakeUp = null;
        resolve();
      };
      this.wakeUp = done;
      this.timer = setTimeout(done, this.config.pollIntervalMs);
      if (this.stopped) done();
    });
  }
}
