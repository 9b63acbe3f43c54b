/**
 * A pushed batch: every item is prepared on its own; valid items are stored in one transaction and
 * invalid ones are reported with their field errors — one bad item never costs the others.
 */
import type pg from 'pg';
import { GatewayError, type FieldError } from '../errors.js';
import { ChangeNotAllowed, writeRecords, type PreparedRecord, type WriteContext, type WriteResult } from '../store/records-repo.js';
import type { RecordPreparer } from './prepare.js';
import type { Outbox } from '../outbox/outbox.js';

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
  /** the batch's events are queued here, and the relay woken after the commit */
  outbox: Outbox;
}

export interface IngestOptions {
  /** who pushes: partner id */
  actor: string;
  /** the partner's grant, which must cover every record the batch changes, stored and new version alike */
  mayChange?: WriteContext['mayChange'];
  /** extra work on the same transaction (e.g. storing the idempotent answer) */
  alsoInTransaction?: (client: pg.PoolClient, results: ItemResult[]) => Promise<void>;
}

/**
 * Stores the valid items of a batch. Refuses the whole batch (GW_AUTH_GRANT_MISSING, nothing stored)
 * when it would change a stored record that `mayChange` does not allow.
 */
export async function ingestBatch(deps: IngestDeps, items: unknown[], opts: IngestOptions): Promise<ItemResult[]> {
  const { actor, mayChange, alsoInTransaction } = opts;
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

  try {
    await deps.outbox.transaction(deps.pool, async (client) => {
      const outcomes = await writeRecords(client, accepted.map((a) => a.record), { actor, outbox: deps.outbox, mayChange });
      outcomes.forEach((o, i) => {
        const index = accepted[i]!.index;
        results[index] = { index, status: o.result, recordId: o.recordId, version: o.version };
      });
      if (alsoInTransaction) await alsoInTransaction(client, results);
    });
  } catch (err) {
    if (err instanceof ChangeNotAllowed) throw grantRefusal(err.recordIds, accepted);
    throw err;
  }
  return results;
}

function grantRefusal(recordIds: string[], accepted: Array<{ index: number; record: PreparedRecord }>): GatewayError {
  const refused = new Set(recordIds);
  return new GatewayError('GW_AUTH_GRANT_MISSING', {
    errors: accepted.filter((a) => refused.has(a.record.recordId)).map((a) => ({
      pointer: `/records/${a.index}`,
      rule: 'auth.stored_record_not_granted',
      zh: '该来源记录已存储，其类别或地区不在合作方的授权范围内，不能更改',
      en: 'this source record is already stored with a category or region outside the partner\'s grant, so it cannot be changed',
    })),
  });
}
