/**
 * The pure parts of the delivery ways: a package's entries (the record's bytes as published, or
 * serialised again), the intake answer checked against the batch, a Retry-After read, the exchange
 * tables' column names (no two alike, as MySQL compares them).
 */
import { describe, expect, it } from 'vitest';
import { CATEGORY_IDS } from '../../src/domain/catalogue.js';
import { DELIVERY_COLUMNS, exchangeColumns } from '../../src/delivery/exchange-schema.js';
import { isPoison, readDeliveryEvent, type DeliveryEvent } from '../../src/delivery/delivery-event.js';
import { entryOf, readEntries, renderPackage } from '../../src/delivery/package-format.js';
import { renderRecordEvent } from '../../src/outbox/events.js';
import { malformedReason, readAnswer, renderBatch, retryAfterMs, type SentBatch } from '../../src/delivery/service-format.js';

const E1 = '6d1c7a52-8a0e-4d57-9d0b-6a3f1d0c2b11';
const E2 = '7e2d8b63-9b1f-4e68-8e1c-7b4f2e1d3c22';
const batch = {
  format: 'credit-delivery-batch/v1' as const, batch: 'prov.p0.000000000001-000000000002', destination: 'prov', partition: 0, firstOffset: 1, lastOffset: 2,
  eventIds: [E1, E2],
} satisfies SentBatch;
const answer = (results: unknown, name = batch.batch) => JSON.stringify({ format: 'credit-delivery-answer/v1', batch: name, results });

it('an answer is the feedback only with one result per event of the batch', () => {
  expect(readAnswer(answer([{ eventId: E1, outcome: 'accepted' }, { eventId: E2, outcome: 'rejected', reason: '名称不符', field: '/subject/name' }]), batch)).toEqual([
    { eventId: E1, outcome: 'accepted', reason: null, field: null },
    { eventId: E2, outcome: 'rejected', reason: '名称不符', field: '/subject/name' },
  ]);
  expect(readAnswer(answer([{ eventId: E1, outcome: 'accepted' }]), batch)).toMatch(/no result for 1 event/);
  expect(readAnswer(answer([{ eventId: E1, outcome: 'accepted' }, { eventId: E2, outcome: 'maybe' }]), batch)).toMatch(/outcome other than/);
  expect(readAnswer(answer([{ eventId: E1, outcome: 'accepted' }, { eventId: E2, outcome: 'accepted' }, { eventId: 'x', outcome: 'accepted' }]), batch)).toMatch(/not in the batch/);
  expect(readAnswer(answer([], 'another'), batch)).toMatch(/about batch "another"/);
  expect(readAnswer('<html>', batch)).toBe('the answer is not a JSON object');
  // two verdicts on one event: which one holds is not the gateway's guess
  expect(readAnswer(answer([{ eventId: E1, outcome: 'accepted' }, { eventId: E1, outcome: 'rejected' }, { eventId: E2, outcome: 'accepted' }]), batch)).toMatch(/two results for event/);
  // a reason of a megabyte is kept to its first 2000 characters
  const long = readAnswer(answer([{ eventId: E1, outcome: 'rejected', reason: '长'.repeat(1_000_000), field: '/x'.repeat(1000) }, { eventId: E2, outcome: 'accepted' }]), batch);
  expect(typeof long !== 'string' && [long[0]!.reason!.length, long[0]!.field!.length]).toEqual([2000, 500]);
});

it('only an answer in the contract, about this batch, with error code malformed_batch refuses the batch', () => {
  const refusal = (error: unknown, name = batch.batch, format = 'credit-delivery-answer/v1') => JSON.stringify({ format, batch: name, error });
  expect(malformedReason(refusal({ code: 'malformed_batch', reason: '格式版本不支持' }), batch)).toBe('格式版本不支持');
  expect(malformedReason(refusal({ code: 'unauthorized', reason: 'x' }), batch)).toBeNull();
  expect(malformedReason(refusal({ code: 'malformed_batch', reason: 'x' }, 'another batch'), batch)).toBeNull();
  expect(malformedReason(refusal({ code: 'malformed_batch', reason: 'x' }, batch.batch, 'credit-delivery-answer/v2'), batch)).toBeNull();
  expect(malformedReason(JSON.stringify({ error: { code: 'malformed_batch', reason: 'x' } }), batch)).toBeNull();
  expect(malformedReason('Bad Request', batch)).toBeNull();
});

