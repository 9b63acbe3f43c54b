import { describe, expect, it } from 'vitest';
import { parkedDraft, rejectionDrafts } from '../../src/monitoring/delivery-alerts.js';

const cfg = { deliveryRejectedShare: 0.2, deliveryRejectedMinAnswers: 10 };
const now = new Date('2026-12-05T10:42:00Z');

describe('rejectionDrafts', () => {
  it('alerts a destination over the share with enough answers, once per clock hour (dedupe key)', () => {
    const drafts = rejectionDrafts([
      { destination: 'prov', answered: 10, rejected: 3 },
      { destination: 'nat', answered: 10, rejected: 2 },
      { destination: 'city', answered: 9, rejected: 9 },
    ], cfg, now);
    expect(drafts).toEqual([{
      kind: 'delivery_rejections',
      dedupeKey: 'prov@2026-12-05T10',
      details: { destination: 'prov', answered: 10, rejected: 3, share: 0.3, threshold: 0.2, hour: '2026-12-05T10' },
    }]);
  });

  it('the next hour gets a key of its own', () => {
    const [next] = rejectionDrafts([{ destination: 'prov', answered: 10, rejected: 3 }], cfg, new Date('2026-12-05T11:00:00Z'));
    expect(next!.dedupeKey).toBe('prov@2026-12-05T11');
  });
});

it('parkedDraft: one alert per parked event, keyed by its id', () => {
  const draft = parkedDraft({
    id: 7, destination: 'prov', topic: 't', partition: 1, offset: 42, eventId: null, recordId: null,
    reason: 'the value is not JSON', valueExcerpt: 'x', parkedAt: '2026-12-05T10:00:00.000Z',
  });
  expect(draft).toMatchObject({ kind: 'delivery_parked', dedupeKey: 'parked:7', details: { destination: 'prov', offset: 42, reason: 'the value is not JSON' } });
  expect(draft.details).not.toHaveProperty('valueExcerpt');
});
