/**
 * The real recorded rows of every source (connectors/<connector>/fixtures, provenance in each
 * connector's README) as fixture-server row sets, and connector instances that read them from a
 * fixture server.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as cheerio from 'cheerio';
import { REPO_ROOT } from '../../src/config/load.js';
import { rowsOf, type FixtureSets, type Row, type RowSet } from './server.js';

const file = (relative: string) => readFileSync(join(REPO_ROOT, 'connectors', relative), 'utf8');
const json = <T>(relative: string) => JSON.parse(file(relative)) as T;

/** Every recorded row, by source. */
export function realRows() {
  const baiduPage = (name: string) => json<{ data: Array<{ result: Row[] }> }>(`court-dishonest/fixtures/baidu-6899/${name}`).data[0]!.result;
  const wenshu = JSON.parse(json<string>('court-judgments/fixtures/wenshu/list-ListContent-2019.json')) as Row[];
  const $ = cheerio.load(file('shuanggongshi/fixtures/guangdong/xzxk-fields-2016-lower.xml'), { xml: true });
  return {
    baidu: [
      ...baiduPage('page-2019.json'), ...baiduPage('page-2021.json'),
      ...json<Row[]>('court-dishonest/fixtures/baidu-6899/rows-2016-a.json'), ...json<Row[]>('court-dishonest/fixtures/baidu-6899/rows-2016-b.json'),
    ],
    zxgk: ['detail-2014-person.json', 'detail-2014-unit.json', 'disDetailNew-2017-unit.json'].map((f) => json<Row>(`court-dishonest/fixtures/zxgk/${f}`)),
    wenshu: wenshu.slice(1),
    syscreditXzcf: json<{ rows: Row[] }>('shuanggongshi/fixtures/syscredit/xzcf-page.json').rows,
    syscreditXzxk: json<{ rows: Row[] }>('shuanggongshi/fixtures/syscredit/xzxk-page.json').rows,
    tianjinXzcf: json<Row[]>('shuanggongshi/fixtures/tianjin/xzcf-rows-2024-01.json'),
    guangdongXzxk: $('fields').get().map((el) => Object.fromEntries($(el).children().get().map((c) => [c.tagName, $(c).text()]))),
  };
}

/** The recorded rows as row sets (ccgp and the trading-centre list have none: see their READMEs). */
export function realSets(): FixtureSets {
  const r = realRows();
  const none = rowsOf<Record<string, string>>([]);
  return {
    baidu: rowsOf(r.baidu), zxgk: rowsOf(r.zxgk), wenshu: rowsOf(r.wenshu), syscreditXzcf: rowsOf(r.syscreditXzcf),
    syscreditXzxk: rowsOf(r.syscreditXzxk), tianjinXzcf: rowsOf(r.tianjinXzcf), guangdongXzxk: rowsOf(r.guangdongXzxk) as RowSet<Record<string, string>>,
    ccgp: none, ggzy: none,
  };
}

/** Where each source file's fixture source answers, below a fixture server's URL. */
export const FIXTURE_PATHS: Readonly<Record<string, string>> = Object.freeze({
  'court-dishonest/baidu-6899': '/baidu/api.php',
  'court-dishonest/zxgk-shixin': '/zxgk/shixin/searchSX.do',
  'court-judgments/wenshu-list': '/wenshu/List/ListContent',
  'shuanggongshi/syscredit-xzcf': '/syscredit/publicity/data_list.json',
  'shuanggongshi/syscredit-xzxk': '/syscredit/publicity/data_list.json',
  'shuanggongshi/tianjin-xzcf': '/tianjin/xygs/datalist.do',
  'shuanggongshi/guangdong-xzxk-2016': '/guangdong/exchange',
  'procurement/ccgp-cr-list': '/ccgp/cr/list',
  'bidding/ggzy-bad-records': '/ggzy/bad-records',
});

/** An instance name for a source file id: court-dishonest/baidu-6899 → court-dishonest-baidu-6899. */
export const instanceNameOf = (source: string) => source.replace('/', '-');

/** Connector instances reading every source file from a fixture server on `baseUrl` (enabled, on demand only). */
export function fixtureConnectorInstances(baseUrl: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return Object.fromEntries(Object.entries(FIXTURE_PATHS).map(([source, path]) => [
    instanceNameOf(source),
    { source, enabled: true, schedule: null, baseUrl: `${baseUrl}${path}`, ...(JURISDICTIONS[source] ? { region: JURISDICTIONS[source] } : {}), ...extra },
  ]));
}

/** The jurisdiction of fixture sources whose rows name no region (the generated trading centre is 昆山市's). */
const JURISDICTIONS: Readonly<Record<string, string>> = { 'bidding/ggzy-bad-records': '320583' };