it('an answer of another format, or none, is not the contract', () => {
  const results = [{ eventId: E1, outcome: 'accepted' }, { eventId: E2, outcome: 'accepted' }];
  expect(readAnswer(JSON.stringify({ format: 'credit-delivery-feedback/v1', batch: batch.batch, results }), batch)).toMatch(/format is "credit-delivery-feedback\/v1"/);
  expect(readAnswer(JSON.stringify({ batch: batch.batch, results }), batch)).toMatch(/format is null/);
});

it('a platform\'s text keeps no NUL or lone surrogate (PostgreSQL text cannot hold them)', () => {
  const read = readAnswer(answer([{ eventId: E1, outcome: 'rejected', reason: 'a\u0000b\ud800c', field: '/x\u0000' }, { eventId: E2, outcome: 'accepted' }]), batch);
  expect(typeof read !== 'string' && [read[0]!.reason, read[0]!.field]).toEqual(['a\uFFFDb\uFFFDc', '/x\uFFFD']);
});

it('Retry-After in seconds or as an HTTP date', () => {
  expect(retryAfterMs('3')).toBe(3000);
  expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
  expect(retryAfterMs('soon')).toBeNull();
  expect(retryAfterMs(undefined)).toBeNull();
});

it('every category\'s exchange table has distinct column names, the delivery\'s own first', () => {
  for (const category of CATEGORY_IDS) {
    const names = [...DELIVERY_COLUMNS, ...exchangeColumns(category).map((c) => c.name)];
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(names.length);
    expect(names.every((n) => /^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(n))).toBe(true);
  }
  const bidding = exchangeColumns('bidding_misconduct').map((c) => c.name);
  // the record's publishFrom and the data field publishFrom are two columns
  expect(bidding).toEqual(expect.arrayContaining(['subject_name', 'decided_at', 'publish_from', 'publishFrom']));
  expect(exchangeColumns('court_judgment').map((c) => c.name)).toEqual(expect.arrayContaining(['parties_1_name', 'parties_5_kind', 'causes']));
});

