/**
 * `npm run source:try` — the command itself, run as an operator runs it, over real recorded answers
 * (connectors/<connector>/fixtures, provenance in each connector's README): one JSON line per record,
 * then `rows: N stored: N pending: N quarantined: N skipped: N`. It writes nothing: the database, the
 * broker and Redis it is given are a listening socket that counts connections, and none may arrive.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/config/load.js';

const fixture = (path: string) => join('connectors', path);

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  /** the JSON lines before the summary */
  lines: Array<Record<string, any>>;
  summary: string;
}

let trap: Server;
let connections = 0;
let trapPort = 0;

beforeAll(async () => {
  trap = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
  trapPort = (trap.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => trap.close(() => resolve()));
});

/** `npm run -s source:try -- <args>`, with every store it could write to pointing at the trap. */
function sourceTry(...args: string[]): Promise<Ran> {
  const env = {
    ...process.env,
    CONFIG_FILE: '',
    DATABASE_URL: `postgres://trap@127.0.0.1:${trapPort}/trap`,
    KAFKA_BROKERS: `127.0.0.1:${trapPort}`,
    REDIS_URL: `redis://127.0.0.1:${trapPort}`,
    LOG_LEVEL: 'silent',
  };
  return new Promise((resolve, reject) => {
    execFile('npm', ['run', '-s', 'source:try', '--', ...args], { cwd: REPO_ROOT, env, timeout: 60_000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      const out = stdout.trimEnd().split('\n').filter(Boolean);
      const summary = out.at(-1) ?? '';
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr, lines: out.slice(0, -1).map((l) => JSON.parse(l) as Record<string, any>), summary });
    });
  });
}

