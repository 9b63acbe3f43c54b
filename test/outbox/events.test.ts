import { describe, expect, it } from 'vitest';
import { eventHeaders, recordEvent, recordEventId, renderRecordEvent } from '../../src/outbox/events.js';
import { destinationsFor } from '../../src/outbox/routing.js';
import type { RecordEnvelope } from '../../src/domain/record.js';
import { syntheticPersonalId } from '../../src/domain/personal-id.js';

const dest = (name: string, categories: string[], regions: string[] = [], requireUscc = false) => ({ name, topic: `t.${name}`, categories, regions, maskPersonalIds: true, requireUscc });

describe('routing', () => {
  const all = dest('all', ['*']);
  const js = dest('js', ['dishonest_debtor'], ['32']);
  const ks = dest('ks', ['*'], ['320583', '320584']);
  it('matches category and region prefixes', () => {
    const rec = (category: string, region: string) => ({ category, subject: { region, kind: 'person' } });
    expect(destinationsFor([all, js, ks], rec('dishonest_debtor', '320583')).map((d) => d.name)).toEqual(['all', 'js', 'ks']);
    expect(destinationsFor([all, js, ks], rec('admin_license', '320583')).map((d) => d.name)).toEqual(['all', 'ks']);
    expect(destinationsFor([all, js, ks], rec('dishonest_debtor', '110101')).map((d) => d.name)).toEqual(['all']);
  });

  it('a destination that requires a USCC takes no pending organisation (one without a USCC), but takes persons and resolved ones', () => {
    const national = dest('national', ['*'], [], true);
    const pending = { category: 'dishonest_debtor', subject: { region: '320583', kind: 'other' } };
    expect(destinationsFor([all, national], pending).map((d) => d.name)).toEqual(['all']);
    expect(destinationsFor([all, national], { ...pending, subject: { ...pending.subject, uscc: '91320583MA1XXXXXX0' } }).map((d) => d.name)).toEqual(['all', 'national']);
    expect(destinationsFor([all, national], { ...pending, subject: { region: '320583', kind: 'person' } }).map((d) => d.name)).toEqual(['all', 'national']);
  });
});

describe('events', () => {
  const id = syntheticPersonalId(5);
  const record = { recordId: '3f1c2b3a-9d8e-5f7a-8b6c-5d4e3f2a1b0c', version: 3, subject: { idNumber: id } } as unknown as RecordEnvelope;

  it('event ids are stable per (destination, record, version, type) and differ otherwise', () => {
    const a = recordEventId('prov', record.recordId, 3, 'record.upserted');
    expect(recordEventId('prov', record.recordId, 3, 'record.upserted')).toBe(a);
    expect(recordEventId('nat', record.recordId, 3, 'record.upserted')).not.toBe(a);
    expect(recordEventId('prov', record.recordId, 4, 'record.upserted')).not.toBe(a);
    expect(recordEventId('prov', record.recordId, 3, 'record.retracted')).not.toBe(a);
  });

  it('renders {eventId, type, occurredAt, record}, masked per destination', () => {
    const e = recordEvent('record.upserted', record, '91350100M000100Y43', dest('prov', ['*']));
    const value = JSON.parse(renderRecordEvent({ eventId: e.eventId, type: e.type, occurredAt: '2026-11-23T00:00:00.000Z', recordJson: JSON.stringify(record), maskPersonalIds: e.maskPersonalIds }));
    expect(value).toMatchObject({ eventId: e.eventId, type: 'record.upserted', occurredAt: '2026-11-23T00:00:00.000Z' });
    expect(value.record.subject.idNumber).not.toBe(id);
    const clear = JSON.parse(renderRecordEvent({ eventId: e.eventId, type: e.type, occurredAt: 'x', recordJson: JSON.stringify(record), maskPersonalIds: false }));
    expect(clear.record.subject.idNumber).toBe(id);
    // a record with nothing that could be an identity number is passed through as stored
    const plain = { recordId: record.recordId, version: 1, data: { note: '无' } };
    const value2 = JSON.parse(renderRecordEvent({ eventId: 'e', type: 'record.upserted', occurredAt: 'x', recordJson: JSON.stringify(plain), maskPersonalIds: true }));
    expect(value2.record).toEqual(plain);
  });

  it('headers carry the contract names', () => {
    expect(eventHeaders({ eventId: 'e', type: 'record.status_changed', recordId: 'r', recordVersion: 7 })).toEqual({
      'event-id': 'e', 'event-type': 'record.status_changed', 'record-id': 'r', 'record-version': '7', schema: 'credit-record/v1', 'content-type': 'application/json',
    });
    expect(eventHeaders({ eventId: 'e', type: 'alert.raised', recordId: 'a', recordVersion: 1 }).schema).toBe('credit-alert/v1');
  });
});
