/**
 * An upload that failed as a monitoring alert (`upload_failed`): stored once per upload and published
 * on the alerts topic through the outbox. Raised by the upload worker (src/uploads/process-upload.ts).
 */
import type pg from 'pg';
import type { Outbox } from '../outbox/outbox.js';
import type { UploadError } from '../store/uploads-repo.js';
import { raiseAlerts, type Alert } from './alerts-store.js';

export function raiseUploadFailed(
  pool: pg.Pool, outbox: Outbox, upload: { id: string; partner: string; category: string; sourceSystem: string }, error: UploadError,
): Promise<Alert[]> {
  return outbox.transaction(pool, (client) =>
    raiseAlerts(client, [{
      kind: 'upload_failed',
      dedupeKey: `upload:${upload.id}`,
      details: {
        uploadId: upload.id, partner: upload.partner, category: upload.category, sourceSystem: upload.sourceSystem,
        code: error.code, message: error.en, messageZh: error.zh,
      },
    }], outbox),
  );
}