describe('npm run source:try over real recorded answers', () => {
  it('court-dishonest/baidu-6899 --file page-2019.json: 50 rows, persons stored with the number as published, organisations with a 组织机构代码 pending', async () => {
    const file = fixture('court-dishonest/fixtures/baidu-6899/page-2019.json');
    const raw = (JSON.parse(readFileSync(join(REPO_ROOT, file), 'utf8')) as { data: Array<{ result: Array<Record<string, string>> }> }).data[0]!.result;
    const ran = await sourceTry('court-dishonest/baidu-6899', '--file', file);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect(ran.summary).toBe('rows: 50 stored: 41 pending: 9 quarantined: 0 skipped: 0');
    expect(ran.lines).toHaveLength(50);
    for (const line of ran.lines) {
      expect(Object.keys(line)).toEqual(expect.arrayContaining(['page', 'sourceKey', 'outcome', 'record']));
      expect(line.page).toBe(1);
    }
    // each line is its source row, in the answer's order
    expect(ran.lines.map((l) => l.record.data.caseNumber)).toEqual(raw.map((r) => r.caseCode));
    expect(ran.lines.filter((l) => l.outcome === 'pending').every((l) => l.record.subject.kind === 'other' && !l.record.subject.uscc)).toBe(true);

    // row 0: an organisation known by its 组织机构代码 (55269853-1): pending
    const [org, person] = ran.lines;
    expect(raw[0]).toMatchObject({ iname: '杭州富阳正旭有色金属有限公司', cardNum: '55269853-1', partyTypeName: '1', regDate: '20190114', publishDate: '2019年07月13日' });
    expect(org).toMatchObject({
      sourceKey: '(2019)浙0111执286号|552698531', outcome: 'pending',
      record: {
        category: 'dishonest_debtor', severity: 'severe', decidedAt: '2019-07-13',
        subject: { name: '杭州富阳正旭有色金属有限公司', kind: 'other', orgCode: '552698531', region: '330000' },
        source: { system: 'zxgk.court', key: '(2019)浙0111执286号|552698531' },
        data: { orgCode: '552698531', legalRepresentative: '杜某某', court: '杭州市富阳区人民法院', filingDate: '2019-01-14', publishDate: '2019-07-13', partyType: '法人或其他组织' },
      },
    });
    // row 1: a natural person, the number masked as published
    expect(raw[1]).toMatchObject({ iname: '张某某', cardNum: '3208191960****6833', partyTypeName: '0', regDate: '20190613' });
    expect(person).toMatchObject({
      sourceKey: '(2019)苏0113执1400号|3208191960****6833', outcome: 'stored',
      record: {
        subject: { name: '张某某', kind: 'person', idNumber: '3208191960****6833', region: '320000' },
        data: { idNumberMasked: '3208191960****6833', court: '南京市栖霞区人民法院', filingDate: '2019-06-13', partyType: '自然人' },
      },
    });
    expect(connections).toBe(0);
  });

  it('shuanggongshi/guangdong-xzxk-2016-upper --file xzxk-fields-2016-upper.xml: the upper-case 2016 field set, stored', async () => {
    const ran = await sourceTry('shuanggongshi/guangdong-xzxk-2016-upper', '--file', fixture('shuanggongshi/fixtures/guangdong/xzxk-fields-2016-upper.xml'));
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect(ran.summary).toBe('rows: 1 stored: 1 pending: 0 quarantined: 0 skipped: 0');
    expect(ran.lines).toEqual([{
      page: 1, sourceKey: '00261|6528231975****3113', outcome: 'stored',
      record: expect.objectContaining({
        category: 'admin_license', decidedAt: '2016-08-04',
        subject: { name: '朱某某', kind: 'person', idNumber: '6528231975****3113', region: '440000' },
        source: { system: 'sgs.xzxk-gd', key: '00261|6528231975****3113' },
        data: {
          XK_XDR_MC: '朱某某', XK_XDR_LB: '自然人', XK_XDR_ZJLX: '身份证', XK_XDR_ZJHM: '6528231975****3113',
          XK_XKWS: '专职律师执业许可', XK_WSH: '00261', XK_XKLB: '核准', XK_NR: '审批通过：准予 朱某某 专职律师执业许可',
          XK_JDRQ: '2016-08-04', XK_YXQZI: '2099-12-31', XK_XKJG: '广东省司法厅', XK_ZT: '1',
        },
      }),
    }]);
    expect(connections).toBe(0);
  });

  it('court-dishonest/zxgk-shixin --file the 综合查询 list: its 被执行人 rows are quarantined as rows of another list, with one rule', async () => {
    const ran = await sourceTry('court-dishonest/zxgk-shixin', '--file', fixture('court-dishonest/fixtures/zxgk/zhzxgk-searchZhcx-list-2019.json'));
    expect(ran.code).toBe(0);
    expect(ran.summary).toBe('rows: 10 stored: 0 pending: 0 quarantined: 10 skipped: 0');
    for (const line of ran.lines) {
      expect(line).toMatchObject({ outcome: 'quarantined', rules: ['source.other_list'], record: null });
      expect(line.errors).toEqual([expect.objectContaining({ rule: 'source.other_list', en: expect.stringContaining('zhzxgk/searchZhcx.do') })]);
    }
    expect(connections).toBe(0);
  });

  it('--rows reads a file of bare rows (a detail answer: one row); a whole answer given as --rows is refused', async () => {
    const ran = await sourceTry('court-dishonest/zxgk-shixin', '--rows', fixture('court-dishonest/fixtures/zxgk/detail-2014-unit.json'));
    expect(ran.code).toBe(0);
    expect(ran.summary).toBe('rows: 1 stored: 0 pending: 1 quarantined: 0 skipped: 0');
    expect(ran.lines).toEqual([expect.objectContaining({
      sourceKey: '(2014)广法执字第00232号|680926658', outcome: 'pending',
      record: expect.objectContaining({ subject: { name: '广昌青湖钢厂', kind: 'other', orgCode: '680926658', region: '360000' }, decidedAt: '2014-12-11' }),
    })]);

    const refused = await sourceTry('court-dishonest/zxgk-shixin', '--rows', fixture('court-dishonest/fixtures/zxgk/zhzxgk-searchZhcx-list-2019.json'));
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/--rows: .* is a whole answer of the source \(its rows at "0\.result"\), not bare rows: read it with --file/);
    expect(connections).toBe(0);
  });
});
