/**
 * The spine end to end on the real PostgreSQL and the real broker: a pushed batch is stored and
 * lands on Kafka with the right key, headers and value; a re-sent batch makes no message; an update
 * makes one version and one message per destination; routing follows config; reads and the feed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticUscc } from '../../src/domain/uscc.js';
import { sampleRecordInput } from '../../src/dev/sample-records.js';
import { readTopic, startTestGateway, waitForOutboxDrained, type TestGateway } from '../support/env.js';

let gw: TestGateway;
const prov = () => gw.config.destinations.find((d) => d.name === 'prov')!.topic;
const nat = () => gw.config.destinations.find((d) => d.name === 'nat')!.topic;

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(gw.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any, headers: res.headers };
}

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(gw.url + path, { headers });
  return { status: res.status, body: (await res.json()) as any, headers: res.headers };
}

const debtors = Array.from({ length: 10 }, (_, i) => sampleRecordInput('dishonest_debtor', 1000 + i));
const licenses = Array.from({ length: 10 }, (_, i) => sampleRecordInput('admin_license', 2000 + i));

beforeAll(async () => {
  gw = await startTestGateway();
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
});

describe('batch → PostgreSQL → outbox → Kafka', () => {
  it('stores a batch and publishes one message per record and destination, keyed by USCC, with the contract headers', async () => {
    const res = await post('/v1/records', { records: [...debtors, ...licenses] });
    expect(res.status).toBe(200);
    expect(res.body.summary).toEqual({ created: 20, updated: 0, unchanged: 0, rejected: 0 });
    expect(res.body.results.every((r: any) => r.status === 'created' && r.version === 1)).toBe(true);

    const provMsgs = await readTopic(prov(), { until: (m) => m.length >= 20, settleMs: 500 });
    expect(provMsgs).toHaveLength(20);
    const first = provMsgs.find((m) => m.value.record.source.key === debtors[0]!.source.key)!;
    expect(first.key).toBe(debtors[0]!.subject.uscc);
    expect(first.headers['event-type']).toBe('record.upserted');
    expect(first.headers['event-id']).toBe(first.value.eventId);
    expect(first.headers['record-id']).toBe(res.body.results[0].recordId);
    expect(first.headers['record-version']).toBe('1');
    expect(first.headers.schema).toBe('credit-record/v1');
    expect(first.headers['content-type']).toBe('application/json');
    expect(first.value.type).toBe('record.upserted');
    expect(first.value.record).toMatchObject({
      recordId: res.body.results[0].recordId,
      category: 'dishonest_debtor',
      polarity: 'negative',
      status: 'active',
      version: 1,
      subject: { uscc: debtors[0]!.subject.uscc },
    });
    expect(first.value.record.contentHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(gw.ctx.validator.validateEnvelope(first.value.record)).toEqual([]);

    // routing: "nat" takes dishonest_debtor but not admin_license
    const natMsgs = await readTopic(nat(), { until: (m) => m.length >= 10, settleMs: 500 });
    expect(natMsgs).toHaveLength(10);
    expect(new Set(natMsgs.map((m) => m.value.record.category))).toEqual(new Set(['dishonest_debtor']));
  });

  it('a re-sent batch is unchanged and makes no new message', async () => {
    const res = await post('/v1/records', { records: [...debtors, ...licenses] });
    expect(res.body.summary).toEqual({ created: 0, updated: 0, unchanged: 20, rejected: 0 });
    expect(await waitForOutboxDrained(gw.ctx.pool)).toBe(0);
    // The outbox is drained, so a message of the re-sent batch would already be on the topic; but
    // nothing marks the end of what the reader will get, so it watches for a bounded window after the
    // first 20 messages, failing as soon as a 21st shows up.
    const provMsgs = await readTopic(prov(), {
      until: (m) => m.length >= 20,
      settleMs: 1500,
      whileSettling: (m) => expect(m.length, 'the re-sent batch was published').toBe(20),
    });
    expect(provMsgs).toHaveLength(20);
    const { rows } = await gw.ctx.pool.query('SELECT count(*)::int AS n FROM record_versions');
    expect(rows[0].n).toBe(20);
  });

  it('a changed record makes exactly one new version and one message per destination with a higher record-version', async () => {
    const changed = structuredClone(debtors[3]!);
    const flipped = (changed.data as any).performance === '部分未履行' ? '全部未履行' : '部分未履行';
    (changed.data as any).performance = flipped;
    const res = await post('/v1/records', { records: [changed] });
    expect(res.body.results[0]).toMatchObject({ status: 'updated', version: 2 });
    const recordId = res.body.results[0].recordId;

    const provMsgs = await readTopic(prov(), { until: (m) => m.length >= 21, settleMs: 800 });
    const natMsgs = await readTopic(nat(), { until: (m) => m.length >= 11, settleMs: 800 });
    for (const msgs of [provMsgs, natMsgs]) {
      const forRecord = msgs.filter((m) => m.headers['record-id'] === recordId);
      expect(forRecord.map((m) => m.headers['record-version'])).toEqual(['1', '2']);
      expect(forRecord[1]!.value.record.data.performance).toBe(flipped);
      // same subject → same key → same partition, in order
      expect(forRecord[0]!.partition).toBe(forRecord[1]!.partition);
    }
    expect(provMsgs).toHaveLength(21);
    expect(natMsgs).toHaveLength(11);

    const one = await get(`/v1/records/${recordId}`);
    expect(one.status).toBe(200);
    expect(one.body.record.version).toBe(2);
    expect(one.body.versions.map((v: any) => [v.version, v.changeKind])).toEqual([[1, 'created'], [2, 'updated']]);
  });
});

describe('reads', () => {
  it('subject profile lists active records with counts; invalid code is a 400 naming the rule; unknown valid code is an empty 200', async () => {
    const uscc = debtors[0]!.subject.uscc!;
    const profile = await get(`/v1/subjects/${uscc}`);
    expect(profile.status).toBe(200);
    expect(profile.body.uscc).toBe(uscc);
    expect(profile.body.counts.total).toBeGreaterThanOrEqual(1);
    expect(profile.body.counts.byCategory.dishonest_debtor).toBeGreaterThanOrEqual(1);
    expect(profile.body.counts.byPolarity.negative).toBeGreaterThanOrEqual(1);

    const wrongCheck = uscc.slice(0, 17) + (uscc[17] === '0' ? '1' : '0');
    const bad = await get(`/v1/subjects/${wrongCheck}`, { 'accept-language': 'en' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(bad.body.code).toBe('GW_USCC_INVALID');
    expect(bad.body.errors[0].rule).toBe('uscc.check_digit');
    expect(bad.body.errors[0].message).toMatch(/check/i);

    const zh = await get(`/v1/subjects/${wrongCheck}`);
    expect(zh.body.title).toBe('统一社会信用代码不合法');

    const fullWidth = syntheticUscc(987_654).replace(/[0-9]/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0));
    const empty = await get(`/v1/subjects/${encodeURIComponent(fullWidth)}`);
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ uscc: syntheticUscc(987_654), counts: { total: 0 }, records: [] });
  });

  it('unknown record id is a 404 problem; malformed id is a 400', async () => {
    expect((await get('/v1/records/00000000-0000-5000-8000-000000000000')).body.code).toBe('GW_RECORD_NOT_FOUND');
    const bad = await get('/v1/records/not-a-uuid');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('GW_REQUEST_INVALID');
  });

  it('the change feed pages through everything without gaps or repeats, and a saved cursor returns only later changes', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await get(`/v1/records?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((r: any) => r.recordId));
      cursor = res.body.nextCursor;
      if (!res.body.hasMore) break;
    }
    expect(seen).toHaveLength(20);
    expect(new Set(seen).size).toBe(20);

    const nothing = await get(`/v1/records?limit=7&cursor=${cursor}`);
    expect(nothing.body.items).toEqual([]);

    const changed = structuredClone(licenses[5]!);
    (changed.data as any).XK_NR = '变更后的许可内容';
    await post('/v1/records', { records: [changed] });
    const later = await get(`/v1/records?limit=7&cursor=${cursor}`);
    expect(later.body.items.map((r: any) => r.source.key)).toEqual([licenses[5]!.source.key]);

    const filtered = await get(`/v1/records?category=admin_license&limit=100`);
    expect(filtered.body.items).toHaveLength(10);
    const misuse = await get(`/v1/records?category=dishonest_debtor&cursor=${filtered.body.nextCursor}`);
    expect(misuse.status).toBe(400);
    expect(misuse.body.code).toBe('GW_CURSOR_INVALID');
  });

  it('catalogue and schemas are served', async () => {
    const cat = await get('/v1/catalog');
    expect(cat.body.categories.map((c: any) => c.id)).toContain('dishonest_debtor');
    const schema = await get('/v1/schemas/categories/dishonest_debtor');
    expect(schema.status).toBe(200);
    expect(schema.body.type).toBe('object');
    expect((await get('/v1/schemas/nope')).body.code).toBe('GW_SCHEMA_NOT_FOUND');
  });

  it('operations endpoints: healthz, readyz with backlog, metrics, docs', async () => {
    expect((await get('/healthz')).body.status).toBe('ok');
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toMatchObject({ postgres: 'up', kafka: 'up' });
    expect(ready.body.outbox).toMatchObject({ backlog: expect.any(Number), oldestAgeSeconds: expect.any(Number) });
    const metrics = await (await fetch(gw.url + '/metrics')).text();
    expect(metrics).toMatch(/gateway_records_total\{result="created",origin="push"\} 20/);
    expect(metrics).toMatch(/gateway_outbox_backlog \d+/);
    expect(metrics).toMatch(/gateway_publish_latency_seconds_count \d+/);
    const doc = await get('/docs/json');
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toContain('/v1/records');
    expect(doc.body.components.schemas['record-input']).toBeDefined();
  });
});
