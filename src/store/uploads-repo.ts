/**
 * PostgreSQL access for file uploads (migration 011): the upload (file bytes, grant, layout, progress)
 * and its per-row results. A batch's row results and counters are written on the caller's transaction
 * client, so they commit together with the batch's records and outbox rows; the worker that claimed an
 * upload is checked on each batch, so an upload taken over by another process is never written twice.
 */
import type pg from 'pg';
import type { FieldError } from '../errors.js';
import type { Queryable } from './db.js';

export const UPLOAD_STATES = ['queued', 'running', 'done', 'failed'] as const;
export type UploadState = (typeof UPLOAD_STATES)[number];
export type RowResult = 'created' | 'updated' | 'unchanged' | 'rejected';

export interface UploadGrant {
  categories: string[] | null;
  regions: string[] | null;
}

export interface NewUpload {
  id: string;
  partner: string;
  category: string;
  sourceSystem: string;
  grant: UploadGrant | null;
  format: 'xlsx' | 'csv';
  encoding: string | null;
  fileName: string | null;
  bytes: Buffer;
  sha256: string;
  layout: unknown;
  rowsTotal: number | null;
}

export interface UploadError {
  code: string;
  zh: string;
  en: string;
}

export interface UploadProgress {
  id: string;
  partner: string;
  category: string;
  sourceSystem: string;
  format: 'xlsx' | 'csv';
  encoding: string | null;
  fileName: string | null;
  state: UploadState;
  rowsTotal: number | null;
  rowsRead: number;
  lastRow: number;
  stored: number;
  unchanged: number;
  rejected: number;
  error: UploadError | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface ClaimedUpload extends UploadProgress {
  grant: UploadGrant | null;
  layout: unknown;
}

export interface RowOutcome {
  rowNo: number;
  result: RowResult;
  recordId?: string;
  errors?: FieldError[];
}

/** The worker lost its claim (another process took the upload over): the batch rolls back. */
export class UploadClaimLost extends Error {}

const PROGRESS_COLUMNS = `id, partner, category, source_system, format, encoding, file_name, state, rows_total, rows_read, last_row,
  stored, unchanged, rejected, error, created_at, started_at, finished_at`;

type ProgressRow = {
  id: string; partner: string; category: string; source_system: string; format: 'xlsx' | 'csv'; encoding: string | null;
  file_name: string | null; state: UploadState; rows_total: number | null; rows_read: number; last_row: number; stored: number;
  unchanged: number; rejected: number; error: UploadError | null; created_at: Date; started_at: Date | null; finished_at: Date | null;
};

function progressOf(r: ProgressRow): UploadProgress {
  return {
    id: r.id, partner: r.partner, category: r.category, sourceSystem: r.source_system, format: r.format, encoding: r.encoding,
    fileName: r.file_name, state: r.state, rowsTotal: r.rows_total, rowsRead: r.rows_read, lastRow: r.last_row, stored: r.stored,
    unchanged: r.unchanged, rejected: r.rejected, error: r.error, createdAt: r.created_at.toISOString(),
    startedAt: r.started_at?.toISOString() ?? null, finishedAt: r.finished_at?.toISOString() ?? null,
  };
}

export async function insertUpload(db: Queryable, u: NewUpload): Promise<void> {
  await db.query(
    `INSERT INTO uploads (id, partner, category, source_system, grant_scope, format, encoding, file_name, file_bytes, file_sha256, layout, rows_total)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [u.id, u.partner, u.category, u.sourceSystem, u.grant ? JSON.stringify(u.grant) : null, u.format, u.encoding, u.fileName, u.bytes, u.sha256,
      JSON.stringify(u.layout), u.rowsTotal],
  );
}

/** An upload's progress; with `partner`, only an upload of that partner. */
export async function getUpload(db: Queryable, id: string, partner: string | null): Promise<UploadProgress | null> {
  const { rows } = await db.query<ProgressRow>(
    `SELECT ${PROGRESS_COLUMNS} FROM uploads WHERE id = $1 AND ($2::text IS NULL OR partner = $2)`, [id, partner],
  );
  return rows[0] ? progressOf(rows[0]) : null;
}

/** The latest uploads, newest first (the console's list). */
export async function listUploads(db: Queryable, limit: number): Promise<UploadProgress[]> {
  const { rows } = await db.query<ProgressRow>(`SELECT ${PROGRESS_COLUMNS} FROM uploads ORDER BY created_at DESC LIMIT $1`, [limit]);
  return rows.map(progressOf);
}

export interface UploadsOverview {
  queued: number;
  running: number;
  /** uploads taken since `since`, and what became of their rows */
  since: { uploads: number; done: number; failed: number; rowsRead: number; stored: number; unchanged: number; rejected: number };
  lastFailure: { uploadId: string; at: string | null; error: UploadError | null } | null;
}

/** Uploads waiting and in work, the counts of those taken since `since`, and the latest failure (GET /v1/connectors). */
export async function uploadsOverview(db: Queryable, since: Date): Promise<UploadsOverview> {
  const { rows: [c] } = await db.query<{ queued: number; running: number; uploads: number; done: number; failed: number; rows_read: number; stored: number; unchanged: number; rejected: number }>(
    `SELECT count(*) FILTER (WHERE state = 'queued')::int AS queued, count(*) FILTER (WHERE state = 'running')::int AS running,
            count(*) FILTER (WHERE created_at >= $1)::int AS uploads,
            count(*) FILTER (WHERE created_at >= $1 AND state = 'done')::int AS done,
            count(*) FILTER (WHERE created_at >= $1 AND state = 'failed')::int AS failed,
            coalesce(sum(rows_read) FILTER (WHERE created_at >= $1), 0)::int AS rows_read,
            coalesce(sum(stored) FILTER (WHERE created_at >= $1), 0)::int AS stored,
            coalesce(sum(unchanged) FILTER (WHERE created_at >= $1), 0)::int AS unchanged,
            coalesce(sum(rejected) FILTER (WHERE created_at >= $1), 0)::int AS rejected
       FROM uploads WHERE created_at >= $1 OR state IN ('queued', 'running')`,
    [since],
  );
  const { rows: [f] } = await db.query<{ id: string; finished_at: Date | null; error: UploadError | null }>(
    `SELECT id, finished_at, error FROM uploads WHERE state = 'failed' ORDER BY finished_at DESC NULLS LAST LIMIT 1`,
  );
  return {
    queued: c!.queued,
    running: c!.running,
    since: { uploads: c!.uploads, done: c!.done, failed: c!.failed, rowsRead: c!.rows_read, stored: c!.stored, unchanged: c!.unchanged, rejected: c!.rejected },
    lastFailure: f ? { uploadId: f.id, at: f.finished_at?.toISOString() ?? null, error: f.error } : null,
  };
}

/**
 * One page of uploads, newest first, before position `beforeSeq` (0: from the newest); with `partner`,
 * only that partner's (uploads_partner_seq_idx).
 */
export async function uploadsBefore(
  db: Queryable, filter: { partner: string | null; state?: UploadState }, beforeSeq: number, limit: number,
): Promise<Array<UploadProgress & { seq: number }>> {
  const { rows } = await db.query<ProgressRow & { seq: number }>(
    `SELECT seq, ${PROGRESS_COLUMNS} FROM uploads
      WHERE ($1::text IS NULL OR partner = $1) AND ($2::text IS NULL OR state = $2) AND ($3::bigint = 0 OR seq < $3)
      ORDER BY seq DESC LIMIT $4`,
    [filter.partner, filter.state ?? null, beforeSeq, limit],
  );
  return rows.map((r) => ({ ...progressOf(r), seq: r.seq }));
}

/** The file as uploaded, with the layout it was read by. */
export async function getUploadFile(db: Queryable, id: string): Promise<{ bytes: Buffer; layout: unknown } | null> {
  const { rows } = await db.query<{ file_bytes: Buffer; layout: unknown }>('SELECT file_bytes, layout FROM uploads WHERE id = $1', [id]);
  return rows[0] ? { bytes: rows[0].file_bytes, layout: rows[0].layout } : null;
}

/** Bytes per statement when the worker reads a stored file. */
const FILE_SLICE = 1 << 20;

/**
 * The stored file of upload `id`, read in slices of `size` bytes, one statement each, as the reader
 * needs them: the worker never holds the whole file. The file is stored uncompressed out of line
 * (migration 020), so a slice reads only its own part.
 */
export async function* uploadFileSlices(db: Queryable, id: string, size = FILE_SLICE): AsyncGenerator<Buffer> {
  for (let from = 1; ; from += size) {
    const { rows } = await db.query<{ part: Buffer }>('SELECT substring(file_bytes FROM $2 FOR $3) AS part FROM uploads WHERE id = $1', [id, from, size]);
    if (!rows[0]) throw new Error(`upload ${id} is no longer stored`);
    if (rows[0].part.length) yield rows[0].part;
    if (rows[0].part.length < size) return;
  }
}

/**
 * Claims the oldest upload that is queued, or running under a worker silent for `staleSeconds` (its
 * process died): it becomes running under `worker` and resumes after its last committed row.
 */
export async function claimUpload(db: Queryable, worker: string, staleSeconds: number): Promise<ClaimedUpload | null> {
  const { rows } = await db.query<ProgressRow & { grant_scope: UploadGrant | null; layout: unknown }>(
    `UPDATE uploads SET state = 'running', worker = $1, heartbeat_at = now(), started_at = coalesce(started_at, now())
      WHERE id = (SELECT id FROM uploads
                   WHERE state = 'queued' OR (state = 'running' AND heartbeat_at < now() - $2 * interval '1 second')
                   ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
     RETURNING ${PROGRESS_COLUMNS}, grant_scope, layout`,
    [worker, staleSeconds],
  );
  const r = rows[0];
  return r ? { ...progressOf(r), grant: r.grant_scope, layout: r.layout } : null;
}

/** The earlier rows of the upload that hold these record ids (a source key repeated in the file). */
export async function earlierRowsOf(db: Queryable, id: string, recordIds: string[]): Promise<Map<string, number>> {
  if (!recordIds.length) return new Map();
  const { rows } = await db.query<{ record_id: string; row_no: number }>(
    'SELECT record_id, min(row_no) AS row_no FROM upload_rows WHERE upload_id = $1 AND record_id = ANY($2::uuid[]) GROUP BY record_id',
    [id, recordIds],
  );
  return new Map(rows.map((r) => [r.record_id, r.row_no]));
}

/**
 * One batch's row results and the upload's counters, on the batch's transaction. Throws
 * UploadClaimLost when `worker` no longer holds the upload.
 */
export async function recordBatch(client: pg.ClientBase, id: string, worker: string, outcomes: RowOutcome[], lastRow: number): Promise<void> {
  const count = (r: RowResult[]) => outcomes.filter((o) => r.includes(o.result)).length;
  const { rowCount } = await client.query(
    `UPDATE uploads SET rows_read = rows_read + $3, stored = stored + $4, unchanged = unchanged + $5, rejected = rejected + $6,
            last_row = $7, heartbeat_at = now()
      WHERE id = $1 AND worker = $2 AND state = 'running'`,
    [id, worker, outcomes.length, count(['created', 'updated']), count(['unchanged']), count(['rejected']), lastRow],
  );
  if (rowCount !== 1) throw new UploadClaimLost(`upload ${id} is no longer held by ${worker}`);
  if (!outcomes.length) return;
  await client.query(
    `INSERT INTO upload_rows (upload_id, row_no, result, record_id, errors)
     SELECT $1, * FROM unnest($2::int[], $3::text[], $4::uuid[], $5::jsonb[])`,
    [id, outcomes.map((o) => o.rowNo), outcomes.map((o) => o.result), outcomes.map((o) => (o.result === 'rejected' ? null : o.recordId ?? null)),
      outcomes.map((o) => (o.errors?.length ? JSON.stringify(o.errors) : null))],
  );
}

/** Ends an upload (done, or failed with its error) if `worker` still holds it. */
export async function finishUpload(db: Queryable, id: string, worker: string, state: 'done' | 'failed', error: UploadError | null): Promise<void> {
  await db.query(
    `UPDATE uploads SET state = $3, error = $4, finished_at = now(), heartbeat_at = now() WHERE id = $1 AND worker = $2 AND state = 'running'`,
    [id, worker, state, error ? JSON.stringify(error) : null],
  );
}

/** The row results of an upload after row `afterRow`, in row order, a page at a time (the feedback file). */
export async function rowResultsAfter(db: Queryable, id: string, afterRow: number, limit: number): Promise<RowOutcome[]> {
  const { rows } = await db.query<{ row_no: number; result: RowResult; record_id: string | null; errors: FieldError[] | null }>(
    'SELECT row_no, result, record_id, errors FROM upload_rows WHERE upload_id = $1 AND row_no > $2 ORDER BY row_no LIMIT $3',
    [id, afterRow, limit],
  );
  return rows.map((r) => ({ rowNo: r.row_no, result: r.result, ...(r.record_id ? { recordId: r.record_id } : {}), ...(r.errors ? { errors: r.errors } : {}) }));
}

/** Hands a running upload back to the queue (its worker is stopping): the next claim resumes it. */
export async function releaseUpload(db: Queryable, id: string, worker: string): Promise<void> {
  await db.query(`UPDATE uploads SET state = 'queued', worker = NULL WHERE id = $1 AND worker = $2 AND state = 'running'`, [id, worker]);
}
