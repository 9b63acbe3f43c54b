/**
 * A round's events for one subject all go to one partition (one key). A round of 1,000 such events of
 * about 2 KB each is a 2 MB batch for that partition, over the broker's message.max.bytes (1 MiB): the
 * broker refused it whole ("The request included a message larger than the max message size the server
 * will accept"), and the relay failed the same round again forever. The relay sends a round in
 * requests of at most relay.maxRequestBytes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleRecordInput } from '../../src/dev/sample-records.js';
import { syntheticUscc } from '../../src/domain/uscc.js';
import { requestsOf, type RoundMessage } from '../../src/publish/relay.js';
import { readTopic, startTestGateway, testDestinations, uniqueName, waitForOutboxDrained, type TestGateway } from '../support/env.js';
import { httpClient } from '../support/http-client.js';

const RECORDS = 1000;
const destinations = testDestinations(uniqueName('size')).slice(0, 1);
let gw: TestGateway;
const { post } = httpClient(() => gw.url);

beforeAll(async () => {
  gw = await startTestGateway({ destinations, relay: { batchSize: RECORDS, idleIntervalMs: 20 } });
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
});

describe('relay requests and the broker\'s message size limit', () => {
  it(`publishes ${RECORDS} events of one subject (one partition, ~2 MB) written in one transaction`, async () => {
    const uscc = syntheticUscc(8_800_001);
    const text = '当事人违反《中华人民共和国广告法》第二十八条规定，发布虚假广告，'.repeat(18); // ~1 KB of UTF-8
    const records = Array.from({ length: RECORDS }, (_, i) =>
      sampleRecordInput('admin_penalty', 8_800_000 + i, { subject: { uscc, name: '样例广告传媒有限公司' }, data: { CF_SY: text } } as never));
    const res = await post('/v1/records', { records });
    expect(res.status, JSON.stringify(res.body).slice(0, 500)).toBe(200);
    expect(res.body.summary.rejected, JSON.stringify(res.body.results.find((r: { status: string }) => r.status === 'rejected'))).toBe(0);
    expect(await waitForOutboxDrained(gw.ctx.pool, 60_000)).toBe(0);
    const msgs = await readTopic(destinations[0]!.topic, { until: (m) => m.length >= RECORDS, timeoutMs: 30_000, settleMs: 300 });
    expect(new Set(msgs.map((m) => m.headers['record-id'])).size).toBe(RECORDS);
    expect(new Set(msgs.map((m) => m.key))).toEqual(new Set([uscc]));
    const bytes = msgs.reduce((sum, m) => sum + Buffer.byteLength(JSON.stringify(m.value)), 0);
    expect(bytes, 'the events together pass the broker\'s 1 MiB per partition batch').toBeGreaterThan(1_100_000);
  }, 120_000);

  it('cuts a round into requests of at most the limit, in order; a message over it goes alone', () => {
    const message = (id: number, valueBytes: number): RoundMessage => ({
      topic: 't', writtenAt: new Date(0), message: { key: 'k', value: 'x'.repeat(valueBytes), headers: { 'event-id': String(id) } },
    });
    const round = [message(1, 400), message(2, 400), message(3, 400), message(4, 3000), message(5, 100)];
    const requests = requestsOf(round, 1000);
    expect(requests.map((r) => r.map((m) => m.message.headers!['event-id']))).toEqual([['1', '2'], ['3'], ['4'], ['5']]);
    expect(requestsOf([], 1000)).toEqual([]);
  });
});
