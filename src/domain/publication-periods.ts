/**
 * Publication periods of negative records (公示期限). Pure: no clock, no I/O.
 *
 * The rules in force are chosen by the record's decision date (the regime whose `from` is the latest
 * one on or before `decidedAt`; a record decided before every regime uses the first). Within a regime
 * a category's own entry wins over "*". From the period:
 *   - earliestRepairAt = publishFrom + min months (最短公示期: no credit repair before it)
 *   - publishUntil     = publishFrom + max months (最长公示期), unless the source gave one
 * 失信被执行人 follow the court list's own rules (法释〔2017〕7号) whatever the regime: a fixed term,
 * or no end date for behaviours listed as indefinite.
 *
 * All dates are calendar days (YYYY-MM-DD) in China Standard Time.
 */
import type { PeriodRangeConfig, PublicationPeriodsConfig, PublicationRegimeConfig, SeverityPeriodsConfig } from '../config/types.js';
import type { RecordContent } from './record.js';
import { withFields } from './with-fields.js';

export interface AppliedPeriod {
  /** regime id, or "dishonest-debtor" for the court list */
  basis: string;
  min: number;
  max: number | null;
}

const DAY_MS = 86_400_000;
const CHINA_OFFSET_MS = 8 * 3_600_000;

/** The calendar day in China (UTC+8, no daylight saving) at instant `now`. */
export function chinaDayOf(now: Date): string {
  return new Date(now.getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

function daysInMonth(year: number, monthIndex: number): number {
  if (monthIndex !== 1) return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][monthIndex]!;
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
}

/**
 * `day` plus `months` calendar months; a day past the end of the target month becomes its last day
 * (01-31 + 1 → 02-28). Arithmetic on the digits (no Date): it runs twice for every negative record stored.
 */
export function addMonths(day: string, months: number): string {
  const monthIndex = Number(day.slice(0, 4)) * 12 + Number(day.slice(5, 7)) - 1 + months;
  const year = Math.floor(monthIndex / 12);
  const month = monthIndex - year * 12;
  const date = Math.min(Number(day.slice(8, 10)), daysInMonth(year, month));
  return `${String(year).padStart(4, '0')}-${pad2(month + 1)}-${pad2(date)}`;
}

export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** The regime in force on `decidedAt`. */
export function regimeFor(table: PublicationPeriodsConfig, decidedAt: string): PublicationRegimeConfig {
  const byDate = [...table.regimes].sort((a, b) => a.from.localeCompare(b.from));
  let chosen = byDate[0];
  for (const r of byDate) if (r.from <= decidedAt) chosen = r;
  if (!chosen) throw new Error('publicationPeriods.regimes is empty');
  return chosen;
}

/** The period that applies to a negative record, or null for records without one (non-negative, no severity). */
export function periodFor(
  table: PublicationPeriodsConfig,
  record: Pick<RecordContent, 'category' | 'polarity' | 'severity' | 'decidedAt' | 'data'>,
): AppliedPeriod | null {
  if (record.polarity !== 'negative' || !record.severity) return null;
  if (record.category === 'dishonest_debtor') {
    const rules = table.dishonestDebtor;
    const behaviour = typeof record.data.behaviour === 'string' ? record.data.behaviour : '';
    const indefinite = rules.indefiniteBehaviours.some((b) => behaviour.includes(b));
    return { basis: 'dishonest-debtor', min: rules.repairAfterMonths, max: indefinite ? null : rules.months };
  }
  const regime = regimeFor(table, record.decidedAt);
  const own = regime.rules[record.category] as SeverityPeriodsConfig | undefined;
  const range: PeriodRangeConfig | undefined = own?.[record.severity] ?? regime.rules['*'][record.severity];
  if (!range) return null;
  return { basis: regime.id, min: range.min, max: range.max };
}

/**
 * The content with its earliest repair date and, when the source gave no end date, its publishUntil.
 * Records without a period are returned unchanged.
 */
export function withPublicationPeriods(content: RecordContent, table: PublicationPeriodsConfig): RecordContent {
  const period = periodFor(table, content);
  if (!period) return content;
  const publishUntil = content.publishUntil ?? (period.max === null ? null : addMonths(content.publishFrom, period.max));
  return withFields(content, { earliestRepairAt: addMonths(content.publishFrom, period.min), publishUntil });
}

/** True once the publication period is over: the day after publishUntil. Records without an end date never expire. */
export function isPastPublication(publishUntil: string | null | undefined, today: string): boolean {
  return typeof publishUntil === 'string' && publishUntil < today;
}

/** True when credit repair may be asked for on `today` (no earliest date = any time). */
export function isRepairOpen(earliestRepairAt: string | null | undefined, today: string): boolean {
  return !earliestRepairAt || earliestRepairAt <= today;
}
