/**
 * Exchange tables (前置库) that go wrong, on a real MariaDB and PostgreSQL: a table missing configured
 * columns, a database that refuses the connection, a statement that outlasts statementTimeoutMs, rows
 * with a NULL key or update time, a key repeated within a page. Each is a clear failed run (with
 * an alert and the reason in the run history) or a quarantined row with the reason, and nothing
 * already stored is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchDatabase } from '../../src/dev/scratch-database.js';
import { quarantineOf, recordBySourceKey, runConnectorOnce } from '../support/connector-runs.js';
import { createTestDatabase, createTestMariaDb, startTestGateway, type TestGateway } from '../support/env.js';
import {
  connectSource, createFeedbackTableSql, createTableSql, insertRows, penaltyRow, type SourceDb,
} from '../../src/dev/exchange-tables.js';

const MARIA_ENV = 'XDB_HOSTILE_MARIA_URL';
const PG_ENV = 'XDB_HOSTILE_PG_URL';
const REFUSED_ENV = 'XDB_HOSTILE_REFUSED_URL';

let maria: ScratchDatabase;
let pgSource: ScratchDatabase;
let mdb: SourceDb;
let pdb: SourceDb;
let gw: TestGateway;

const common = { source: 'shuanggongshi/qzk-xzcf', enabled: true, schedule: null } as const;
const xdb = (over: Record<string, unknown>) => ({ urlEnv: MARIA_ENV, table: 't_ok', key: ['XH'], cursor: { column: 'GXSJ' }, pageSize: 10, ...over });

beforeAll(async () => {
  maria = await createTestMariaDb();
  pgSource = await createTestDatabase();
  mdb = await connectSource('mariadb', maria.url);
  pdb = await connectSource('postgres', pgSource.url);
  await mdb.exec(createTableSql('mariadb', { table: 't_ok' }));
  await insertRows(mdb, 't_ok', Array.from({ length: 5 }, (_, i) => penaltyRow(i + 1, '2024-07-01 08:00:00')));
  await mdb.exec(createTableSql('mariadb', { table: 't_loose', keyConstraint: 'none' }));
  await mdb.exec(createFeedbackTableSql('mariadb', 't_loose_fk'));
  await insertRows(mdb, 't_loose', Array.from({ length: 5 }, (_, i) => penaltyRow(i + 1, '2024-07-01 08:00:00')));
  // MariaDB's SLEEP in the WHERE clause runs once per row: 5 s for the view's 5 rows
  await mdb.exec('CREATE VIEW t_sleepy AS SELECT * FROM t_ok WHERE SLEEP(1) = 0');
  // rows written a moment ago, and one older: with settleSeconds the fresh ones wait for a later run
  await mdb.exec(createTableSql('mariadb', { table: 't_settle' }));
  await insertRows(mdb, 't_settle', [penaltyRow(1, '2024-07-01 08:00:00'), penaltyRow(2, '2024-07-01 08:00:00')]);
  await mdb.exec('UPDATE t_settle SET GXSJ = NOW(6) WHERE XH = 2');
  await pdb.exec(createTableSql('postgres', { table: 't_ok' }));
  await insertRows(pdb, 't_ok', Array.from({ length: 3 }, (_, i) => penaltyRow(i + 1, '2024-07-01 08:00:00')));
  // a STABLE function in the WHERE clause runs once per statement: every read of the view takes 2 s
  await pdb.exec(`CREATE FUNCTION sleepy() RETURNS boolean LANGUAGE plpgsql STABLE AS $$ BEGIN PERFORM pg_sleep(2); RETURN true; END $$`);
  await pdb.exec('CREATE VIEW t_sleepy AS SELECT * FROM t_ok WHERE sleepy()');
  process.env[MARIA_ENV] = maria.url;
  process.env[PG_ENV] = pgSource.url;
  process.env[REFUSED_ENV] = 'mysql://gateway:secret-pw@127.0.0.1:1/qzk';
  gw = await startTestGateway({
    lifecycle: { expiryEnabled: false },
    connectors: {
      instances: {
        'missing-col': { ...common, system: 'qzk.hostile.missing', exchangeDb: xdb({ key: ['xh'], cursor: { column: 'GXSJ_X' } }) },
        refused: { ...common, system: 'qzk.hostile.refused', exchangeDb: xdb({ urlEnv: REFUSED_ENV, connectTimeoutMs: 2000 }) },
        'slow-pg': { ...common, system: 'qzk.hostile.slow', exchangeDb: xdb({ urlEnv: PG_ENV, table: 't_sleepy', statementTimeoutMs: 300 }) },
        'slow-maria': { ...common, system: 'qzk.hostile.slow-maria', exchangeDb: xdb({ table: 't_sleepy', statementTimeoutMs: 300 }) },
        settle: {
          ...common, system: 'qzk.hostile.settle',
          exchangeDb: xdb({ table: 't_settle', cursor: { column: 'GXSJ', kind: 'time', settleSeconds: 3600 } }),
        },
        loose: {
          ...common, system: 'qzk.hostile.loose', invalidThreshold: 1,
          exchangeDb: xdb({ table: 't_loose', feedback: { table: 't_loose_fk', status: 'FKZT', message: 'FKXX' } }),
        },
      },
    },
  });
}, 120_000);

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
  await mdb?.close();
  await pdb?.close();
  await maria?.drop();
  await pgSource?.drop();
});

/** The alerts raised for a connector (gateway_connector_alerts_total), by reason. */
async function alertsOf(connector: string): Promise<Record<string, number>> {
  const metric = await gw.ctx.connectors!.metrics.alerts.get();
  return Object.fromEntries(metric.values.filter((v) => v.labels.connector === connector).map((v) => [String(v.labels.reason), v.value]));
}

