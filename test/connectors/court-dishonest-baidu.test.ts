/**
 * 失信被执行人 from the search engine's open-data interface (court-dishonest/baidu-6899), end to end on
 * the real PostgreSQL and Kafka, with the real recorded rows (connectors/court-dishonest/fixtures/
 * baidu-6899: two whole answers of 2019 and 2021 and 27 rows of 2016) served in the interface's own
 * shape: offset paging by pn, 50 rows whatever rn asks, the last page an answer with "data":[].
 * Checked field by field against what the source said; organisations known only by a 组织机构代码 or a
 * masked USCC are stored pending and reach the national destination once the registry learns them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceNameOf, fixtureConnectorInstances, realRows } from '../../connectors/fixtures-server/fixture-data.js';
import { rowsOf, startFixtureSources, type FixtureSources } from '../../connectors/fixtures-server/server.js';
import { usccCheckChar } from '../../src/domain/uscc.js';
import { eventTypesOf, pushLicence, quarantineOf, recordBySourceKey, runConnectorOnce } from '../support/connector-runs.js';
import { readTopic, startTestGateway, type TestGateway } from '../support/env.js';

const NAME = instanceNameOf('court-dishonest/baidu-6899');
const SYSTEM = 'zxgk.court';
let src: FixtureSources;
let gw: TestGateway;
const rows = realRows().baidu;

beforeAll(async () => {
  src = await startFixtureSources();
  src.sets.baidu = rowsOf(rows);
  gw = await startTestGateway({
    // the recorded publication periods are long over: the hourly expiry job must not move records mid-test
    lifecycle: { expiryEnabled: false },
    connectors: { defaults: { backoffBaseMs: 10, perHostRatePerSecond: 1000 }, instances: fixtureConnectorInstances(src.url) },
  });
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
  await src?.close();
});

const topicOf = (dest: 'prov' | 'nat') => gw.config.destinations.find((d) => d.name === dest)!.topic;

describe('court-dishonest/baidu-6899 with the recorded answers', () => {
  it('reads every recorded row over the interface\'s pages and stores each, persons masked as published', async () => {
    expect(rows).toHaveLength(126);
    const run = await runConnectorOnce(gw, NAME);
    expect(run.state).toBe('succeeded');
    expect(run.pulled).toBe(126);
    expect(run.pages).toBe(4); // 50 + 50 + 26, then the empty answer
    expect(run.rejected).toBe(0);
    expect(await quarantineOf(gw, NAME)).toEqual([]);
    expect(src.requests.filter((r) => r.path === '/baidu/api.php').map((r) => r.params.pn)).toEqual(['0', '50', '100', '126']);

    // 2019 row: (2019)苏0321执1293号, a person
    const person = await recordBySourceKey(gw, SYSTEM, '(2019)苏0321执1293号|3203211990****1619');
    expect(person?.envelope).toMatchObject({
      category: 'dishonest_debtor', severity: 'severe', status: 'active', decidedAt: '2019-07-12', publishFrom: '2019-07-12',
      subject: { name: '王某某', kind: 'person', idNumber: '3203211990****1619', region: '320000' },
      data: {
        name: '王某某', partyType: '自然人', idNumberMasked: '3203211990****1619', caseNumber: '(2019)苏0321执1293号', court: '丰县人民法院',
        province: '江苏', basisDocumentNumber: '(2016)苏0321民初6059号', issuingUnit: '江苏省丰县人民法院', filingDate: '2019-03-07',
        performance: '全部未履行', behaviour: '有履行能力而拒不履行生效法律文书确定义务', publishDate: '2019-07-12',
      },
    });
    // 暂无 is no value; 有履行能力而拒不履行 has no fixed end
    expect(person!.envelope.data).not.toHaveProperty('performedPart');
    expect(person!.envelope.publishUntil).toBeNull();
  });

  it('keeps the masked layouts as published: 18 characters with a lower-case x, and the 19-character layout of 2016', async () => {
    const lowerX = await recordBySourceKey(gw, SYSTEM, '(2015)龙执字第00185号|3403021965****101X');
    expect(lowerX?.envelope.subject.idNumber).toBe('3403021965****101X');
    expect(lowerX?.envelope.data.idNumberMasked).toBe('3403021965****101X');
    const nineteen = rows.find((r) => typeof r.cardNum === 'string' && r.cardNum.length === 19)!;
    const stored = await recordBySourceKey(gw, SYSTEM, `${String(nineteen.caseCode)}|${String(nineteen.cardNum).toUpperCase()}`);
    expect(stored?.envelope.subject).toMatchObject({ kind: 'person', idNumber: String(nineteen.cardNum).toUpperCase() });
    expect(stored?.envelope.data.idNumberMasked).toHaveLength(19);
  });

  it('stores an organisation known only by its 组织机构代码 as pending: published to the provincial topic, held back from the national one', async () => {
    const org = await recordBySourceKey(gw, SYSTEM, '(2019)浙0111执286号|552698531');
    expect(org?.envelope.subject).toEqual({ name: '杭州富阳正旭有色金属有限公司', kind: 'other', region: '330000', orgCode: '552698531' });
    expect(org?.envelope.data).toMatchObject({ partyType: '法人或其他组织', orgCode: '552698531', legalRepresentative: '杜某某', filingDate: '2019-01-14' });
    expect(await eventTypesOf(gw, org!.recordId, 'prov')).toEqual(['record.upserted']);
    expect(await eventTypesOf(gw, org!.recordId, 'nat')).toEqual([]);
    const { rows: pending } = await gw.ctx.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM current_records WHERE pending');
    expect(pending[0]!.n).toBeGreaterThan(5);
    // a USCC masked as published names no one: the subject is kept by name, pending
    const masked = await recordBySourceKey(gw, SYSTEM, '(2019)晋0105执2007号|9114082306****333G');
    expect(masked?.envelope.subject).toEqual({ name: '山西立博房地产开发有限公司', kind: 'other', region: '140000' });
  });

  it('publishes the pending record to the national topic, with the USCC, once the registry learns the organisation code', async () => {
    const first17 = `91330183${'552698531'}`;
    const uscc = `${first17}${usccCheckChar(first17)}`;
    expect(await pushLicence(gw, {
      uscc, name: '杭州富阳正旭有色金属有限公司', key: 'registry-1', decidedAt: '2020-01-02', representative: '杜某某',
      permit: '排污许可证', number: '杭富环许〔2020〕1号', content: '排污许可', authority: '杭州市生态环境局富阳分局',
    })).toBe(200);
    const org = await recordBySourceKey(gw, SYSTEM, '(2019)浙0111执286号|552698531');
    expect(org?.envelope.subject).toMatchObject({ uscc, kind: 'enterprise', orgCode: '552698531', name: '杭州富阳正旭有色金属有限公司' });
    expect(org?.versions).toEqual(['created', 'updated']);
    expect(org?.envelope.version).toBe(2);
    const { rows: pendingNow } = await gw.ctx.pool.query<{ pending: boolean }>('SELECT pending FROM records WHERE record_id = $1', [org!.recordId]);
    expect(pendingNow[0]!.pending).toBe(false);
    expect(await eventTypesOf(gw, org!.recordId, 'nat')).toEqual(['record.upserted']);
    const national = await readTopic(topicOf('nat'), { until: (m) => m.some((x) => x.headers['record-id'] === org!.recordId), settleMs: 200 });
    const event = national.find((m) => m.headers['record-id'] === org!.recordId)!;
    expect(event.key).toBe(uscc);
    expect(event.value.record.subject.uscc).toBe(uscc);
    expect(event.headers['record-version']).toBe('2');
  });

  it('a second pass over the same answers changes nothing: the completed record stays completed', async () => {
    const run = await runConnectorOnce(gw, NAME);
    expect(run.state).toBe('succeeded');
    expect(run.created + run.updated).toBe(0);
    expect(run.unchanged).toBe(126);
  });
});
