/**
 * The current row's derived columns (src/store/record-columns.ts) in their two forms — computed by the
 * gateway when it writes a batch, and by SQL from an envelope (seeds, the monitoring indicators' older
 * versions) — give the same answers, and what writeRecords stores is what the SQL form gives for the
 * stored envelope.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATEGORY_IDS } from '../../src/domain/catalogue.js';
import type { RecordEnvelope } from '../../src/domain/record.js';
import { sampleRecordInput } from '../../src/dev/sample-records.js';
import { RecordPreparer } from '../../src/ingest/prepare.js';
import { inTransaction } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { DERIVED_COLUMNS, derivedColumnValues, derivedValues } from '../../src/store/record-columns.js';
import { writeRecords, type PreparedRecord } from '../../src/store/records-repo.js';
import { RecordValidator } from '../../src/validation/validator.js';
import { createTestDatabase, testConfig } from '../support/env.js';

const NO_DESTINATIONS = { destinationsFor: () => [], stillConfigured: () => [] };

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;
let preparer: RecordPreparer;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  await migrate(pool);
  preparer = new RecordPreparer(new RecordValidator(), testConfig(db.url).publicationPeriods);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

function prepared(category: (typeof CATEGORY_IDS)[number], n: number): PreparedRecord {
  const p = preparer.prepare(sampleRecordInput(category, n));
  if (!p.ok) throw new Error(`sample ${category} ${n}: ${JSON.stringify(p.errors)}`);
  return p.record;
}

/** Sample envelopes of every category, and variants of them on each field a derived column reads. */
function envelopes(): RecordEnvelope[] {
  const samples = CATEGORY_IDS.flatMap((category) => [0, 1, 2, 3, 4, 5].map((n) => {
    const p = prepared(category, n);
    return { recordId: p.recordId, ...p.content, status: 'active', version: 1, contentHash: p.contentHash, createdAt: 'x', updatedAt: 'x' } as RecordEnvelope;
  }));
  const variant = (e: RecordEnvelope, patch: (copy: any) => void): RecordEnvelope => {
    const copy = structuredClone(e);
    patch(copy);
    return copy;
  };
  const procurement = samples.find((e) => e.category === 'procurement_breach')!;
  const other = samples[0]!;
  return [
    ...samples,
    ...['organ', 'public_institution', 'mass_organization', 'other_institution', 'enterprise', 'person', undefined].map((kind) => variant(other, (c) => { c.subject.kind = kind; })),
    ...[true, false, 'true', 'false', undefined].map((flag) => variant(other, (c) => { c.flags = flag === undefined ? undefined : { governmentSubject: flag }; })),
    variant(other, (c) => { delete c.flags; }),
    ...['payment_default', 'contract_default', undefined].flatMap((listType) => [true, false, 'true', 'false', null, undefined].map((resolved) => variant(procurement, (c) => {
      c.data = { ...c.data, listType, resolved };
    }))),
    variant(procurement, (c) => { c.category = 'admin_penalty'; c.data = { ...c.data, listType: 'payment_default', resolved: false }; }),
    variant(other, (c) => { delete c.severity; c.publishUntil = null; c.subject.orgCode = '12345678X'; }),
    variant(other, (c) => { c.severity = 'severe'; c.polarity = 'negative'; c.publishUntil = '2031-01-01'; delete c.subject.orgCode; }),
  ];
}

/** The SQL form's answers for these envelopes, column by column. */
async function sqlForm(envs: readonly RecordEnvelope[]): Promise<unknown[][]> {
  const { rows } = await pool.query<unknown[]>({
    text: `SELECT ${derivedValues('e')} FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS u(e, n) ORDER BY n`,
    values: [JSON.stringify(envs)],
    rowMode: 'array' as const,
  });
  return DERIVED_COLUMNS.split(', ').map((_, column) => rows.map((row) => row[column]));
}

describe('derived columns', () => {
  it('the gateway\'s form gives what the SQL form gives, for every category and each variant of the fields they read', async () => {
    const envs = envelopes();
    const gateway = derivedColumnValues(envs);
    expect(gateway).toEqual(await sqlForm(envs));
    // the variants reach both answers of each rule
    expect(new Set(gateway[4])).toEqual(new Set([true, false]));
    expect(new Set(gateway[5])).toEqual(new Set([true, false]));
  });

  it('writeRecords stores, on creation and on new content, the columns the SQL form gives for the stored envelope', async () => {
    const write = (batch: PreparedRecord[]) => inTransaction(pool, (c) => writeRecords(c, batch, { actor: 'test', outbox: NO_DESTINATIONS }));
    const first = CATEGORY_IDS.flatMap((category) => [10, 11, 12].map((n) => prepared(category, n)));
    expect((await write(first)).every((o) => o.result === 'created')).toBe(true);
    const changed = first.map((p, i) => {
      // resolved false, absent (undefined is left out of the JSON) and true
      const content = { ...p.content, data: { ...p.content.data, listType: 'payment_default', resolved: [false, undefined, true][i % 3] }, publishUntil: null };
      return { ...p, content, contentHash: `${p.contentHash}-changed` };
    });
    expect((await write(changed)).every((o) => o.result === 'updated')).toBe(true);
    const { rows } = await pool.query<{ differing: number; total: number }>(
      `SELECT count(*) FILTER (WHERE (${DERIVED_COLUMNS}) IS DISTINCT FROM (${derivedValues('envelope::jsonb')}))::int AS differing, count(*)::int AS total
         FROM current_records`,
    );
    expect(rows[0]).toEqual({ differing: 0, total: first.length });
    const open = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM records WHERE open_payment_default');
    expect(open.rows[0]!.n).toBe(2); // the procurement breaches not resolved, now open payment defaults
  });
});