describe('a run that cannot read the table fails with the reason, and stores nothing', () => {
  it('a table missing configured columns names each, with the setting and the spelling the table has', async () => {
    const run = await runConnectorOnce(gw, 'missing-col');
    expect(run.state).toBe('failed');
    expect(run.error).toContain('table t_ok has no column xh (key[0]) — the table has XH: names are matched exactly, GXSJ_X (cursor.column)');
    expect(await alertsOf('missing-col')).toEqual({ run_failed: 1 });
  });

  it('a refused connection names the database by host and port, never with the password', async () => {
    const run = await runConnectorOnce(gw, 'refused');
    expect(run.state).toBe('failed');
    expect(run.error).toMatch(/^exchange database 127\.0\.0\.1:1\/qzk: cannot connect: .*ECONNREFUSED/);
    expect(run.error).not.toContain('secret-pw');
  });

  it.each(['slow-pg', 'slow-maria'])('a statement longer than statementTimeoutMs is cancelled and the run fails (%s)', async (name) => {
    const started = Date.now();
    const run = await runConnectorOnce(gw, name);
    expect(run.state).toBe('failed');
    expect(run.error).toContain('ran longer than statementTimeoutMs 300 ms and was cancelled');
    expect(Date.now() - started).toBeLessThan(10_000);
    const { rows } = await gw.ctx.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM records`);
    expect(rows[0]!.n).toBe(0);
  });
});

describe('rows written a moment ago', () => {
  it('wait settleSeconds before a time cursor passes them (a transaction that commits late is not skipped)', async () => {
    const run = await runConnectorOnce(gw, 'settle');
    expect(run).toMatchObject({ state: 'succeeded', pulled: 1, created: 1 });
    expect(run.cursorAfter).toMatchObject({ key: '["1"]' });
  });
});

describe('rows that cannot be placed or addressed are quarantined; stored records stay', () => {
  it('a NULL key, a NULL update time and a key twice in one page', async () => {
    const first = await runConnectorOnce(gw, 'loose');
    expect(first).toMatchObject({ state: 'succeeded', created: 5 });
    const before = await recordBySourceKey(gw, 'qzk.hostile.loose', `某市监罚〔2024〕3号|${penaltyRow(3, '').CF_XDR_SHXYM}`);

    const later = '2024-07-02 08:00:00';
    await mdb.exec('UPDATE t_loose SET GXSJ = ? WHERE XH = 3', [later]);
    await insertRows(mdb, 't_loose', [
      penaltyRow(3, later, { CF_NR_FK: 9.9, CF_NR: '罚款99000元' }), // the key 3 a second time, in the same page
      penaltyRow(7, later, { XH: null }),
      penaltyRow(8, null as unknown as string),
      penaltyRow(9, later),
    ]);
    const run = await runConnectorOnce(gw, 'loose');
    expect(run).toMatchObject({ state: 'succeeded', pulled: 5, created: 1, rejected: 4 });
    const rules = (await quarantineOf(gw, 'loose')).map((q) => q.errors.map((e) => e.rule).join(',')).sort();
    expect(rules).toEqual(['exchange.cursor_null', 'exchange.duplicate_key', 'exchange.duplicate_key', 'exchange.key_null']);

    // the record stored from key 3 before is as it was
    const after = await recordBySourceKey(gw, 'qzk.hostile.loose', `某市监罚〔2024〕3号|${penaltyRow(3, '').CF_XDR_SHXYM}`);
    expect(after).toEqual(before);
    // verdicts: the repeated key and the NULL update time are rejected with the reason; the NULL key cannot be addressed
    const fb = await mdb.rows<{ XH: string; FKZT: string; FKXX: string }>('SELECT XH, FKZT, FKXX FROM t_loose_fk ORDER BY XH');
    expect(fb.find((r) => Number(r.XH) === 3)).toMatchObject({ FKZT: 'rejected', FKXX: expect.stringContaining('规则 exchange.duplicate_key') });
    expect(fb.find((r) => Number(r.XH) === 8)).toMatchObject({ FKZT: 'rejected', FKXX: expect.stringContaining('增量列 GXSJ 为空') });
    expect(fb.find((r) => Number(r.XH) === 9)).toMatchObject({ FKZT: 'accepted' });
    expect(fb.map((r) => Number(r.XH))).toEqual([1, 2, 3, 4, 5, 8, 9]);
  });
});
