/**
 * A pushed batch: every item is prepared on its own; valid items are stored in one transaction and
 * invalid ones are reported with their field errors — one bad item never costs the others.
 */
import type pg from 'pg';
import type { DestinationConfig } from '../config/load.js';
import type { FieldError } from '../errors.js';
import { inTransaction } from '../store/db.js';
import { writeRecords, type PreparedRecord, type WriteResult } from '../store/records-repo.js';
import type { RecordPreparer } from './prepare.js';

export interface ItemResult {
  index: number;
  status: WriteResult | 'rejected';
  recordId?: string;
  version?: number;
  errors?: FieldError[];
}

export interface IngestDeps {
  pool: pg.Pool;
  preparer: RecordPreparer;
  destinations: DestinationConfig[];
}

export async function ingestBatch(
  deps: IngestDeps,
  items: unknown[],
  actor: string,
  /** extra work on the same transaction (e.g. storing the idempotent answer) */
  alsoInTransaction?: (client: pg.PoolClient, results: ItemResult[]) => Promise<void>,
): Promise<ItemResult[]> {
  const results: ItemResult[] = new Array(items.length);
  const accepted: Array<{ index: number; record: PreparedRecord }> = [];
  const firstIndexOf = new Map<string, number>();

  items.forEach((raw, index) => {
    const prepared = deps.preparer.prepare(raw, `/records/${index}`);
    if (!prepared.ok) {
      results[index] = { index, status: 'rejected', errors: prepared.errors };
      return;
    }
    const { recordId } = prepared.record;
    const earlier = firstIndexOf.get(recordId);
    if (earlier !== undefined) {
      results[index] = {
        index,
        status: 'rejected',
        recordId,
        errors: [{
          pointer: `/records/${index}/source/key`,
          rule: 'batch.duplicate_source_key',
          zh: `与本批第 ${earlier} 条记录的来源系统和来源键相同，同一批次中每条来源记录只能出现一次`,
          en: `same source system and key as item ${earlier}; a source record may appear only once per batch`,
        }],
      };
      return;
    }
    firstIndexOf.set(recordId, index);
    accepted.push({ index, record: prepared.record });
  });

  await inTransaction(deps.pool, async (client) => {
    const outcomes = await writeRecords(client, accepted.map((a) => a.record), { actor, destinations: deps.destinations });
    outcomes.forEach((o, i) => {
      const index = accepted[i]!.index;
      results[index] = { index, status: o.result, recordId: o.recordId, version: o.version };
    });
    if (alsoInTransaction) await alsoInTransaction(client, results);
  });
  return results;
}
