/**
 * The declarative source engine, piece by piece: source files checked, pages read (JSON, JSONP,
 * double-encoded, HTML inside layout tables, XML), paging with no silent partial pass (pages,
 * offsets, links, cursors), requests built, values read, subjects' codes read for what they are,
 * rows of another list told apart.
 */
import { describe, expect, it } from 'vitest';
import { buildRequest } from '../../src/connectors/declarative/build-request.js';
import { partyNamesIn } from '../../src/connectors/declarative/hooks.js';
import { checkSourceSpec, sourceSpecs, SourceSpecError } from '../../src/connectors/declarative/load-specs.js';
import { knownFields, mapSourceRow } from '../../src/connectors/declarative/map-row.js';
import { declarativeSource } from '../../src/connectors/declarative/declarative-source.js';
import { firstCursor, nextCursor, pagingParams, PassError } from '../../src/connectors/declarative/paging.js';
import { PageShapeError, readPage } from '../../src/connectors/declarative/read-page.js';
import { readValue } from '../../src/connectors/declarative/read-value.js';
import type { SourceSpec } from '../../src/connectors/declarative/spec.js';
import type { FetchedText, SourceHttpClient, SourceRequest } from '../../src/connectors/http-client.js';
import type { MapEnv, PageCursor } from '../../src/connectors/types.js';

const base = {
  title: 't', category: 'dishonest_debtor', system: 'test.src', listing: 'complete',
  request: {}, paging: { kind: 'page', param: 'page' }, response: { format: 'json' }, rows: { path: 'rows' },
  record: { key: ['k'], subject: { name: 'n' }, decidedAt: { from: 'd', parse: 'date' }, data: {} },
};
const spec = (over: Record<string, unknown> = {}): SourceSpec => checkSourceSpec({ ...base, ...over }, 'test');
const env: MapEnv = { system: 'test.src', fetchedAt: '2026-01-01T00:00:00Z', pageUrl: 'http://s/', config: { source: 'test/inline', enabled: true, schedule: null, baseUrl: 'http://s/', auth: { type: 'none' } } };

describe('source files', () => {
  it('every file under connectors/ is valid', () => {
    expect([...sourceSpecs().keys()]).toEqual(expect.arrayContaining(['court-dishonest/baidu-6899', 'court-dishonest/zxgk-shixin', 'court-judgments/wenshu-list', 'shuanggongshi/tianjin-xzcf']));
  });

  it('names the place and rule of each problem, schema rules and the rules a schema cannot say', () => {
    const problems = (over: Record<string, unknown>) => {
      try {
        spec(over);
        return [];
      } catch (err) {
        expect(err).toBeInstanceOf(SourceSpecError);
        return (err as SourceSpecError).problems;
      }
    };
    expect(problems({ listing: 'sometimes' })).toEqual([expect.stringMatching(/^\/listing: .*\(rule: enum\)/)]);
    expect(problems({ category: 'no_such' })).toEqual([expect.stringMatching(/unknown category "no_such" \(rule: category\)/)]);
    expect(problems({ record: { ...base.record, data: { nme: 'x' } } })).toEqual([expect.stringMatching(/^\/record\/data\/nme: the dishonest_debtor schema has no data field "nme" \(rule: data_field\)/)]);
    expect(problems({ rows: {} })).toEqual([expect.stringMatching(/a JSON source needs rows.path/)]);
    expect(problems({ paging: { kind: 'page' } })).toEqual([expect.stringMatching(/page paging needs paging.param/)]);
    expect(problems({ paging: { kind: 'link', next: { selector: 'a' } } })).toEqual([expect.stringMatching(/link paging needs paging.next and an HTML source/)]);
    expect(problems({ hook: 'nope' })).toEqual([expect.stringMatching(/no hook named "nope"/)]);
    expect(problems({ record: { ...base.record, publishUntil: { from: 'x', parse: 'banEnd' } } })).toEqual([expect.stringMatching(/banEnd needs since/)]);
  });
});

