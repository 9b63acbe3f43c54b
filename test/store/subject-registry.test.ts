/**
 * The subject registry on the real PostgreSQL and Kafka: learned from pushed records and from a
 * registration file (GB18030 CSV, through `npm run registry:import`), searched by name (exact and
 * fuzzy), and completing records of organisations that came without a USCC — only when the code or
 * the name points at exactly one registered subject.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/config/load.js';
import { syntheticUscc } from '../../src/domain/uscc.js';
import { findSubjectsByName, learnSubjects } from '../../src/store/subjects-repo.js';
import { writeConfigFile } from '../../src/dev/child-gateway.js';
import { eventTypesOf } from '../support/connector-runs.js';
import { startTestGateway, waitForOutboxDrained, type TestGateway } from '../support/env.js';
import { sampleRecordInput } from '../../src/dev/sample-records.js';
import { scratchDir } from '../../src/dev/scratch-dir.js';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway();
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
});

async function push(records: unknown[]): Promise<{ results: Array<{ status: string; recordId: string; errors?: unknown }> }> {
  const res = await fetch(`${gw.url}/v1/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records }) });
  expect(res.status).toBe(200);
  return res.json() as Promise<{ results: Array<{ status: string; recordId: string }> }>;
}

/** A dishonest_debtor item about an organisation known by name (and maybe an organisation code) only. */
function pendingItem(n: number, name: string, orgCode?: string) {
  const item = sampleRecordInput('dishonest_debtor', n, { subject: { name, kind: 'other', region: '320583' } });
  delete (item.subject as { uscc?: string }).uscc;
  if (orgCode) (item.subject as { orgCode?: string }).orgCode = orgCode;
  return item;
}

async function record(recordId: string) {
  const { rows } = await gw.ctx.pool.query<{ pending: boolean; envelope: any }>('SELECT pending, envelope FROM current_records WHERE record_id = $1', [recordId]);
  return rows[0]!;
}

