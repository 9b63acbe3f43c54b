import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { integrityScore, penaltyOf, rankByScore, type ScoreInputs, type ScoreWeights } from '../../src/domain/integrity-score.js';
import { cstDate, parsePeriod, quarterOf, stateInstantOf } from '../../src/monitoring/report-period.js';

const WEIGHTS: ScoreWeights = { severe: 10, general: 3, minor: 1, dishonestDebtor: 20, paymentDefault: 5, overdueHandling: 2, halfScorePenalty: 100 };
const NONE: ScoreInputs = { activeSevere: 0, activeGeneral: 0, activeMinor: 0, debtorSubjects: 0, unresolvedPaymentDefaults: 0, objectionsPastDeadline: 0, repairsPastDeadline: 0 };

const inputs = fc.record({
  activeSevere: fc.nat(10_000),
  activeGeneral: fc.nat(10_000),
  activeMinor: fc.nat(10_000),
  debtorSubjects: fc.nat(1_000),
  unresolvedPaymentDefaults: fc.nat(1_000),
  objectionsPastDeadline: fc.nat(1_000),
  repairsPastDeadline: fc.nat(1_000),
});

describe('integrityScore', () => {
  it('is 100 with nothing against the unit and 50 at the half-score penalty', () => {
    expect(integrityScore(NONE, WEIGHTS)).toBe(100);
    expect(integrityScore({ ...NONE, activeSevere: 10 }, WEIGHTS)).toBe(50);
  });

  it('weighs each indicator as configured (worked example)', () => {
    const x = { ...NONE, activeSevere: 2, activeGeneral: 2, debtorSubjects: 1, unresolvedPaymentDefaults: 1, repairsPastDeadline: 1 };
    expect(penaltyOf(x, WEIGHTS)).toBe(2 * 10 + 2 * 3 + 20 + 5 + 2);
    expect(integrityScore(x, WEIGHTS)).toBe(65.36); // 100 × 100 / 153
  });

  it('stays in (0, 100] and never rises when an indicator grows', () => {
    fc.assert(
      fc.property(inputs, fc.constantFrom(...(Object.keys(NONE) as Array<keyof ScoreInputs>)), (x, key) => {
        const s = integrityScore(x, WEIGHTS);
        expect(s).toBeGreaterThan(0);
        expect(s).toBeLessThanOrEqual(100);
        expect(integrityScore({ ...x, [key]: x[key] + 1 }, WEIGHTS)).toBeLessThanOrEqual(s);
      }),
    );
  });

  it('a zero weight makes an indicator not count', () => {
    expect(integrityScore({ ...NONE, activeMinor: 50 }, { ...WEIGHTS, minor: 0 })).toBe(100);
  });

  it('refuses negative inputs and a non-positive half-score penalty', () => {
    expect(() => integrityScore({ ...NONE, activeSevere: -1 }, WEIGHTS)).toThrow(RangeError);
    expect(() => integrityScore(NONE, { ...WEIGHTS, halfScorePenalty: 0 })).toThrow(RangeError);
  });
});

describe('rankByScore', () => {
  it('ranks higher scores first; equal scores share a rank and the next rank skips', () => {
    const ranked = rankByScore([{ c: 'b', s: 90 }, { c: 'a', s: 90 }, { c: 'c', s: 99 }, { c: 'd', s: 10 }], (x) => x.s, (x) => x.c);
    expect(ranked.map((r) => [r.rank, r.item.c])).toEqual([[1, 'c'], [2, 'a'], [2, 'b'], [4, 'd']]);
  });
});

describe('report periods (China Standard Time)', () => {
  it('a quarter runs from 00:00 UTC+8 of its first day to 00:00 UTC+8 after its last', () => {
    const q = parsePeriod('2026Q3')!;
    expect(q.start.toISOString()).toBe('2026-06-30T16:00:00.000Z');
    expect(q.end.toISOString()).toBe('2026-09-30T16:00:00.000Z');
    expect([q.startDate, q.endDate]).toEqual(['2026-07-01', '2026-10-01']);
    expect(parsePeriod('2026Q4')!.endDate).toBe('2027-01-01');
    expect(parsePeriod('2026-02')!.endDate).toBe('2026-03-01');
    expect(parsePeriod('2026')!.endDate).toBe('2027-01-01');
  });

  it('refuses other forms', () => {
    for (const bad of ['2026Q5', '2026Q0', '2026-13', '26Q1', '2026q1', '1999', '']) expect(parsePeriod(bad)).toBeNull();
  });

  it('places instants in the quarter of their China calendar day', () => {
    expect(quarterOf(new Date('2026-06-30T15:59:59Z'))).toBe('2026Q2');
    expect(quarterOf(new Date('2026-06-30T16:00:00Z'))).toBe('2026Q3');
    expect(cstDate(new Date('2026-06-30T16:00:00Z'))).toBe('2026-07-01');
  });

  it('reports a finished period as of its end, a running one as of now, a future one not at all', () => {
    const q = parsePeriod('2026Q3')!;
    expect(stateInstantOf(q, new Date('2026-11-01T00:00:00Z'))).toEqual(q.end);
    const mid = new Date('2026-08-01T00:00:00Z');
    expect(stateInstantOf(q, mid)).toEqual(mid);
    expect(stateInstantOf(q, new Date('2026-06-01T00:00:00Z'))).toBeNull();
  });
});