describe('reading a page', () => {
  it('JSON: JSONP taken off, the first present rows path, an empty data array as the last page', () => {
    const s = spec({ response: { format: 'json', jsonp: true }, rows: { path: ['data.0.result', 'data.0.disp_data'], emptyWhen: 'data' } });
    expect(readPage(s, '/**/jQuery1_2({"data":[{"disp_data":[{"a":1}]}]});', 'u').rows).toEqual([{ a: 1 }]);
    expect(readPage(s, '{"data":[{"result":[{"a":2}],"disp_data":[]}]}', 'u').rows).toEqual([{ a: 2 }]);
    expect(readPage(s, '/**/cb({"status":"0","data":[]});', 'u').rows).toEqual([]);
    expect(() => readPage(s, '{"data":[{"other":[]}]}', 'u')).toThrow(PageShapeError);
    expect(() => readPage(s, '<html>busy</html>', 'u')).toThrow(/not the JSON its source file describes/);
  });

  it('JSON: a double-encoded answer, a header element skipped, the total read as a number from a string', () => {
    const s = spec({ response: { format: 'json', jsonString: true }, rows: { path: '.', skip: 1 }, paging: { kind: 'page', param: 'Index', total: { path: '0.Count', of: 'rows' } } });
    const reading = readPage(s, JSON.stringify(JSON.stringify([{ RunEval: 'x', Count: '12,345' }, { a: 1 }, { a: 2 }])), 'u');
    expect(reading).toEqual({ rows: [{ a: 1 }, { a: 2 }], total: 12345 });
  });

  const layout = `<html><body><table><tr><td>导航</td></tr><tr><td>
    <table class="list"><tr><td> 项目 名称 </td><td>不良行为内容</td><td>当事人</td></tr>
      <tr><td>工程一</td><td title="完整的不良行为内容，页面上截短">完整的…</td><td>甲公司</td></tr>
      <tr><td colspan="3">暂无记录</td></tr>
      <tr><td>工程二</td><td><p title="第二条完整内容">第二条…</p></td><td>乙公司</td></tr>
    </table></td></tr>
    <tr><td>共 3 页 <a href="javascript:goPage(2)">下一页</a></td></tr></table></body></html>`;

  it('HTML: the innermost table with the headings, not the layout table; titles over cut texts; spacer rows left out', () => {
    const s = spec({
      response: { format: 'html' }, rows: { headings: ['项目名称', '不良行为内容'] },
      paging: { kind: 'link', param: 'page', next: { selector: "a:contains('下一页')", javascript: 'goPage\\((\\d+)\\)' }, total: { regex: '共\\s*(\\d+)\\s*页', of: 'pages' } },
    });
    const reading = readPage(s, layout, 'http://s/list');
    expect(reading.rows).toEqual([
      { 项目名称: '工程一', 不良行为内容: '完整的不良行为内容，页面上截短', 当事人: '甲公司' },
      { 项目名称: '工程二', 不良行为内容: '第二条完整内容', 当事人: '乙公司' },
    ]);
    expect(reading.total).toBe(3);
    expect(reading.nextLink).toEqual({ page: 2 });
    const noScript = spec({ response: { format: 'html' }, rows: { headings: ['项目名称'] }, paging: { kind: 'link', next: { selector: 'a' } } });
    expect(readPage(noScript, layout, 'http://s/list').nextLink).toEqual({ unfollowable: 'javascript:goPage(2)' });
    const plain = layout.replace('javascript:goPage(2)', '?page=2');
    expect(readPage(noScript, plain, 'http://s/list').nextLink).toEqual({ url: 'http://s/list?page=2' });
    expect(() => readPage(spec({ response: { format: 'html' }, rows: { headings: ['处罚结果'] } }), layout, 'u')).toThrow(/no rows table on the page/);
  });

  it('XML: each row element, its children the fields', () => {
    const s = spec({ response: { format: 'xml' }, rows: { element: 'fields' }, paging: { kind: 'none' } });
    expect(readPage(s, '<m><Body><fields><xk_wsh>1</xk_wsh><bz></bz></fields><fields><xk_wsh>2</xk_wsh></fields></Body></m>', 'u').rows)
      .toEqual([{ xk_wsh: '1', bz: '' }, { xk_wsh: '2' }]);
  });
});