describe('a package\'s entries', () => {
  // as PostgreSQL prints jsonb (the relay's recordJson): spaces after colons and commas; braces and an escaped quote in strings
  const recordJson = '{"data": {"name": "样例企业有限公司", "duty": "支付\\"货款\\"\\n十日内", "remark": "见}附件{\\\\", "amount": 1.5e3}, "status": "active", "version": 3, '
    + '"recordId": "0b7f2c1e-3a4d-4e5f-8a9b-0c1d2e3f4a5b", "subject": {"name": "某某", "idNumber": "11010519491231002X"}}';
  const eventOf = (value: string, offset = 7): DeliveryEvent => {
    const e = readDeliveryEvent({ offset: String(offset), value: Buffer.from(value) });
    if (isPoison(e)) throw new Error(e.reason);
    return e;
  };
  const rendered = (type: string, maskPersonalIds = true) =>
    renderRecordEvent({ eventId: E1, type, occurredAt: '2026-12-06T08:00:00.000Z', recordJson, maskPersonalIds });
  const lines = (events: DeliveryEvent[]) =>
    renderPackage({ destination: 'prov', topic: 't', partition: 0 }, events, new Date(0)).data.toString('utf8').split('\n');

  it('an upsert as the relay published it takes the record\'s bytes as they are, and reads as the entry', () => {
    for (const mask of [true, false]) {
      const value = rendered('record.upserted', mask);
      const e = eventOf(value);
      expect(e.recordJson?.toString('utf8')).toBe(value.slice(value.indexOf('"record":') + '"record":'.length, -1));
      const [line, end] = lines([e]);
      expect(end).toBe('');
      expect(JSON.parse(line!)).toEqual(entryOf(e));
      expect(Object.keys(JSON.parse(line!))).toEqual(['op', 'eventId', 'type', 'recordId', 'version', 'occurredAt', 'record']);
    }
    // the personal number masked by the relay stays masked in the file
    expect(lines([eventOf(rendered('record.upserted'))])[0]).not.toContain('11010519491231002X');
  });

  it('the record is read from its UTF-8 bytes, as published', () => {
    const value = rendered('record.upserted', false);
    const e = eventOf(value);
    expect(e.record).toEqual((JSON.parse(value) as { record: unknown }).record);
    // a way that reads every record (the database way) has the value parsed once, whole: the same event, no bytes kept
    const whole = readDeliveryEvent({ offset: '7', value: Buffer.from(value) }, true);
    expect(whole).toEqual({ ...e, record: e.record, recordJson: null });
    expect(e.record.data).toMatchObject({ name: '样例企业有限公司', duty: '支付"货款"\n十日内' });
    // a time that is not ASCII is read as written (UTF-8), not as Latin-1
    const other = eventOf(value.replace('"2026-12-06T08:00:00.000Z"', '"二〇二六年"'));
    expect([other.occurredAt, other.recordJson, other.record]).toEqual(['二〇二六年', null, e.record]);
  });

  it('a value of the relay\'s layout that is not an event is poison, with the reason the member gives', () => {
    const value = rendered('record.upserted');
    const read = (v: string) => readDeliveryEvent({ offset: '1', value: Buffer.from(v) });
    expect(read(value.replace('"recordId": "0b7f2c1e', '"recordId": "xb7f2c1e'))).toMatchObject({ reason: 'record.recordId is missing or not a UUID' });
    expect(read(value.replace('"version": 3', '"version": 0'))).toMatchObject({ reason: 'record.version is not a positive integer' });
    expect(read(value.replace('"type":"record.upserted"', '"type":"record.deleted"'))).toMatchObject({ reason: 'type "record.deleted" is not a record event type' });
    expect(read(value.replace('"record":{', '"record":[{').replace(/}$/, ']}'))).toMatchObject({ reason: 'record is missing' });
    // an event id in capitals is a UUID all the same, read whole
    const upper = eventOf(value.replace(E1, E1.toUpperCase()));
    expect([upper.eventId, upper.recordJson]).toEqual([E1.toUpperCase(), null]);
  });

  it('a value is JSON as Latin-1 exactly when it is JSON as UTF-8; one that is not UTF-8 is poison', () => {
    const value = Buffer.from(rendered('record.upserted', false));
    const asUtf8 = (b: Buffer) => {
      try {
        JSON.parse(b.toString('utf8'));
        return true;
      } catch {
        return false;
      }
    };
    // each byte of the value replaced by each of a set of bytes that matter to JSON or to UTF-8
    const bytes = [0x00, 0x09, 0x0a, 0x1f, 0x20, 0x22, 0x2c, 0x3a, 0x5c, 0x5d, 0x7b, 0x7d, 0x7f, 0x80, 0x9f, 0xa0, 0xc3, 0xe4, 0xef, 0xff];
    let notUtf8 = 0;
    let utf8 = 0;
    let json = 0;
    for (let i = 0; i < value.length; i++) {
      for (const b of bytes) {
        const changed = Buffer.from(value);
        changed[i] = b;
        const read = readDeliveryEvent({ offset: '1', value: changed });
        const reason = isPoison(read) ? read.reason : null;
        if (reason === 'the value is not UTF-8') {
          expect(Buffer.from(changed.toString('utf8')).equals(changed)).toBe(false);
          notUtf8++;
          continue;
        }
        utf8++;
        expect(reason === 'the value is not JSON').toBe(!asUtf8(changed));
        if (reason !== 'the value is not JSON') json++;
      }
    }
    // both kinds of change were tried: some left the value JSON, some did not
    expect([notUtf8 > 1000, utf8 > 1000, json > 1000, utf8 - json > 1000]).toEqual([true, true, true, true]);
    // a byte that is not UTF-8 inside a string: JSON either way, but not what the contract carries
    const inName = value.indexOf(Buffer.from('样例'));
    const broken = Buffer.concat([value.subarray(0, inName), Buffer.from([0xff]), value.subarray(inName)]);
    expect(asUtf8(broken)).toBe(true);
    expect(readDeliveryEvent({ offset: '1', value: broken })).toMatchObject({ reason: 'the value is not UTF-8' });
  });

  it('a value laid out otherwise is serialised again, entry for entry the same', () => {
    const value = JSON.parse(rendered('record.status_changed')) as Record<string, unknown>;
    const others = [
      JSON.stringify(value, null, 1), // spaced
      JSON.stringify({ type: value.type, eventId: value.eventId, occurredAt: value.occurredAt, record: value.record }), // another order
      JSON.stringify({ ...value, extra: 1 }), // a member after the record
      rendered('record.status_changed').replace(`"${E1}"`, `"\\u0036${E1.slice(1)}"`), // an escaped character
      `${rendered('record.status_changed')} `, // a trailing space
      // the record member twice: JSON.parse keeps the second; the bytes after the first are not one record
      `${rendered('record.status_changed').slice(0, -1)},"record":${JSON.stringify({ ...(value.record as object), version: 4 })}}`,
    ];
    for (const other of others) {
      const e = eventOf(other);
      expect(e.recordJson).toBeNull();
      expect(JSON.parse(lines([e])[0]!)).toEqual(entryOf(e));
    }
  });

  it('a retraction carries the status, not the record; a package\'s lines follow its events', () => {
    const upsert = eventOf(rendered('record.upserted'), 7);
    const retract = eventOf(rendered('record.retracted'), 8);
    const [first, second, end] = lines([upsert, retract]);
    expect(JSON.parse(first!)).toEqual(entryOf(upsert));
    expect(JSON.parse(second!)).toEqual({ op: 'retract', eventId: E1, type: 'record.retracted', recordId: '0b7f2c1e-3a4d-4e5f-8a9b-0c1d2e3f4a5b', version: 3, occurredAt: '2026-12-06T08:00:00.000Z', status: 'active' });
    expect(end).toBe('');
    // read back (the file way after a crash, the test platform): the entries, line by line
    expect(readEntries(renderPackage({ destination: 'prov', topic: 't', partition: 0 }, [upsert, retract], new Date(0)).data)).toEqual([entryOf(upsert), entryOf(retract)]);
  });

  it('the service way\'s body is its batch as JSON, entries as in a package', () => {
    const events = [eventOf(rendered('record.upserted'), 7), eventOf(JSON.stringify(JSON.parse(rendered('record.status_changed')), null, 1), 8), eventOf(rendered('record.retracted'), 9)];
    expect(events.map((e) => e.recordJson === null)).toEqual([false, true, false]);
    const { batch, body } = renderBatch({ destination: 'prov', partition: 2 }, events);
    const head = { format: 'credit-delivery-batch/v1', batch: 'prov.p2.000000000007-000000000009', destination: 'prov', partition: 2, firstOffset: 7, lastOffset: 9 };
    expect(JSON.parse(body.toString('utf8'))).toEqual({ ...head, events: events.map(entryOf) });
    expect(batch).toEqual({ ...head, eventIds: events.map((e) => e.eventId) });
    expect(JSON.parse(renderBatch({ destination: 'prov', partition: 2 }, events.slice(0, 1)).body.toString('utf8')).events).toHaveLength(1);
  });
});
