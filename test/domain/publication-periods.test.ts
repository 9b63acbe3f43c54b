/**
 * Publication periods: the regime chosen by the decision date on each side of every boundary, the
 * periods by category and severity, earliestRepairAt and publishUntil, the court list's own rules,
 * and the day arithmetic. Time comes from fixed instants (a fake clock), never from the machine.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { PublicationPeriodsConfig } from '../../src/config/types.js';
import {
  addMonths,
  chinaDayOf,
  isPastPublication,
  isRepairOpen,
  periodFor,
  regimeFor,
  withPublicationPeriods,
} from '../../src/domain/publication-periods.js';
import type { RecordContent } from '../../src/domain/record.js';

const table: PublicationPeriodsConfig = loadConfig({ env: {} }).publicationPeriods;

function content(over: Partial<RecordContent>): RecordContent {
  return {
    category: 'admin_penalty',
    polarity: 'negative',
    severity: 'general',
    subject: { name: '样例企业', kind: 'enterprise', region: '320583' },
    source: { system: 's', key: 'k' },
    decidedAt: '2024-01-15',
    publishFrom: '2024-01-15',
    publishUntil: null,
    data: {},
    ...over,
  };
}

const periods = (decidedAt: string, over: Partial<RecordContent> = {}) =>
  withPublicationPeriods(content({ decidedAt, publishFrom: decidedAt, ...over }), table);

describe('regime by decision date', () => {
  it.each([
    ['2018-12-31', 'ndrc-2019-527'], // before every regime: the first one
    ['2019-06-30', 'ndrc-2019-527'],
    ['2019-07-01', 'ndrc-2019-527'],
    ['2023-04-30', 'ndrc-2019-527'],
    ['2023-05-01', 'order-2023-58'],
    ['2026-03-31', 'order-2023-58'],
    ['2026-04-01', 'credit-repair-2026'],
    ['2030-01-01', 'credit-repair-2026'],
  ])('a record decided on %s falls under %s', (day, id) => {
    expect(regimeFor(table, day).id).toBe(id);
  });

  it('the order of regimes in config does not matter', () => {
    const shuffled = { ...table, regimes: [...table.regimes].reverse() };
    expect(regimeFor(shuffled, '2023-05-01').id).toBe('order-2023-58');
    expect(regimeFor(shuffled, '2019-01-01').id).toBe('ndrc-2019-527');
  });
});

describe('periods across the 2026-04-01 boundary (《信用修复管理办法》)', () => {
  it('minor: not published before (0 months), at most 3 months from 2026-04-01', () => {
    expect(periods('2026-03-31', { severity: 'minor' })).toMatchObject({ earliestRepairAt: '2026-03-31', publishUntil: '2026-03-31' });
    expect(periods('2026-04-01', { severity: 'minor' })).toMatchObject({ earliestRepairAt: '2026-04-01', publishUntil: '2026-07-01' });
  });

  it('general: 3 months to 1 year on both sides', () => {
    expect(periods('2026-03-31')).toMatchObject({ earliestRepairAt: '2026-06-30', publishUntil: '2027-03-31' });
    expect(periods('2026-04-01')).toMatchObject({ earliestRepairAt: '2026-07-01', publishUntil: '2027-04-01' });
  });

  it('severe: 1 to 3 years', () => {
    expect(periods('2026-04-01', { severity: 'severe' })).toMatchObject({ earliestRepairAt: '2027-04-01', publishUntil: '2029-04-01' });
  });

  it('bidding misconduct: 6-month notice (发改法规〔2008〕1531号) before, the general rules after', () => {
    const bidding = { category: 'bidding_misconduct' as const, severity: 'severe' as const };
    expect(periods('2026-03-31', bidding)).toMatchObject({ earliestRepairAt: '2026-09-30', publishUntil: '2026-09-30' });
    expect(periods('2026-04-01', bidding)).toMatchObject({ earliestRepairAt: '2027-04-01', publishUntil: '2029-04-01' });
  });
});

describe('periods across the 2023-05-01 boundary, with a table whose regimes differ', () => {
  const distinct: PublicationPeriodsConfig = {
    regimes: [
      { id: 'a', nameZh: 'A', from: '2019-07-01', rules: { '*': { minor: { min: 0, max: 0 }, general: { min: 3, max: 12 }, severe: { min: 12, max: 36 } } } },
      { id: 'b', nameZh: 'B', from: '2023-05-01', rules: { '*': { minor: { min: 1, max: 2 }, general: { min: 6, max: 24 }, severe: { min: 24, max: 60 } } } },
    ],
    dishonestDebtor: table.dishonestDebtor,
  };
  const at = (decidedAt: string, severity: 'minor' | 'general' | 'severe') =>
    withPublicationPeriods(content({ decidedAt, publishFrom: decidedAt, severity }), distinct);

  it.each([
    ['2023-04-30', 'general', '2023-07-30', '2024-04-30'],
    ['2023-05-01', 'general', '2023-11-01', '2025-05-01'],
    ['2023-04-30', 'severe', '2024-04-30', '2026-04-30'],
    ['2023-05-01', 'severe', '2025-05-01', '2028-05-01'],
    ['2023-04-30', 'minor', '2023-04-30', '2023-04-30'],
    ['2023-05-01', 'minor', '2023-06-01', '2023-07-01'],
  ] as const)('decided %s, %s → repair from %s, published until %s', (day, severity, repair, until) => {
    expect(at(day, severity)).toMatchObject({ earliestRepairAt: repair, publishUntil: until });
  });

  it('the default table applies the same general and severe periods under 527号 and 58号令', () => {
    expect(periods('2023-04-30')).toMatchObject({ earliestRepairAt: '2023-07-30', publishUntil: '2024-04-30' });
    expect(periods('2023-05-01')).toMatchObject({ earliestRepairAt: '2023-08-01', publishUntil: '2024-05-01' });
  });
});

describe('what the source says and what has no period', () => {
  it('a publishUntil given by the source is kept; the earliest repair date is still derived', () => {
    expect(periods('2024-01-15', { publishUntil: '2024-06-30' })).toMatchObject({ earliestRepairAt: '2024-04-15', publishUntil: '2024-06-30' });
  });

  it('periods run from publishFrom when it differs from the decision date', () => {
    expect(withPublicationPeriods(content({ decidedAt: '2024-01-15', publishFrom: '2024-02-01' }), table)).toMatchObject({
      earliestRepairAt: '2024-05-01', publishUntil: '2025-02-01',
    });
  });

  it('neutral and positive records get no period', () => {
    const license = content({ category: 'admin_license', polarity: 'neutral', severity: undefined });
    expect(withPublicationPeriods(license, table)).toBe(license);
    expect(periodFor(table, license)).toBeNull();
  });

  it('失信被执行人: 2 years whatever the regime; no end for 有履行能力而拒不履行; removal may be asked at once', () => {
    const debtor = (decidedAt: string, behaviour: string) =>
      periods(decidedAt, { category: 'dishonest_debtor', severity: 'severe', data: { behaviour } });
    expect(debtor('2026-04-01', '违反财产报告制度')).toMatchObject({ earliestRepairAt: '2026-04-01', publishUntil: '2028-04-01' });
    expect(debtor('2020-02-29', '违反限制消费令')).toMatchObject({ earliestRepairAt: '2020-02-29', publishUntil: '2022-02-28' });
    expect(debtor('2024-03-01', '有履行能力而拒不履行生效法律文书确定义务')).toMatchObject({ publishUntil: null });
    expect(periodFor(table, content({ category: 'dishonest_debtor', severity: 'severe', data: {} }))?.basis).toBe('dishonest-debtor');
  });
});

describe('days and the clock', () => {
  it('adding months keeps the day, or takes the last day of a shorter month', () => {
    expect(addMonths('2024-01-31', 1)).toBe('2024-02-29');
    expect(addMonths('2023-01-31', 1)).toBe('2023-02-28');
    expect(addMonths('2024-02-29', 12)).toBe('2025-02-28');
    expect(addMonths('2023-11-15', 3)).toBe('2024-02-15');
    expect(addMonths('2023-11-15', 0)).toBe('2023-11-15');
  });

  it('addMonths agrees with the calendar (Date.UTC) for every day of 1999-2101 and any month count', () => {
    const byDate = (day: string, months: number) => {
      const [y, m, d] = day.split('-').map(Number) as [number, number, number];
      const lastDay = new Date(Date.UTC(y, m - 1 + months + 1, 0)).getUTCDate();
      return new Date(Date.UTC(y, m - 1 + months, Math.min(d, lastDay))).toISOString().slice(0, 10);
    };
    for (let t = Date.UTC(1999, 0, 1); t < Date.UTC(2101, 0, 1); t += 86_400_000 * 7 + 3_600_000) {
      const day = new Date(t).toISOString().slice(0, 10);
      for (const months of [0, 1, 6, 12, 36, 60, 1200]) expect(addMonths(day, months), `${day} + ${months}`).toBe(byDate(day, months));
    }
  });

  it('"today" is the China calendar day: 16:00 UTC is already the next day in Beijing', () => {
    expect(chinaDayOf(new Date('2026-03-31T15:59:59Z'))).toBe('2026-03-31');
    expect(chinaDayOf(new Date('2026-03-31T16:00:00Z'))).toBe('2026-04-01');
  });

  it('a record is past its publication the day after publishUntil, never when it has no end', () => {
    const until = '2025-06-30';
    expect(isPastPublication(until, chinaDayOf(new Date('2025-06-30T15:59:59Z')))).toBe(false);
    expect(isPastPublication(until, chinaDayOf(new Date('2025-06-30T16:00:00Z')))).toBe(true);
    expect(isPastPublication(null, '2999-01-01')).toBe(false);
  });

  it('repair opens on earliestRepairAt (China time), and at any time without one', () => {
    expect(isRepairOpen('2025-04-15', chinaDayOf(new Date('2025-04-14T15:59:00Z')))).toBe(false);
    expect(isRepairOpen('2025-04-15', chinaDayOf(new Date('2025-04-14T16:00:00Z')))).toBe(true);
    expect(isRepairOpen(undefined, '2000-01-01')).toBe(true);
  });
});