describe('paging: where the pass goes next, and no silent partial pass', () => {
  const rows = (n: number) => ({ rows: Array.from({ length: n }, (_, i) => ({ i })) });
  const page = (over: Record<string, unknown>) => spec({ paging: { kind: 'page', param: 'p', ...over } }).paging;

  it('page numbers until the stated total is read; the cursor carries the count', () => {
    const paging = page({ total: { path: 'total', of: 'rows' } });
    const c0 = firstCursor(paging);
    expect(c0).toEqual({ seen: 0, page: 1 });
    const c1 = nextCursor(paging, c0, { ...rows(10), total: 25 }, 10, 'a');
    expect(c1).toEqual({ seen: 10, last: 'a', page: 2 });
    const c2 = nextCursor(paging, c1!, { ...rows(10), total: 25 }, 10, 'b');
    expect(nextCursor(paging, c2!, { ...rows(5), total: 25 }, 10, 'c')).toBeNull();
  });

  it('fails a listing that ends short of its total, a source that caps the page size, and one that repeats a page', () => {
    const paging = page({ total: { path: 'total', of: 'rows' } });
    expect(() => nextCursor(paging, { seen: 20, page: 3 }, { ...rows(0), total: 25 }, 10, 'x')).toThrow(/short of the 25 rows it states/);
    expect(() => nextCursor(paging, { seen: 0, page: 1 }, { ...rows(6), total: 25 }, 10, 'x')).toThrow(/caps its page size — set pageSize to at most 6/);
    expect(() => nextCursor(page({}), { seen: 10, page: 2, last: 'same' }, rows(10), 10, 'same')).toThrow(PassError);
  });

  it('a total that is not a count (binding: false) does not hold the pass: an empty page ends it', () => {
    const paging = page({ total: { path: 'total', of: 'rows', binding: false } });
    expect(nextCursor(paging, { seen: 100, page: 3 }, { ...rows(0), total: 200000 }, 50, 'x')).toBeNull();
    expect(nextCursor(page({}), { seen: 0, page: 1 }, rows(3), 10, 'x')).toEqual({ seen: 3, last: 'x', page: 2 });
  });

  it('offsets move by the rows received; page counts end the pass at the last page', () => {
    const offset = spec({ paging: { kind: 'offset', param: 'pn', start: 0 } }).paging;
    expect(nextCursor(offset, { seen: 0, offset: 0 }, rows(50), 10, 'x')).toEqual({ seen: 50, last: 'x', offset: 50 });
    const pages = page({ total: { path: 't', of: 'pages' } });
    expect(nextCursor(pages, { seen: 0, page: 1 }, { ...rows(20), total: 2 }, undefined, 'a')).toEqual({ seen: 20, last: 'a', page: 2 });
    expect(nextCursor(pages, { seen: 20, page: 2 }, { ...rows(20), total: 2 }, undefined, 'b')).toBeNull();
    expect(() => nextCursor(pages, { seen: 20, page: 2 }, { ...rows(0), total: 3 }, undefined, 'b')).toThrow(/short of the 3 pages/);
  });

  it('links: followed by URL or by the page number a javascript: link names; an unfollowable one fails the pass', () => {
    const link = spec({ response: { format: 'html' }, rows: { headings: ['a'] }, paging: { kind: 'link', param: 'page', next: { selector: 'a' }, total: { regex: '(\\d+)', of: 'pages' } } }).paging;
    expect(nextCursor(link, { seen: 0, page: 1 }, { ...rows(5), nextLink: { url: 'http://s/2' } }, undefined, 'a')).toEqual({ seen: 5, last: 'a', page: 2, url: 'http://s/2' });
    expect(nextCursor(link, { seen: 0, page: 1 }, { ...rows(5), nextLink: { page: 7 } }, undefined, 'a')).toEqual({ seen: 5, last: 'a', page: 7 });
    expect(() => nextCursor(link, { seen: 0, page: 1 }, { ...rows(5), nextLink: { unfollowable: 'javascript:void(0)' } }, undefined, 'a')).toThrow(/cannot be followed \(javascript:void\(0\)\)/);
    expect(() => nextCursor(link, { seen: 5, page: 2 }, { ...rows(5), total: 5, nextLink: null }, undefined, 'b')).toThrow(/short of the 5 pages/);
  });
});

