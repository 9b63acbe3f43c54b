/**
 * Works on one claimed upload in the background: its rows streamed from the stored file (after the
 * last row already committed, so an interrupted upload resumes where it stopped), mapped to push items
 * (row-items.ts) and stored through ingestBatch — the same preparer, store path and outbox as
 * POST /v1/records — a batch per transaction, with the rows' results and the upload's progress in that
 * same transaction. Rows a partner's grant does not cover, and a source key a file repeats, are
 * rejected as rows; they never cost the rest of the file.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import { grantViolations } from '../auth/grants.js';
import type { Principal } from '../context.js';
import { isCategoryId, type CategoryId } from '../domain/catalogue.js';
import { grantCovers } from '../domain/grant.js';
import { recordIdFor } from '../domain/record.js';
import { GatewayError, type FieldError } from '../errors.js';
import { ingestBatch, type ItemResult } from '../ingest/ingest-batch.js';
import type { RecordPreparer } from '../ingest/prepare.js';
import type { Metrics } from '../metrics.js';
import { raiseUploadFailed } from '../monitoring/upload-alerts.js';
import type { Outbox } from '../outbox/outbox.js';
import { categoryTemplate } from '../templates/template.js';
import {
  earlierRowsOf, finishUpload, recordBatch, UploadClaimLost, uploadFileSlices, type ClaimedUpload, type RowOutcome,
} from '../store/uploads-repo.js';
import { csvRecords, type CsvEncoding, type FileBytes } from './csv-file.js';
import type { StoredLayout } from './inspect.js';
import { nationalMapping } from './national.js';
import { isEmptyRow, rowItem, type RowContext } from './row-items.js';
import { xlsxRows } from './xlsx-rows.js';

export interface ProcessDeps {
  pool: pg.Pool;
  preparer: RecordPreparer;
  outbox: Outbox;
  log: Logger;
  metrics: Metrics;
}

interface Row {
  rowNo: number;
  cells: string[];
}

/** The rows of the stored file, as the layout reads them. */
export function fileRows(upload: { format: 'xlsx' | 'csv'; encoding: string | null; bytes: FileBytes }, layout: StoredLayout): AsyncGenerator<Row> {
  return upload.format === 'xlsx' ? xlsxRows(upload.bytes, layout.sheet!) : csvRecords(upload.bytes, (upload.encoding ?? 'utf-8') as CsvEncoding);
}

function sourceKeyOf(item: unknown): string | undefined {
  const key = (item as { source?: { key?: unknown } } | null)?.source?.key;
  return typeof key === 'string' && key !== '' ? key : undefined;
}

function duplicateError(rowNo: number): FieldError {
  return {
    pointer: '/source/key', rule: 'upload.duplicate_source_key',
    zh: `与本文件第 ${rowNo} 行的来源键相同，同一文件中每条来源记录只能出现一次`,
    en: `same source key as row ${rowNo} of this file; a source record may appear only once per file`,
  };
}

class BatchStore {
  constructor(
    private readonly deps: ProcessDeps,
    private readonly upload: ClaimedUpload,
    private readonly worker: string,
    private readonly ctx: RowContext,
  ) {}

  private get principal(): Principal | null {
    const { grant } = this.upload;
    return grant ? { partnerId: this.upload.partner, scopes: new Set(), sourceSystems: new Set([this.upload.sourceSystem]), ...grant } : null;
  }

  /** Maps, checks and stores one batch of rows; its outcomes commit with its records. */
  async store(rows: Row[]): Promise<void> {
    const outcomes = new Map<number, RowOutcome>();
    let candidates: Array<{ row: Row; item: unknown; recordId?: string }> = [];
    for (const row of rows) {
      const mapped = rowItem(this.ctx, row.cells);
      if (!mapped.ok) { outcomes.set(row.rowNo, { rowNo: row.rowNo, result: 'rejected', errors: mapped.errors }); continue; }
      const principal = this.principal;
      const outside = principal ? grantViolations(principal, [mapped.item]) : [];
      if (outside.length) { outcomes.set(row.rowNo, { rowNo: row.rowNo, result: 'rejected', errors: outside.map((e) => ({ ...e, pointer: e.pointer.replace(/^\/records\/0/, '') })) }); continue; }
      const key = sourceKeyOf(mapped.item);
      candidates.push({ row, item: mapped.item, ...(key ? { recordId: recordIdFor(this.upload.sourceSystem, key) } : {}) });
    }
    candidates = await this.withoutRepeats(candidates, outcomes);
    const lastRow = rows[rows.length - 1]!.rowNo;
    for (;;) {
      try {
        const results = await this.ingest(candidates, outcomes, lastRow);
        for (const r of results) this.deps.metrics.records.inc({ result: r.status, origin: 'upload' });
        return;
      } catch (err) {
        // a stored record the grant does not cover: those rows are rejected, the batch is tried again without them
        if (!(err instanceof GatewayError) || err.code !== 'GW_AUTH_GRANT_MISSING' || !err.errors?.length) throw err;
        const refused = new Map(err.errors.map((e) => [Number(/^\/records\/(\d+)/.exec(e.pointer)?.[1]), e]));
        candidates.forEach((c, i) => {
          const e = refused.get(i);
          if (e) outcomes.set(c.row.rowNo, { rowNo: c.row.rowNo, result: 'rejected', errors: [{ ...e, pointer: '' }] });
        });
        candidates = candidates.filter((_, i) => !refused.has(i));
      }
    }
  }

