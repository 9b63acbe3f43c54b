/**
 * Every text column of the store compares byte by byte (COLLATE "C", migration 024), whatever the
 * database's own locale — so that a store created under a language collation does not pay for it in
 * every index descent, and every comparison between two columns keeps to their indexes.
 *
 * The database here is created with a language collation (ICU zh-Hans-CN) when the server has ICU
 * (PostgreSQL 15 here has), as a credit-information centre's server often is; otherwise with the
 * server's default, where the rule on the columns still holds.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticUscc } from '../../src/domain/uscc.js';
import { migrate } from '../../src/store/migrate.js';
import { CHECK_SQL, publishedNegativeRecords } from '../../src/store/checks-repo.js';
import { PUBLIC_STATUSES } from '../../src/store/records-read.js';
import { seedRecords } from '../../src/store/seed-records.js';
import { findSubjectsByName, learnSubjects, resolveUsccs } from '../../src/store/subjects-repo.js';
import { createScratchDatabase, type ScratchDatabase } from '../../src/dev/scratch-database.js';
import { pgAdminUrl } from '../support/env.js';
import { explain, plannedLikeTheGateway, planNodes } from '../support/plan-nodes.js';

let db: ScratchDatabase;
let pool: pg.Pool;
let languageCollation = false;

beforeAll(async () => {
  const admin = new pg.Client({ connectionString: pgAdminUrl() });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_collation WHERE collprovider = 'i' AND collname = 'zh-Hans-CN-x-icu'`);
    languageCollation = rows[0]!.n > 0;
  } finally {
    await admin.end();
  }
  // the server's default collation (not BENCH_DB_LOCALE's) when it has no ICU
  db = await createScratchDatabase(pgAdminUrl(), 'gw_test_collation', languageCollation ? 'zh-Hans-CN' : '');
  pool = plannedLikeTheGateway(db.url, 2);
  await migrate(pool);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe('text collation of the store', () => {
  it('the database itself has the language collation when the server offers one', async () => {
    const { rows } = await pool.query<{ provider: string; icu: string | null }>(
      'SELECT datlocprovider AS provider, daticulocale AS icu FROM pg_database WHERE datname = current_database()',
    );
    if (languageCollation) expect(rows[0]).toEqual({ provider: 'i', icu: 'zh-Hans-CN' });
    else expect(rows[0]!.provider).toBe('c'); // libc: the server's default locale
  });

  it('every text column (text, varchar, text[]) of every table is COLLATE "C"', async () => {
    const { rows } = await pool.query<{ col: string; collation: string }>(
      `SELECT c.relname || '.' || a.attname AS col, a.attcollation::regcollation::text AS collation
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         JOIN pg_type t ON t.oid = a.atttypid AND t.typcollation <> 0
        WHERE c.relkind IN ('r', 'p')
        ORDER BY 1`,
    );
    expect(rows.length).toBeGreaterThan(100); // the store's tables are there
    expect(rows.filter((r) => r.collation !== '"C"')).toEqual([]);
  });

  it('the view of current records has the table columns again (dropped and re-created by the migration)', async () => {
    const columns = async (rel: string) =>
      (await pool.query<{ a: string }>(`SELECT attname AS a FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`, [rel])).rows.map((r) => r.a);
    expect(await columns('current_records')).toEqual([...(await columns('records')), 'envelope']);
  });

  it('a check of codes sent as parameters is answered from records_checks_idx', async () => {
    // a few thousand severe records of other codes, vacuumed: the covering index is the plan's clear choice
    // (on an empty table several indexes cost the same, and which one is taken says nothing)
    await seedRecords(pool, `
      SELECT md5('collation-' || g)::uuid AS record_id, 'dishonest_debtor' AS category, 'S' || lpad(g::text, 17, '0') AS subject_key,
             'S' || lpad(g::text, 17, '0') AS uscc, '320583' AS region, 'active' AS status, 'sha256:' || md5(g::text) AS content_hash,
             jsonb_build_object('category', 'dishonest_debtor', 'polarity', 'negative', 'severity', 'severe',
                                'subject', jsonb_build_object('uscc', 'S' || lpad(g::text, 17, '0'), 'name', '某公司' || g, 'kind', 'enterprise', 'region', '320583'),
                                'source', jsonb_build_object('system', 'seed', 'key', 'K' || g)) AS envelope,
             now() AS created_at
        FROM generate_series($1::int, $2::int) AS g`, [1, 5000]);
    await pool.query('VACUUM (ANALYZE) records');
    const plan = await explain(pool, CHECK_SQL, [[syntheticUscc(1), 'S00000000000000042'], PUBLIC_STATUSES, '2026-12-07']);
    expect(planNodes(plan)).toContain('Index Only Scan on records_checks_idx');
    const found = await publishedNegativeRecords(pool, [syntheticUscc(1), 'S00000000000000042'], '2026-12-07');
    expect([...found.keys()]).toEqual(['S00000000000000042']);
  });

  it('subjects with Chinese names are learned and found by code, organisation code, exact name and similarity', async () => {
    const uscc = syntheticUscc(42);
    await learnSubjects(pool, [{ uscc, name: '昆山市样例精密机械有限公司', region: '320583' }], 'record');
    const resolved = await resolveUsccs(pool, [uscc.slice(8, 17)], ['昆山市样例精密机械有限公司']);
    expect(resolved.byOrgCode.get(uscc.slice(8, 17))).toBe(uscc);
    expect(resolved.byName.get('昆山市样例精密机械有限公司')).toBe(uscc);
    expect((await findSubjectsByName(pool, '昆山市样例精密机械有限公司', 'exact', 5)).map((s) => s.uscc)).toEqual([uscc]);
    expect((await findSubjectsByName(pool, '昆山样例精密机械有限公司', 'fuzzy', 5)).map((s) => s.uscc)).toEqual([uscc]);
  });
});