describe('cursor paging: a token from each page names the next', () => {
  const cursorSpec = (over: Record<string, unknown> = {}) => spec({ paging: { kind: 'cursor', param: 'after', cursorPath: 'next', sizeParam: 'size', ...over } });
  const rows = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ k: from + i }));

  it('the first page is asked without a token, each next one with the token the page before gave, until a page gives none', async () => {
    const s = cursorSpec();
    // the answers of a source that pages by token (the test's own: no recorded cursor source exists)
    const answers: Record<string, string> = {
      '': JSON.stringify({ rows: rows(2), next: 'b64:Ag==' }),
      'b64:Ag==': JSON.stringify({ rows: rows(2, 2), next: 7 }),
      '7': JSON.stringify({ rows: rows(1, 4), next: null }),
    };
    const asked: string[] = [];
    const http = {
      async fetchText(req: SourceRequest): Promise<FetchedText> {
        asked.push(req.url);
        const token = new URL(req.url).searchParams.get('after') ?? '';
        return { url: req.url, status: 200, contentType: 'application/json', charset: 'utf-8', text: answers[token]!, attempts: 1 };
      },
    } as unknown as SourceHttpClient;
    const config = { ...env.config, baseUrl: 'http://s/list', pageSize: 2 };
    const source = declarativeSource('test/cursor', s);
    let cursor: PageCursor | null = source.firstCursor(config);
    expect(cursor).toEqual({ seen: 0 });
    const pages: unknown[][] = [];
    while (cursor) {
      const page = await source.fetchPage({ http, config }, cursor);
      pages.push(page.rows);
      cursor = page.next;
    }
    expect(asked).toEqual(['http://s/list?size=2', 'http://s/list?size=2&after=b64%3AAg%3D%3D', 'http://s/list?size=2&after=7']);
    // a short page (1 of 2) is no cap and no end by itself for a cursor: the token decides
    expect(pages).toEqual([rows(2), rows(2, 2), rows(1, 4)]);
  });

  it('the cursor carries the token (a number read as text) and the count; no token, an empty token or an empty page ends the pass', () => {
    const { paging } = cursorSpec();
    const c1 = nextCursor(paging, { seen: 0 }, readPage(cursorSpec(), '{"rows":[{"k":0},{"k":1}],"next":42}', 'u'), 2, 'a');
    expect(c1).toEqual({ seen: 2, last: 'a', token: '42' });
    expect(readPage(cursorSpec(), '{"rows":[{"k":2}],"next":""}', 'u').nextToken).toBeUndefined();
    expect(nextCursor(paging, c1!, { rows: rows(1, 2) }, 2, 'b')).toBeNull();
    expect(nextCursor(paging, c1!, { rows: [], nextToken: 'more' }, 2, 'b')).toBeNull();
    expect(pagingParams(paging, c1!, 2)).toEqual({ params: { size: 2, after: '42' } });
  });

  it('with a stated total: a page without a token, or an empty page, before the total fails the pass; at the total it ends', () => {
    const { paging } = cursorSpec({ total: { path: 'total', of: 'rows' } });
    expect(readPage(cursorSpec({ total: { path: 'total', of: 'rows' } }), '{"rows":[],"total":"1,024","next":"t"}', 'u')).toEqual({ rows: [], total: 1024, nextToken: 't' });
    expect(() => nextCursor(paging, { seen: 2, token: 't' }, { rows: rows(2), total: 10 }, 2, 'x')).toThrow(/short of the 10 rows it states/);
    expect(() => nextCursor(paging, { seen: 2, token: 't' }, { rows: [], total: 10, nextToken: 'u' }, 2, 'x')).toThrow(/short of the 10 rows it states/);
    expect(nextCursor(paging, { seen: 8, token: 't' }, { rows: rows(2), total: 10, nextToken: 'u' }, 2, 'x')).toBeNull();
    expect(nextCursor(paging, { seen: 2, token: 't' }, { rows: rows(1), total: 10, nextToken: 'u' }, 2, 'x')).toEqual({ seen: 3, last: 'x', token: 'u' });
  });

  it('a source that answers the next token with the same rows again fails the pass', () => {
    const { paging } = cursorSpec();
    expect(() => nextCursor(paging, { seen: 2, token: 't', last: 'same' }, { rows: rows(2), nextToken: 'u' }, 2, 'same'))
      .toThrow(/answered the page after the last token with the same 2 rows/);
  });
});