  /** A source key seen earlier in the file (this batch or a committed one) rejects the later row. */
  private async withoutRepeats<T extends { row: Row; recordId?: string }>(candidates: T[], outcomes: Map<number, RowOutcome>): Promise<T[]> {
    const ids = [...new Set(candidates.flatMap((c) => (c.recordId ? [c.recordId] : [])))];
    const earlier = await earlierRowsOf(this.deps.pool, this.upload.id, ids);
    return candidates.filter((c) => {
      if (!c.recordId) return true;
      const first = earlier.get(c.recordId);
      if (first !== undefined) {
        outcomes.set(c.row.rowNo, { rowNo: c.row.rowNo, result: 'rejected', errors: [duplicateError(first)] });
        return false;
      }
      earlier.set(c.recordId, c.row.rowNo);
      return true;
    });
  }

  private ingest(candidates: Array<{ row: Row; item: unknown }>, outcomes: Map<number, RowOutcome>, lastRow: number): Promise<ItemResult[]> {
    const { principal } = this;
    return ingestBatch(this.deps, candidates.map((c) => c.item), {
      actor: this.upload.partner,
      mayChange: principal ? (stored) => grantCovers(principal, stored.category, stored.region) : undefined,
      alsoInTransaction: async (client, results) => {
        const all = new Map(outcomes);
        results.forEach((r, i) => {
          const { rowNo } = candidates[i]!.row;
          all.set(rowNo, { rowNo, result: r.status, ...(r.recordId ? { recordId: r.recordId } : {}), ...(r.errors ? { errors: r.errors } : {}) });
        });
        await recordBatch(client, this.upload.id, this.worker, [...all.values()].sort((a, b) => a.rowNo - b.rowNo), lastRow);
      },
    });
  }
}

/**
 * Reads and stores the upload's rows from where it stopped; ends it done (or failed on an error).
 * Returns early, leaving it running for the next claim, when `stopping()` turns true between batches.
 */
export async function processUpload(deps: ProcessDeps, upload: ClaimedUpload, worker: string, batchSize: number, stopping: () => boolean): Promise<'done' | 'failed' | 'stopped' | 'lost'> {
  const layout = upload.layout as StoredLayout;
  try {
    if (!isCategoryId(upload.category)) throw new Error(`unknown category ${upload.category}`);
    const category: CategoryId = upload.category;
    const ctx: RowContext = {
      category, template: categoryTemplate(category), national: nationalMapping(category), layout,
      sourceSystem: upload.sourceSystem, receivedAt: upload.createdAt,
    };
    const store = new BatchStore(deps, upload, worker, ctx);
    // one batch in the store at a time (progress commits in row order), the next read while it is stored
    let storing: Promise<void> | null = null;
    const handOver = async (rows: Row[]) => {
      if (storing) await storing;
      storing = store.store(rows);
      storing.catch(() => undefined); // awaited (and thrown) at the next hand-over or the end
    };
    let batch: Row[] = [];
    // the stored file read in slices as the rows are read: never the whole file in memory; an iterable
    // that starts its slices over when iterated again (xlsxRows may read a file twice)
    const bytes = { [Symbol.asyncIterator]: () => uploadFileSlices(deps.pool, upload.id) };
    for await (const row of fileRows({ ...upload, bytes }, layout)) {
      if (row.rowNo < layout.dataFrom || row.rowNo <= upload.lastRow || isEmptyRow(layout, row.cells)) continue;
      batch.push(row);
      if (batch.length >= batchSize) {
        await handOver(batch);
        batch = [];
        if (stopping()) {
          await storing;
          return 'stopped';
        }
      }
    }
    if (batch.length) await handOver(batch);
    await storing;
    await finishUpload(deps.pool, upload.id, worker, 'done', null);
    return 'done';
  } catch (err) {
    if (err instanceof UploadClaimLost) return 'lost';
    deps.log.error({ err, upload: upload.id }, 'upload failed');
    const message = (err as Error).message.slice(0, 300);
    const error = {
      code: err instanceof GatewayError ? err.code : 'GW_INTERNAL',
      zh: `处理中断：${message}（已入库的行保留，可重新上传同一文件，已入库的行将显示为未变更）`,
      en: `processing stopped: ${message} (rows already stored are kept; upload the same file again and they show as unchanged)`,
    };
    await finishUpload(deps.pool, upload.id, worker, 'failed', error);
    await raiseUploadFailed(deps.pool, deps.outbox, upload, error)
      .catch((alertErr: unknown) => deps.log.error({ err: alertErr, upload: upload.id }, 'upload failed; raising its alert failed too'));
    return 'failed';
  }
}
