/**
 * The Kafka contract as an outside platform checks it: records of every category and every kind of
 * change (created, updated, objected, restored, corrected and corrected again by the source, revoked)
 * go through the real gateway, PostgreSQL and broker; then each destination topic is read from the
 * start and
 *   - every event is validated by an independent validator (Debian's python3-jsonschema, formats
 *     asserted as schemas/common.schema.json describes them: test/support/validate-events.py) against
 *     the published schemas/record-event.schema.json; on masking destinations no full identity number
 *     appears anywhere;
 *   - per record, versions rise strictly, one event per version, headers agree with the value, and
 *     every status move is a record.status_changed (a retraction follows it one version higher);
 *   - a person named by a masked number the gateway published is the same subject (same key) as the
 *     person named by the full number; a masked number two known people share matches neither.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATEGORY_IDS } from '../../src/domain/catalogue.js';
import { maskPersonalId, syntheticPersonalId } from '../../src/domain/personal-id.js';
import type { RecordInput } from '../../src/domain/record.js';
import { sampleRecordInput } from '../../src/dev/sample-records.js';
import { schemasDir } from '../../src/validation/schema-files.js';
import { readTopic, startTestGateway, testDestinations, uniqueName, waitForOutboxDrained, type ReadMessage, type TestGateway } from '../support/env.js';
import { httpClient } from '../support/http-client.js';
import { listRecordEvents } from '../../src/outbox/outbox.js';

let gw: TestGateway;
const { post } = httpClient(() => gw.url);
const tag = uniqueName('contract');
const destinations = [
  ...testDestinations(tag),
  { name: 'city', topic: `test.${tag}.city.v1`, categories: ['*'], regions: [], maskPersonalIds: false },
];

async function push(records: unknown[]): Promise<Array<{ recordId: string; status: string; version: number }>> {
  const res = await post('/v1/records', { records });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body.summary.rejected, JSON.stringify(res.body.results)).toBe(0);
  return res.body.results;
}

async function object(recordId: string, decision: { decision: 'upheld' | 'rejected'; outcome?: 'corrected' | 'revoked' }): Promise<void> {
  const filed = await post(`/v1/records/${recordId}/objections`, { reason: '名单信息有误（契约测试）' });
  expect(filed.status, JSON.stringify(filed.body)).toBe(201);
  const decided = await post(`/v1/objections/${filed.body.objection.objectionId}/decision`, { ...decision, reason: '经核实（契约测试）' });
  expect(decided.status, JSON.stringify(decided.body)).toBe(200);
}

/** Runs the independent validator (test/support/validate-events.py) over a file of events. */
function validateEvents(file: string): { checked: number; failures: Array<{ line: number; path: string; message: string }> } {
  const run = spawnSync('/usr/bin/python3', [fileURLToPath(new URL('../support/validate-events.py', import.meta.url)), schemasDir(), file], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
}

/** A dishonest-debtor record about a natural person named by `idNumber` (full or masked). */
function personRecord(n: number, name: string, idNumber: string): RecordInput {
  return sampleRecordInput('dishonest_debtor', n, {
    subject: { uscc: undefined, idNumber, name, kind: 'person', region: '320583' },
    data: { partyType: '自然人', orgCode: undefined, legalRepresentative: undefined, idNumberMasked: maskPersonalId(idNumber) },
  } as never);
}

/** Two valid numbers of different people with the same first six and last four characters. */
function twoNumbersOneMask(): [string, string] {
  const first = syntheticPersonalId(417, '1980-03-01');
  for (let day = 2; day < 400; day++) {
    const other = syntheticPersonalId(417, new Date(Date.UTC(1980, 2, day)).toISOString().slice(0, 10));
    if (other.slice(-4) === first.slice(-4)) return [first, other];
  }
  throw new Error('no second number with the same mask');
}

beforeAll(async () => {
  gw = await startTestGateway({ destinations, lifecycle: { expiryEnabled: false } });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
});

const topics = new Map<string, ReadMessage[]>();
const keyOf = (recordId: string) => topics.get('city')!.find((m) => m.headers['record-id'] === recordId)!.key;
const ids: Record<string, string> = {};

describe('the Kafka contract, read back from every destination topic', () => {
  it('publishes every category and every kind of change', async () => {
    const samples = CATEGORY_IDS.flatMap((c, i) => [sampleRecordInput(c, 7_100 + i), sampleRecordInput(c, 7_200 + i)]);
    const stored = await push(samples);
    const [restored, corrected, revoked, updated] = stored.filter((_, i) => samples[i]!.category === 'dishonest_debtor' || samples[i]!.category === 'admin_penalty').map((r) => r.recordId);
    Object.assign(ids, { restored, corrected, revoked, updated });

    await object(restored!, { decision: 'rejected' });
    await object(corrected!, { decision: 'upheld', outcome: 'corrected' });
    await object(revoked!, { decision: 'upheld', outcome: 'revoked' });
    // new content from the source: an update; for the corrected record also its return to active
    const again = samples.filter((_, i) => [corrected, updated].includes(stored[i]!.recordId)).map((s) => ({
      ...s, data: { ...s.data, ...(s.category === 'dishonest_debtor' ? { duty: '更正后的履行义务（契约测试）' } : { CF_SY: '更正后的违法事实（契约测试）' }) },
    }));
    const second = await push(again);
    expect(second.map((r) => r.status)).toEqual(['updated', 'updated']);

    const [full, sameMask] = twoNumbersOneMask();
    const people = await push([
      personRecord(7_301, '王某', syntheticPersonalId(301)),
      personRecord(7_302, '王某', maskPersonalId(syntheticPersonalId(301))), // the gateway's own mask of the first
      personRecord(7_303, '李某', full),
      personRecord(7_304, '李某', sameMask),
      personRecord(7_305, '李某', maskPersonalId(full)), // two known people share this mask
      personRecord(7_306, '赵某', '41072619780****1211'), // masked by its source, 19 characters, nobody known
    ]);
    Object.assign(ids, Object.fromEntries(people.map((r, i) => [`person${i + 1}`, r.recordId])));

    expect(await waitForOutboxDrained(gw.ctx.pool, 60_000)).toBe(0);
    const events = await listRecordEvents(gw.ctx.pool);
    for (const d of destinations) {
      const expected = events.filter((e) => e.destination === d.name).length;
      expect(expected).toBeGreaterThan(0);
      topics.set(d.name, await readTopic(d.topic, { until: (m) => m.length >= expected, settleMs: 300, whileSettling: (m) => expect(m).toHaveLength(expected) }));
    }
  }, 120_000);

  it('every event passes an independent JSON Schema validator, formats asserted; masking destinations carry no full number', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kafka-contract-'));
    try {
      const lines = destinations.flatMap((d) => topics.get(d.name)!.map((m) => JSON.stringify({ topic: d.topic, masked: d.maskPersonalIds, value: m.value })));
      writeFileSync(join(dir, 'events.jsonl'), lines.join('\n') + '\n');
      const result = validateEvents(join(dir, 'events.jsonl'));
      expect(result.failures).toEqual([]);
      expect(result.checked).toBe(lines.length);
      expect(lines.some((l) => l.includes('********'))).toBe(true);

      // and the validator does find what is wrong: a USCC with a wrong check character, a full number
      // on a masking destination, a masked number that is no published layout, an unknown event type
      const event = topics.get('prov')!.find((m) => m.value.record.subject.uscc)!.value;
      const person = topics.get('city')!.find((m) => m.headers['record-id'] === ids.person1)!.value;
      const tampered = [
        { ...event, record: { ...event.record, subject: { ...event.record.subject, uscc: event.record.subject.uscc.slice(0, 17) + (event.record.subject.uscc.endsWith('0') ? '1' : '0') } } },
        person,
        { ...person, record: { ...person.record, subject: { ...person.record.subject, idNumber: '3205**1960****0016' } } },
        { ...event, type: 'record.deleted' },
      ];
      writeFileSync(join(dir, 'tampered.jsonl'), tampered.map((value) => JSON.stringify({ topic: 'tampered', masked: true, value })).join('\n') + '\n');
      const failedLines = new Set(validateEvents(join(dir, 'tampered.jsonl')).failures.map((f) => f.line));
      expect([...failedLines].sort()).toEqual([1, 2, 3, 4]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('per record: strictly rising versions, one event each, headers as the value, a status_changed for every move', () => {
    for (const [name, messages] of topics) {
      const byRecord = new Map<string, ReadMessage[]>();
      for (const m of messages) byRecord.set(m.headers['record-id']!, [...(byRecord.get(m.headers['record-id']!) ?? []), m]);
      for (const [recordId, events] of byRecord) {
        expect(new Set(events.map((e) => e.partition)).size, `${name} ${recordId}`).toBe(1);
        events.forEach((e, i) => {
          expect(e.headers['record-version']).toBe(String(e.value.record.version));
          expect(e.headers['event-type']).toBe(e.value.type);
          expect(e.headers['event-id']).toBe(e.value.eventId);
          if (i === 0) return;
          const before = events[i - 1]!;
          expect(e.value.record.version, `${name} ${recordId}`).toBe(before.value.record.version + 1);
          if (e.value.record.status !== before.value.record.status) expect(e.value.type).toBe('record.status_changed');
          if (e.value.type === 'record.retracted') expect(before.value.type).toBe('record.status_changed');
        });
      }
    }
  });

  it('tells each lifecycle path as its sequence of events', () => {
    const story = (recordId: string) => topics.get('city')!.filter((m) => m.headers['record-id'] === recordId).map((m) => `${m.value.type}:${m.value.record.status}@${m.value.record.version}`);
    expect(story(ids.restored!)).toEqual(['record.upserted:active@1', 'record.status_changed:objected@2', 'record.status_changed:active@3']);
    expect(story(ids.revoked!)).toEqual(['record.upserted:active@1', 'record.status_changed:objected@2', 'record.status_changed:revoked@3', 'record.retracted:revoked@4']);
    expect(story(ids.corrected!)).toEqual([
      'record.upserted:active@1', 'record.status_changed:objected@2', 'record.status_changed:corrected@3',
      'record.upserted:corrected@4', 'record.status_changed:active@5',
    ]);
    expect(story(ids.updated!)).toEqual(['record.upserted:active@1', 'record.upserted:active@2']);
  });

  it('a masked number the gateway published is the same person as the full one; a shared or unknown mask is a subject of its own', () => {
    expect(keyOf(ids.person1!)).toMatch(/^P:[0-9a-f]{32}$/);
    expect(keyOf(ids.person2!)).toBe(keyOf(ids.person1!));
    expect(keyOf(ids.person3!)).not.toBe(keyOf(ids.person4!));
    expect([keyOf(ids.person3!), keyOf(ids.person4!)]).not.toContain(keyOf(ids.person5!));
    expect(keyOf(ids.person6!)).toMatch(/^P:/);
  });
});
