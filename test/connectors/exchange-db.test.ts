/**
 * Exchange-database sources (前置库) on the real databases and broker: a department's 双公示 行政处罚
 * table in MariaDB (verdicts into the table's own feedback columns, its update time an
 * `ON UPDATE CURRENT_TIMESTAMP` column the verdicts must not move) and one in PostgreSQL (verdicts into
 * a feedback table), read by one gateway through the connector service like every source.
 *
 * Each table is filled (rows sharing update times across page boundaries, two invalid rows), then
 * changed (content, only the update time, the deletion flag, a fixed row, new rows) and partly
 * undeleted between runs. Checked: the records created / updated / unchanged / withdrawn, their
 * versions and events (outbox and Kafka), the rows each run read (only those changed since the
 * cursor), quarantine, the verdicts written back, and GET /v1/connectors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, createTestMariaDb, readTopic, startTestGateway, testDestinations, uniqueName, type TestGateway } from '../support/env.js';
import { eventTypesOf, quarantineOf, recordBySourceKey, runConnectorOnce } from '../support/connector-runs.js';
import { listRecordEvents } from '../../src/outbox/outbox.js';
import {
  connectSource, createFeedbackTableSql, createTableSql, insertRows, penaltyRow, type SourceDb, type TestDialect,
} from '../../src/dev/exchange-tables.js';
import type { ScratchDatabase } from '../../src/dev/scratch-database.js';

const PAGE_SIZE = 7;
const destinations = testDestinations(uniqueName('xdb'));
const prov = destinations[0]!.topic;

interface Side {
  dialect: TestDialect;
  name: string;
  system: string;
  scratch: ScratchDatabase;
  db: SourceDb;
  env: string;
}

const sides = new Map<TestDialect, Side>();
let gw: TestGateway;

function instance(side: Side) {
  const feedback = side.dialect === 'postgres'
    ? { table: 't_xzcf_fk', status: 'FKZT', message: 'FKXX', at: 'FKSJ' }
    : { status: 'FKZT', message: 'FKXX', at: 'FKSJ' };
  return {
    source: 'shuanggongshi/qzk-xzcf', enabled: true, schedule: null, system: side.system,
    exchangeDb: {
      urlEnv: side.env, table: 't_xzcf', key: ['XH'], cursor: { column: 'GXSJ' },
      deleted: { column: 'SCBZ', values: ['1'] }, feedback, pageSize: PAGE_SIZE, statementTimeoutMs: 10_000,
    },
  };
}

/** 30 valid rows in three groups of equal update times (pages of 7 cut through each), and two invalid ones. */
function firstRows() {
  const at = (i: number) => (i <= 10 ? '2024-05-01 09:00:00' : i <= 20 ? '2024-05-01 10:00:00' : '2024-05-01 10:00:00.5');
  return [
    ...Array.from({ length: 30 }, (_, i) => penaltyRow(i + 1, at(i + 1))),
    penaltyRow(31, '2024-05-01 11:00:00', { CF_XDR_LB: '其他组织' }),
    penaltyRow(32, '2024-05-01 11:00:00', { CF_JDRQ: '2024年13月45日' }),
  ];
}

beforeAll(async () => {
  for (const dialect of ['mariadb', 'postgres'] as const) {
    const scratch = dialect === 'mariadb' ? await createTestMariaDb() : await createTestDatabase();
    const db = await connectSource(dialect, scratch.url);
    await db.exec(createTableSql(dialect, { table: 't_xzcf', feedbackColumns: dialect === 'mariadb', autoUpdateTime: true }));
    if (dialect === 'postgres') await db.exec(createFeedbackTableSql(dialect, 't_xzcf_fk'));
    await insertRows(db, 't_xzcf', firstRows());
    const env = `XDB_TEST_${dialect.toUpperCase()}_URL`;
    process.env[env] = scratch.url;
    sides.set(dialect, { dialect, name: `xzcf-${dialect}`, system: `qzk.test-${dialect}.xzcf`, scratch, db, env });
  }
  const [maria, postgres] = [sides.get('mariadb')!, sides.get('postgres')!];
  // a table read whole on every pass: rows gone from it are removed by the removal sweep
  await maria.db.exec(createTableSql('mariadb', { table: 't_full' }));
  await insertRows(maria.db, 't_full', Array.from({ length: 12 }, (_, i) => penaltyRow(200 + i, '2024-04-01 08:00:00')));
  const complete = {
    source: 'shuanggongshi/qzk-xzcf', enabled: true, schedule: null, system: 'qzk.test-complete.xzcf', removalAfterRuns: 1,
    exchangeDb: { urlEnv: maria.env, table: 't_full', key: ['XH'], cursor: { column: 'GXSJ' }, listing: 'complete', pageSize: 5 },
  };
  gw = await startTestGateway({
    destinations,
    lifecycle: { expiryEnabled: false },
    connectors: { instances: { [maria.name]: instance(maria), [postgres.name]: instance(postgres), 'xzcf-complete': complete } },
  });
}, 120_000);

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
  for (const side of sides.values()) {
    await side.db.close();
    await side.scratch.drop();
  }
});

