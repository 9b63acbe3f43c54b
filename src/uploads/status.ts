/**
 * File uploads as a source in GET /v1/connectors and the console's connectors panel, beside the
 * connectors: waiting and in work, what the last day's uploads stored and refused, the latest upload
 * and the latest failure (each failure also raises an `upload_failed` alert).
 */
import type pg from 'pg';
import { listUploads, uploadsOverview, type UploadProgress, type UploadsOverview } from '../store/uploads-repo.js';

const DAY_MS = 24 * 3600_000;

export interface UploadsStatus {
  name: 'uploads';
  type: 'upload';
  state: 'running' | 'idle';
  queued: number;
  running: number;
  /** the uploads taken in the last 24 hours and what became of their rows */
  last24h: UploadsOverview['since'];
  lastUpload: UploadProgress | null;
  lastError: UploadsOverview['lastFailure'];
}

export async function uploadsStatus(pool: pg.Pool, now = new Date()): Promise<UploadsStatus> {
  const o = await uploadsOverview(pool, new Date(now.getTime() - DAY_MS));
  const [lastUpload] = await listUploads(pool, 1);
  return {
    name: 'uploads',
    type: 'upload',
    state: o.queued + o.running > 0 ? 'running' : 'idle',
    queued: o.queued,
    running: o.running,
    last24h: o.since,
    lastUpload: lastUpload ?? null,
    lastError: o.lastFailure,
  };
}
