/**
 * Exchange-database instances at start-up and the statements they run: precise configuration errors
 * (the key, the rule), identifiers refused unless plain and always quoted, values always parameters,
 * and the reading connection unable to write.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/load.js';
import { assertConnectorSources } from '../../src/connectors/registry.js';
import { openSession } from '../../src/connectors/exchange-db/connection.js';
import { feedbackColumnStatement, feedbackTableStatement, pageStatement, quoteIdentifier, quoteTable } from '../../src/connectors/exchange-db/source-query.js';
import type { ScratchDatabase } from '../../src/dev/scratch-database.js';
import { createTestDatabase, createTestMariaDb, testConfig } from '../support/env.js';

const base = { source: 'shuanggongshi/qzk-xzcf', enabled: true, exchangeDb: { urlEnv: 'XDB_CONFIG_TEST_URL', table: 'qzk.t_xzcf', key: ['XH'], cursor: { column: 'GXSJ' } } };

function problems(instance: Record<string, unknown>, env: Record<string, string> = {}): string[] {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const config = testConfig('postgres://x@127.0.0.1/x', { connectors: { instances: { qzk: instance } } });
    assertConnectorSources(config);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  } finally {
    process.env = saved;
  }
}

describe('start-up checks', () => {
  it('accepts a complete instance', () => {
    expect(problems(base, { XDB_CONFIG_TEST_URL: 'mysql://reader@127.0.0.1:3306/qzk' })).toEqual([]);
  });

  it('names the unset environment variable, a URL of another database, a column playing two parts', () => {
    expect(problems(base)).toEqual([expect.stringContaining('connectors.instances.qzk.exchangeDb.urlEnv: the environment variable XDB_CONFIG_TEST_URL is not set')]);
    expect(problems(base, { XDB_CONFIG_TEST_URL: 'oracle://x@h/db' })[0]).toContain('must start with postgres://, postgresql://, mysql:// or mariadb://');
    const clash = { ...base, exchangeDb: { ...base.exchangeDb, deleted: { column: 'XH', values: ['1'] } } };
    expect(problems(clash, { XDB_CONFIG_TEST_URL: 'mysql://r@h/db' })).toEqual(['connectors.instances.qzk.exchangeDb.deleted.column: column XH is already key[0] (rule: distinct_columns)']);
  });

  it('a disabled instance may leave its variable unset; an unknown table file is refused', () => {
    expect(problems({ ...base, enabled: false })).toEqual([]);
    expect(problems({ ...base, source: 'shuanggongshi/none' }, { XDB_CONFIG_TEST_URL: 'mysql://r@h/db' })[0]).toContain('no table file "shuanggongshi/none"');
  });

  it('the schema refuses identifiers that are not plain names, and an instance with neither baseUrl nor exchangeDb', () => {
    expect(() => testConfig('postgres://x@h/x', { connectors: { instances: { qzk: { ...base, exchangeDb: { ...base.exchangeDb, table: 't; DROP TABLE x' } } } } }))
      .toThrow(/\/connectors\/instances\/qzk\/exchangeDb\/table: must match pattern/);
    expect(() => testConfig('postgres://x@h/x', { connectors: { instances: { qzk: { source: 'shuanggongshi/qzk-xzcf' } } } }))
      .toThrow(/must have required property 'exchangeDb'/);
  });
});

describe('source statements', () => {
  const shape = { table: 'qzk.t_xzcf', key: ['XH', 'BM'], cursor: { column: 'GXSJ', kind: 'time' as const, settleSeconds: 30 } };

  it('quote identifiers and refuse anything else', () => {
    expect(quoteTable('postgres', 'qzk.t_xzcf')).toBe('"qzk"."t_xzcf"');
    expect(quoteTable('mysql', '行政处罚')).toBe('`行政处罚`');
    expect(() => quoteIdentifier('mysql', 'a`b')).toThrow(/not a plain SQL identifier/);
    expect(() => quoteIdentifier('postgres', 'a"; DROP')).toThrow(/not a plain SQL identifier/);
  });

  it('page by a (cursor, key) tuple, values as parameters', () => {
    expect(pageStatement('postgres', shape, { at: '2024-01-01 00:00:00', key: ['1', 'A'] }, 100)).toEqual({
      sql: 'SELECT * FROM "qzk"."t_xzcf" WHERE "GXSJ" IS NOT NULL AND "XH" IS NOT NULL AND "BM" IS NOT NULL AND ("GXSJ", "XH", "BM") > ($1, $2, $3)'
        + ' AND "GXSJ" <= statement_timestamp() - make_interval(secs => $4::int) ORDER BY "GXSJ", "XH", "BM" LIMIT 100',
      params: ['2024-01-01 00:00:00', '1', 'A', 30],
    });
    expect(pageStatement('mysql', { ...shape, cursor: { ...shape.cursor, settleSeconds: 0 } }, null, 5).sql)
      .toBe('SELECT * FROM `qzk`.`t_xzcf` WHERE `GXSJ` IS NOT NULL AND `XH` IS NOT NULL AND `BM` IS NOT NULL ORDER BY `GXSJ`, `XH`, `BM` LIMIT 5');
  });

  it('write verdicts only to the feedback columns or table, and only when they differ', () => {
    const v = { key: ['1', 'A'], status: 'rejected', message: '字段 CF_JDRQ' };
    expect(feedbackColumnStatement('mysql', shape, { status: 'FKZT', message: 'FKXX' }, v)).toEqual({
      sql: 'UPDATE `qzk`.`t_xzcf` SET `FKZT` = ?, `FKXX` = ?, `GXSJ` = `GXSJ` WHERE `XH` = ? AND `BM` = ? AND NOT (`FKZT` <=> ? AND `FKXX` <=> ?)',
      params: ['rejected', '字段 CF_JDRQ', '1', 'A', 'rejected', '字段 CF_JDRQ'],
    });
    expect(feedbackTableStatement('postgres', shape, { table: 'qzk.fk', status: 'FKZT', message: 'FKXX', at: 'FKSJ' }, [v]).sql).toBe(
      'INSERT INTO "qzk"."fk" AS t ("XH", "BM", "FKZT", "FKXX", "FKSJ") VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)'
      + ' ON CONFLICT ("XH", "BM") DO UPDATE SET "FKZT" = EXCLUDED."FKZT", "FKXX" = EXCLUDED."FKXX", "FKSJ" = EXCLUDED."FKSJ"'
      + ' WHERE (t."FKZT", t."FKXX") IS DISTINCT FROM (EXCLUDED."FKZT", EXCLUDED."FKXX")',
    );
  });
});

describe('the reading connection cannot write', () => {
  const scratch: ScratchDatabase[] = [];
  afterAll(async () => {
    for (const s of scratch) await s.drop();
  });

  it.each(['mariadb', 'postgres'] as const)('%s', async (dialect) => {
    const db = dialect === 'mariadb' ? await createTestMariaDb() : await createTestDatabase();
    scratch.push(db);
    const reader = await openSession(db.url, { connectTimeoutMs: 3000, statementTimeoutMs: 5000, readOnly: true });
    try {
      await expect(reader.execute({ sql: 'CREATE TABLE t (x int)', params: [] })).rejects.toThrow(/read[- ]only/i);
      expect(await reader.rows({ sql: 'SELECT 1 AS one', params: [] })).toEqual([{ one: dialect === 'mariadb' ? 1 : '1' }]);
    } finally {
      await reader.close();
    }
  });
});