describe('subject registry', () => {
  it('learns every subject a record carries, with its names, and finds it by exact and fuzzy name', async () => {
    const uscc = syntheticUscc(424_242, { region: '320583' });
    await push([sampleRecordInput('admin_license', 424_242, { subject: { uscc, name: '昆山市样例精密机械制造有限公司' } })]);
    const exact = await (await fetch(`${gw.url}/v1/subjects?name=${encodeURIComponent('昆山市样例精密机械制造有限公司')}`)).json() as any;
    expect(exact).toMatchObject({ match: 'exact', subjects: [{ uscc, orgCode: uscc.slice(8, 17), name: '昆山市样例精密机械制造有限公司', kind: 'enterprise', region: '320583', governmentSubject: false }] });
    const fuzzy = await (await fetch(`${gw.url}/v1/subjects?name=${encodeURIComponent('昆山样例精密机械有限公司')}&match=fuzzy`)).json() as any;
    expect(fuzzy.subjects[0]).toMatchObject({ uscc });
    expect(fuzzy.subjects[0].similarity).toBeGreaterThan(0.3);
    expect(fuzzy.subjects[0].similarity).toBeLessThan(1);
    const none = await (await fetch(`${gw.url}/v1/subjects?name=${encodeURIComponent('完全无关的名称')}&match=fuzzy`)).json() as any;
    expect(none.subjects).toEqual([]);
    expect((await fetch(`${gw.url}/v1/subjects?name=x`)).status).toBe(400);
  });

  it('writes a known subject again without locking it; a new name or region is still learned', async () => {
    const uscc = syntheticUscc(434_343, { region: '320583' });
    const fact = { uscc, name: '昆山市样例包装材料有限公司', region: '320583' };
    await learnSubjects(gw.ctx.pool, [fact], 'record');
    const [a, b] = [await gw.ctx.pool.connect(), await gw.ctx.pool.connect()];
    try {
      await a.query('BEGIN');
      await b.query('BEGIN');
      await b.query(`SET LOCAL lock_timeout = '500ms'`);
      await learnSubjects(a, [fact], 'record');
      // an upsert of the unchanged row would wait for a's lock on it (55P03 after 500 ms)
      await learnSubjects(b, [{ ...fact, region: null }], 'record');
      await b.query('COMMIT');
      await a.query('COMMIT');
    } finally {
      for (const c of [a, b]) {
        await c.query('ROLLBACK').catch(() => undefined);
        c.release();
      }
    }
    await learnSubjects(gw.ctx.pool, [{ ...fact, name: '昆山市样例新材料有限公司', region: '320581' }], 'record');
    const found = await findSubjectsByName(gw.ctx.pool, '昆山市样例包装材料有限公司', 'exact', 5);
    expect(found).toMatchObject([{ uscc, name: '昆山市样例新材料有限公司', region: '320581', names: ['昆山市样例包装材料有限公司', '昆山市样例新材料有限公司'] }]);
    // the current name is the subject's own; only the former one is a row of subject_names
    const { rows } = await gw.ctx.pool.query('SELECT name FROM subject_names WHERE uscc = $1', [uscc]);
    expect(rows).toEqual([{ name: '昆山市样例包装材料有限公司' }]);
  });

  it('two writers renaming one subject at the same time: each name it had is kept, the last written is current', async () => {
    const uscc = syntheticUscc(464_646, { region: '320583' });
    await learnSubjects(gw.ctx.pool, [{ uscc, name: '样例甲名称有限公司' }], 'record');
    const [a, b] = [await gw.ctx.pool.connect(), await gw.ctx.pool.connect()];
    try {
      await a.query('BEGIN');
      await b.query('BEGIN');
      await learnSubjects(a, [{ uscc, name: '样例乙名称有限公司' }], 'record');
      const second = learnSubjects(b, [{ uscc, name: '样例丙名称有限公司' }], 'record'); // waits for a's row lock
      await new Promise((resolve) => setTimeout(resolve, 200));
      await a.query('COMMIT');
      await second;
      await b.query('COMMIT');
    } finally {
      for (const c of [a, b]) {
        await c.query('ROLLBACK').catch(() => undefined);
        c.release();
      }
    }
    const found = await findSubjectsByName(gw.ctx.pool, '样例乙名称有限公司', 'exact', 5);
    expect(found).toMatchObject([{ uscc, name: '样例丙名称有限公司', names: ['样例甲名称有限公司', '样例乙名称有限公司', '样例丙名称有限公司'] }]);
    for (const name of ['样例甲名称有限公司', '样例丙名称有限公司']) {
      expect((await findSubjectsByName(gw.ctx.pool, name, 'exact', 5)).map((f) => f.uscc)).toEqual([uscc]);
    }
    expect((await findSubjectsByName(gw.ctx.pool, '样例乙名称公司', 'fuzzy', 5)).map((f) => f.uscc)).toContain(uscc);
  });

  it('stores an organisation without a USCC as pending, lists it in the change feed, and keeps it from the destination that requires a USCC', async () => {
    const { results } = await push([pendingItem(500_001, '样例待识别贸易有限公司')]);
    expect(results[0]!.status).toBe('created');
    const stored = await record(results[0]!.recordId);
    expect(stored.pending).toBe(true);
    expect(stored.envelope.subject).toEqual({ name: '样例待识别贸易有限公司', kind: 'other', region: '320583' });
    await waitForOutboxDrained(gw.ctx.pool);
    expect(await eventTypesOf(gw, results[0]!.recordId, 'prov')).toEqual(['record.upserted']);
    expect(await eventTypesOf(gw, results[0]!.recordId, 'nat')).toEqual([]);
    const feed = await (await fetch(`${gw.url}/v1/records?pending=true`)).json() as any;
    expect(feed.items.map((i: any) => i.recordId)).toContain(results[0]!.recordId);
    expect(feed.items.every((i: any) => i.subject.uscc === undefined)).toBe(true);
  });

  it('a registration file completes the pending records its codes and names resolve, and refuses bad rows by line', async () => {
    const byCodeUscc = syntheticUscc(515_151, { region: '320583' });
    const byNameUscc = syntheticUscc(525_252, { region: '320583' });
    const byCode = (await push([pendingItem(500_002, '样例旧名称工厂', byCodeUscc.slice(8, 17))])).results[0]!.recordId;
    const byFormerName = (await push([pendingItem(500_003, '样例曾用名商贸公司')])).results[0]!.recordId;
    const csv = [
      '统一社会信用代码,企业名称,曾用名,行政区划代码',
      `${byCodeUscc},样例新名称制造有限公司,,320583`,
      `${byNameUscc},样例更名后商贸有限公司,样例曾用名商贸公司；样例更早名称,320583`,
      '91320583MA1XXXXXX1,校验码错误的公司,,320583',
      `${syntheticUscc(535_353)},,,`,
    ].join('\r\n');
    const file = join(scratchDir('registry-'), 'registration.csv');
    writeFileSync(file, iconv.encode(csv, 'gb18030'));
    // the command reads the gateway's configuration: the same destinations
    const configFile = writeConfigFile({ destinations: gw.config.destinations });
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx/esm', 'src/cli/registry-import.ts', file], {
      cwd: REPO_ROOT, env: { ...process.env, DATABASE_URL: gw.db.url, CONFIG_FILE: configFile, LOG_LEVEL: 'silent' }, timeout: 60_000,
    });
    expect(stdout).toMatch(/^line 4: refused: USCC: .*\(rule: uscc\)$/m);
    expect(stdout).toMatch(/^line 5: refused: the name is empty \(rule: name\)$/m);
    expect(stdout).toContain('rows: 4 learned: 2 refused: 2 completed records: 2');

    const completed = await record(byCode);
    expect(completed.pending).toBe(false);
    expect(completed.envelope.subject).toMatchObject({ uscc: byCodeUscc, orgCode: byCodeUscc.slice(8, 17), name: '样例旧名称工厂', kind: 'enterprise' });
    expect(completed.envelope.version).toBe(2);
    expect((await record(byFormerName)).envelope.subject.uscc).toBe(byNameUscc);
    await waitForOutboxDrained(gw.ctx.pool);
    expect(await eventTypesOf(gw, byCode, 'nat')).toEqual(['record.upserted']);
    const { rows: versions } = await gw.ctx.pool.query<{ actor: string }>('SELECT actor FROM record_versions WHERE record_id = $1 ORDER BY version', [byCode]);
    expect(versions.map((v) => v.actor)).toEqual(['anonymous', 'subject-registry']);
    // found by a former name too
    const former = await (await fetch(`${gw.url}/v1/subjects?name=${encodeURIComponent('样例更早名称')}`)).json() as any;
    expect(former.subjects.map((s: any) => s.uscc)).toEqual([byNameUscc]);
  });

  it('a name two registered subjects share resolves nothing: the record stays pending', async () => {
    const a = syntheticUscc(545_454, { region: '320583' });
    const b = syntheticUscc(555_555, { region: '320583' });
    await push([
      sampleRecordInput('admin_license', 545_454, { subject: { uscc: a, name: '样例同名有限公司' } }),
      sampleRecordInput('admin_license', 555_555, { subject: { uscc: b, name: '样例同名有限公司' } }),
    ]);
    const { results } = await push([pendingItem(500_004, '样例同名有限公司')]);
    expect((await record(results[0]!.recordId)).pending).toBe(true);
    const exact = await (await fetch(`${gw.url}/v1/subjects?name=${encodeURIComponent('样例同名有限公司')}`)).json() as any;
    expect(exact.subjects.map((s: any) => s.uscc).sort()).toEqual([a, b].sort());
  });

  // No foreign key checks these since migration 021: the store's writes keep them (this file's pushes,
  // updates, completions and registration import have all run by now).
  it('every name it learned belongs to a registered subject, and every record version to a record', async () => {
    const { rows } = await gw.ctx.pool.query<{ names: number; orphanNames: number; versions: number; orphanVersions: number }>(
      `SELECT (SELECT count(*) FROM subject_names)::int AS names,
              (SELECT count(*) FROM subject_names n WHERE NOT EXISTS (SELECT 1 FROM subjects s WHERE s.uscc = n.uscc))::int AS "orphanNames",
              (SELECT count(*) FROM record_versions)::int AS versions,
              (SELECT count(*) FROM record_versions v WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.record_id = v.record_id))::int AS "orphanVersions"`,
    );
    expect(rows[0]!.names).toBeGreaterThan(2);
    expect(rows[0]!.versions).toBeGreaterThan(5);
    expect(rows[0]).toMatchObject({ orphanNames: 0, orphanVersions: 0 });
  });
});