describe('requests', () => {
  it('GET with the paging in the query; POST with it in the form or the JSON body', () => {
    const get = spec({ request: { query: { q: '失信' } }, paging: { kind: 'offset', param: 'pn', start: 0, sizeParam: 'rn' } });
    const request = buildRequest(get, 'http://s/api.php', { offset: 50 }, 50);
    expect(request.method).toBe('GET');
    expect(Object.fromEntries(new URL(request.url).searchParams)).toEqual({ q: '失信', pn: '50', rn: '50' });
    const form = spec({ request: { method: 'POST', body: 'form', form: { pProvince: '0' } }, paging: { kind: 'page', in: 'form', param: 'currentPage' } });
    expect(buildRequest(form, 'http://s/list', { page: 3 }, undefined)).toEqual({
      method: 'POST', url: 'http://s/list', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: 'pProvince=0&currentPage=3',
    });
    const json = spec({ request: { method: 'POST', body: 'json', json: { filter: { a: 1 } } }, paging: { kind: 'page', in: 'json', param: 'pageNum', sizeParam: 'pageSize' } });
    expect(JSON.parse(buildRequest(json, 'http://s/q', { page: 2 }, 20).body!)).toEqual({ filter: { a: 1 }, pageNum: 2, pageSize: 20 });
  });
});

describe('values', () => {
  it('maps codes, and an unknown code is an error and an issue', () => {
    const v = { from: 'partyTypeName', map: { '0': 'person', '1': 'organisation' } };
    expect(readValue(v, { partyTypeName: '1' })).toEqual({ ok: true, value: 'organisation' });
    const unknown = readValue(v, { partyTypeName: '7' });
    expect(unknown).toMatchObject({ ok: false, error: { pointer: '/partyTypeName', rule: 'source.unknown_code' }, issue: { kind: 'unknown_code', field: 'partyTypeName', value: '7' } });
  });

  it('empty markers are absent; required ones are an error; byKind, match, template, placeholders, amounts', () => {
    expect(readValue('x', { x: '暂无' })).toEqual({ ok: true, value: undefined });
    expect(readValue({ from: 'x', required: true }, { x: '—' })).toMatchObject({ ok: false, error: { rule: 'source.required' } });
    expect(readValue({ byKind: { person: '自然人' } }, {}, 'person')).toEqual({ ok: true, value: '自然人' });
    expect(readValue({ from: 'n', match: '(判决书|裁定书)$' }, { n: '某某案行政判决书' })).toEqual({ ok: true, value: '判决书' });
    expect(readValue({ template: '{a}|{b|c}' }, { a: '1', c: '3' })).toEqual({ ok: true, value: '1|3' });
    expect(readValue({ from: 'code', placeholders: 'warn' }, { code: '00000000000000000X' })).toMatchObject({ ok: true, value: undefined, warning: { rule: 'value.placeholder_code' } });
    expect(readValue({ from: 'fk', parse: 'amount', unit: '万元', into: '万元' }, { fk: 0.2 })).toEqual({ ok: true, value: 0.2 });
    expect(readValue({ from: 'fk', parse: 'amount', unit: '万元', into: '万元' }, { fk: '2000元' })).toMatchObject({ ok: false, error: { rule: 'value.amount_unit_conflict' } });
    expect(readValue({ from: 'r', parse: 'banEnd', since: 'd' }, { r: '一年内禁止参加政府采购活动', d: '2024-03-15' })).toEqual({ ok: true, value: '2025-03-15' });
    expect(readValue({ from: 'p', parse: 'province' }, { p: '广西' })).toEqual({ ok: true, value: '450000' });
  });
});

