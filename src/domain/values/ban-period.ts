/**
 * The ban period a penalty text names (禁止参加政府采购活动, 禁入…): 十二个月内 → 12 months,
 * 一年内 → 12, 三年内 → 36, 1年内, 6个月内, 二年, 两年, 一年半 → 18, 半年 → 6, 1.5年 → 18,
 * 一年六个月 → 18, 24个月 → 24. Pure functions only: the start day is passed in.
 *
 * The first period in the text wins, except that a period inside a range quoted from the law
 * (一至三年, 一年以上三年以下, 三年以下) is skipped: the decision's own period follows it. Year numbers of 100
 * and more (2019年) are dates, not periods. 终身 (for life) names no period: null.
 *
 * A ban of N months decided on day D ends on the day of the N-th month after D that corresponds to D —
 * or, when that month has no such day, on its last day. That is how the Civil Code counts periods of
 * months and years (the starting day is not counted; the period's last day is the corresponding day of
 * the end month, else its last day): 2024-03-15 + 12 months → 2025-03-15; 2024-02-29 + 12 months →
 * 2025-02-28; 2024-01-31 + 1 month → 2024-02-29 (addMonths clamps to the month's end). That day is the
 * record's publishUntil, the last day it is published.
 */
import { addMonths } from '../publication-periods.js';
import { asciiDigits, chineseNumber } from './chinese-numerals.js';

const NUMERAL = '〇零一二两三四五六七八九十百';
const NUMBER = String.raw`(\d+(?:\.\d+)?|[${NUMERAL}]+)`;
// not preceded by another digit or by the first half of a range (一至三年, 1-3年)
const NOT_AFTER = String.raw`(?<![\d.${NUMERAL}千万至到~～〜—–\-或])`;
// not followed by the second half of a range or by 度 (2019年度)
const NOT_BEFORE = String.raw`(?!\s*(?:度|以上|以下|至|到|或|~|～|〜|—|–|-))`;
const PERIOD = new RegExp(
  String.raw`${NOT_AFTER}(?:${NUMBER}\s*(?:个\s*月|年(半)?(?:\s*零?\s*${NUMBER}\s*个\s*月)?)|(半)\s*年)${NOT_BEFORE}`,
  'gu',
);
const MONTHS_GROUP = /个\s*月$/u;

function numberOf(s: string): number | undefined {
  return /^\d/.test(s) ? Number(s) : chineseNumber(s);
}

/** The months of `m`, or undefined when it is no ban period. */
function monthsOf(m: RegExpMatchArray): number | undefined {
  if (m[4] !== undefined) return 6; // 半年
  const n = numberOf(m[1] ?? '');
  if (n === undefined || n <= 0) return undefined;
  if (MONTHS_GROUP.test(m[0]) && m[3] === undefined) {
    // N个月: an integer count
    return Number.isInteger(n) && n <= 1200 ? n : undefined;
  }
  if (n >= 100) return undefined; // a year of the calendar
  let months = n * 12 + (m[2] !== undefined ? 6 : 0);
  if (m[3] !== undefined) {
    const extra = numberOf(m[3]);
    if (extra === undefined || !Number.isInteger(extra) || extra >= 12) return undefined;
    months += extra;
  }
  return Number.isInteger(months) ? months : undefined;
}

/** The ban period named in a penalty text, or null when it names none. */
export function banPeriodOf(text: string): { months: number } | null {
  for (const m of asciiDigits(text).matchAll(PERIOD)) {
    const months = monthsOf(m);
    if (months !== undefined) return { months };
  }
  return null;
}

/**
 * The last day of the ban a penalty text names, counted from `from` (YYYY-MM-DD, the decision day):
 * addMonths(from, months). Null when the text names no period. Throws RangeError for a `from` that is
 * not YYYY-MM-DD (a caller's mistake, not data).
 */
export function banEnd(text: string, from: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(from)) throw new RangeError(`banEnd: from must be YYYY-MM-DD, got "${from.slice(0, 40)}"`);
  const period = banPeriodOf(text);
  return period === null ? null : addMonths(from, period.months);
}