const keyOf = (n: number) => `某市监罚〔2024〕${n}号|${penaltyRow(n, '').CF_XDR_SHXYM}`;

async function verdicts(side: Side): Promise<Map<number, { status: string; message: string }>> {
  const table = side.dialect === 'postgres' ? 't_xzcf_fk' : 't_xzcf';
  const rows = await side.db.rows<{ XH: number | string; FKZT: string | null; FKXX: string | null }>(`SELECT XH, FKZT, FKXX FROM ${table}`);
  return new Map(rows.filter((r) => r.FKZT !== null).map((r) => [Number(r.XH), { status: r.FKZT!, message: r.FKXX ?? '' }]));
}

describe.each(['mariadb', 'postgres'] as const)('an exchange table in %s', (dialect) => {
  const side = () => sides.get(dialect)!;

  it('first run: every row once across equal update times, invalid rows quarantined, verdicts written back', async () => {
    const run = await runConnectorOnce(gw, side().name);
    expect(run).toMatchObject({ state: 'succeeded', pulled: 32, created: 30, rejected: 2, updated: 0, unchanged: 0, removed: 0, pages: 5 });
    const { rows } = await gw.ctx.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM current_records WHERE envelope->'source'->>'system' = $1`, [side().system]);
    expect(rows[0]!.n).toBe(30);
    const r7 = await recordBySourceKey(gw, side().system, keyOf(7));
    expect(r7).toMatchObject({ status: 'active', versions: ['created'] });
    expect(r7!.envelope.subject).toMatchObject({ name: '某7号商贸有限公司', uscc: penaltyRow(7, '').CF_XDR_SHXYM });
    expect(r7!.envelope.data).toMatchObject({ CF_NR_FK: 0.2, CF_JDRQ: '2024-03-08', CF_CFLB: '罚款' });

    const quarantined = await quarantineOf(gw, side().name);
    expect(quarantined.map((q) => q.errors[0]!.rule).sort()).toEqual(['source.unknown_code', 'value.date']);

    const fb = await verdicts(side());
    expect(fb.size).toBe(32);
    expect([...fb.values()].filter((v) => v.status === 'accepted')).toHaveLength(30);
    expect(fb.get(31)).toMatchObject({ status: 'rejected' });
    expect(fb.get(31)!.message).toContain('字段 CF_XDR_LB；规则 source.unknown_code；值“其他组织”');
    expect(fb.get(32)!.message).toContain('字段 CF_JDRQ；规则 value.date；值“2024年13月45日”');
  });

  it('second run: only the rows changed since the cursor; updated, unchanged, withdrawn by the flag, fixed and new', async () => {
    const { db } = side();
    const at = '2024-05-02 08:00:00';
    await db.exec(`UPDATE t_xzcf SET CF_NR_FK = 0.5, CF_NR = '罚款5000元', GXSJ = ? WHERE XH IN (1, 2, 3)`, [at]);
    await db.exec('UPDATE t_xzcf SET GXSJ = ? WHERE XH = 4', [at]);
    await db.exec(`UPDATE t_xzcf SET SCBZ = '1', GXSJ = ? WHERE XH IN (5, 6)`, [at]);
    await db.exec(`UPDATE t_xzcf SET CF_XDR_LB = '法人及非法人组织', GXSJ = ? WHERE XH = 31`, [at]);
    await insertRows(db, 't_xzcf', [penaltyRow(33, at), penaltyRow(34, at)]);

    const run = await runConnectorOnce(gw, side().name);
    expect(run).toMatchObject({ state: 'succeeded', pulled: 9, created: 3, updated: 3, unchanged: 1, removed: 2, rejected: 0 });
    expect(await recordBySourceKey(gw, side().system, keyOf(1))).toMatchObject({ status: 'active', versions: ['created', 'updated'] });
    expect((await recordBySourceKey(gw, side().system, keyOf(1)))!.envelope.data.CF_NR_FK).toBe(0.5);
    expect(await recordBySourceKey(gw, side().system, keyOf(4))).toMatchObject({ versions: ['created'] });
    const withdrawn = await recordBySourceKey(gw, side().system, keyOf(5));
    expect(withdrawn).toMatchObject({ status: 'removed', versions: ['created', 'status_changed', 'retracted'] });
    expect(await eventTypesOf(gw, withdrawn!.recordId, 'prov')).toEqual(['record.upserted', 'record.status_changed', 'record.retracted']);
    expect(await recordBySourceKey(gw, side().system, keyOf(31))).toMatchObject({ status: 'active', versions: ['created'] });
    expect((await verdicts(side())).get(31)).toEqual({ status: 'accepted', message: '已接收' });
  });

  it('third run: a row undeleted comes back (relist); a run with nothing new reads nothing', async () => {
    await side().db.exec(`UPDATE t_xzcf SET SCBZ = '0', GXSJ = ? WHERE XH = 5`, ['2024-05-03 08:00:00']);
    const run = await runConnectorOnce(gw, side().name);
    expect(run).toMatchObject({ state: 'succeeded', pulled: 1, unchanged: 1, created: 0, removed: 0 });
    const back = await recordBySourceKey(gw, side().system, keyOf(5));
    expect(back).toMatchObject({ status: 'active', versions: ['created', 'status_changed', 'retracted', 'status_changed'] });
    expect(await recordBySourceKey(gw, side().system, keyOf(6))).toMatchObject({ status: 'removed' });

    const idle = await runConnectorOnce(gw, side().name);
    expect(idle).toMatchObject({ state: 'succeeded', pulled: 0, pages: 1 });
  });

  it('appears in GET /v1/connectors with its table file, counts, quarantine and issues', async () => {
    const res = await gw.app.inject({ method: 'GET', url: '/v1/connectors' });
    expect(res.statusCode).toBe(200);
    const entry = (res.json() as { connectors: Array<Record<string, any>> }).connectors.find((c) => c.name === side().name)!;
    expect(entry).toMatchObject({ source: 'shuanggongshi/qzk-xzcf', type: 'exchange-db', enabled: true, state: 'idle', quarantined: 2, pass: 5 });
    expect(entry.counts).toMatchObject({ pulled: 0 });
    expect(entry.issues).toBeGreaterThan(0);
    expect(entry.cursor).toMatchObject({ at: expect.stringContaining('2024-05-03 08:00:00'), key: '["5"]' });
  });
});

describe('a complete listing', () => {
  it('reads the whole table each pass; rows deleted from it are removed by the sweep', async () => {
    expect(await runConnectorOnce(gw, 'xzcf-complete')).toMatchObject({ state: 'succeeded', pulled: 12, created: 12, pages: 3 });
    await sides.get('mariadb')!.db.exec('DELETE FROM t_full WHERE XH IN (200, 201)');
    const second = await runConnectorOnce(gw, 'xzcf-complete');
    expect(second).toMatchObject({ state: 'succeeded', pulled: 10, unchanged: 10, removed: 2 });
    expect(await recordBySourceKey(gw, 'qzk.test-complete.xzcf', keyOf(200))).toMatchObject({ status: 'removed', versions: ['created', 'status_changed', 'retracted'] });
    expect(await recordBySourceKey(gw, 'qzk.test-complete.xzcf', keyOf(202))).toMatchObject({ status: 'active', versions: ['created'] });
  });
});

it('every record version of the three tables reached Kafka once', async () => {
  const { rows } = await gw.ctx.pool.query<{ record_id: string }>(
    `SELECT record_id::text FROM current_records WHERE envelope->'source'->>'system' LIKE 'qzk.test-%'`);
  const ofTables = new Set(rows.map((r) => r.record_id));
  const events = await listRecordEvents(gw.ctx.pool, { destination: destinations[0]!.name });
  const ids = new Set(events.filter((e) => ofTables.has(e.recordId)).map((e) => e.eventId));
  // 30 + 3 created and 3 updated each side, 2 withdrawals of two events each, 1 relist; the complete listing's 12 and 2 removals
  expect(ids.size).toBe(2 * (33 + 3 + 4 + 1) + 12 + 2 * 2);
  const msgs = await readTopic(prov, { until: (m) => [...ids].every((id) => m.some((x) => x.headers['event-id'] === id)), timeoutMs: 60_000, settleMs: 300 });
  const seen = msgs.filter((m) => ids.has(m.headers['event-id']!)).map((m) => m.headers['event-id']);
  expect(new Set(seen).size).toBe(ids.size);
});