describe('subjects read from a row', () => {
  const s = spec({
    record: {
      key: ['k'], subject: { name: 'n', kind: { from: 't', map: { '0': 'person', '1': 'organisation' } }, code: 'c', region: { from: 'p', parse: 'province' } },
      decidedAt: { from: 'd', parse: 'date' }, data: {},
    },
  });
  const map = (row: Record<string, unknown>) => mapSourceRow(s, { k: 'key', n: '某甲', d: '2019年07月13日', p: '江苏', ...row }, env, knownFields(s))[0]!;

  it('persons keep their number masked as published, in every published layout', () => {
    for (const [code, kept] of [['3203211990****1619', '3203211990****1619'], ['3403021965****101x', '3403021965****101X'], ['41072619780****1211', '41072619780****1211']]) {
      const r = map({ t: '0', c: code });
      expect(r.ok && r.input.subject).toEqual({ name: '某甲', kind: 'person', idNumber: kept, region: '320000' });
    }
  });

  it('a person without a readable number is refused without quoting what the source sent', () => {
    const r = map({ t: '0', c: '3203211990123' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([expect.objectContaining({ rule: 'source.subject_id', pointer: '/c' })]);
    expect(JSON.stringify(r.errors)).not.toContain('3203211990123');
  });

  it('organisations: a USCC, a 组织机构代码 with or without its hyphen, or — masked or unreadable — the name alone (pending)', () => {
    const uscc = map({ t: '1', c: '91230500MA1B3N1N2M' });
    expect(uscc.ok && uscc.input.subject).toEqual({ name: '某甲', uscc: '91230500MA1B3N1N2M', region: '320000' });
    const org = map({ t: '1', c: '55269853-1' });
    expect(org.ok && org.input.subject).toEqual({ name: '某甲', orgCode: '552698531', kind: 'other', region: '320000' });
    const masked = map({ t: '1', c: '9114082306****333G' });
    expect(masked.ok && masked.input.subject).toEqual({ name: '某甲', kind: 'other', region: '320000' });
    const unreadable = map({ t: '1', c: 'ABC' });
    expect(unreadable.ok && unreadable.issues).toContainEqual({ kind: 'value_warning', field: 'c', value: 'source.subject_code' });
  });

  it('counts every field it neither reads nor ignores', () => {
    const r = map({ t: '0', c: '3203211990****1619', extra: 'x' });
    expect(r.issues).toContainEqual({ kind: 'unknown_field', field: 'extra' });
  });
});

describe('rows of another list (otherLists)', () => {
  const s = spec({
    otherLists: [{ has: ['pname', 'caseCreateTime'], list: '综合查询', why: { zh: '不是本名单的条目', en: 'not an entry of this list' } }],
  });

  it('a row with every field an other list names is quarantined with one rule saying which list, not read as this list', () => {
    const r = mapSourceRow(s, { caseCode: '(2017)京03执644号', pname: '贾某某', caseCreateTime: { time: 1501689600000 } }, env, knownFields(s));
    expect(r).toEqual([{ ok: false, errors: [expect.objectContaining({ rule: 'source.other_list', pointer: '' })], issues: [] }]);
    const [result] = r;
    expect(result!.ok === false && result!.errors[0]!.en).toBe('the source row is an entry of another list ("综合查询"), not of this source\'s list: not an entry of this list');
  });

  it('a row with only some of them is read as this list', () => {
    const r = mapSourceRow(s, { k: 'key', n: '某甲公司', d: '2019-07-13', pname: 'x' }, env, knownFields(s))[0]!;
    expect(r.ok).toBe(true);
  });

  it('the file must say which list and why, in both languages', () => {
    expect(() => spec({ otherLists: [{ has: ['pname'], list: '综合查询', why: { zh: '不是' } }] })).toThrow(/\/otherLists\/0\/why.*rule: required/);
  });
});

describe('government parties in a case name (hook government-parties)', () => {
  it('finds the organ a fragment begins with, and leaves out case words', () => {
    expect(partyNamesIn('李某与某某市人民政府土地行政登记纠纷上诉案')).toEqual(['李某', '某某市人民政府']);
    expect(partyNamesIn('王某某不服某某市公安局治安行政处罚决定案')).toEqual(['王某某', '某某市公安局']);
    expect(partyNamesIn('原告：某某公司；被告：某某县住房和城乡建设局、某某县人民政府')).toEqual(['某某公司', '某某县住房和城乡建设局', '某某县人民政府']);
    expect(partyNamesIn('王某某犯挪用公款罪刑事决定书')).toEqual(['王某某犯挪用公款罪刑事决定书']);
  });
});
