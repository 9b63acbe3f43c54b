/**
 * Dates and date ranges as published in government credit data, read into calendar days
 * (YYYY-MM-DD, China Standard Time). Pure functions only: no clock.
 *
 * parseDate reads:
 *   2024-05-01, 2024/5/1, 2024.05.01, 2024.5.1        year first, the same separator twice
 *   20240501                                         8 digits, as a string or a number
 *   2024年5月1日, 2024年05月01日, 二〇二〇年五月八日      digits or Chinese numerals, 日/号 optional
 *   05/08/2020                                       month/day/year, as one national site publishes;
 *                                                    day/month/year is never assumed (13/05/2020 is refused)
 *   any of the above + " 08:00:00" / "T08:00:00" / ".0" fractions: the day as written (a time without
 *     a zone is China time); with a zone ("Z", "+08:00", "+0800", "-05") the instant is converted to the
 *     China Standard Time day
 *   1437102570000 (number) or "1437102570000" (13-digit string): epoch milliseconds → China day
 *   /Date(1437102570000)/, /Date(1437102570000+0800)/ (ASP.NET JSON; the offset does not change the instant)
 * Full-width digits and punctuation are read as ASCII. A numeric epoch must be at least 10^11 in size
 * (an instant from 1973-03-03 on, or before 1966-10-31): smaller integers other than 8-digit dates are
 * refused, since epoch seconds (1437102570), spreadsheet serials (45413) and counters look the same.
 *
 * Rules: `value.date` (not a date, or a day that does not exist: 2023-02-29 is refused, never rolled
 * over), `value.date_range` (a year outside 1949–2100).
 */
import { asciiDigits, chineseNumber } from './chinese-numerals.js';
import type { Parsed, ValueProblem } from './parsed.js';
import { isNullLike, shownValue, textValue } from './null-like.js';

export const DATE_YEAR_FIRST = 1949;
export const DATE_YEAR_LAST = 2100;

const CHINA_OFFSET_MS = 8 * 3_600_000;
const FIRST_INSTANT_MS = Date.UTC(DATE_YEAR_FIRST, 0, 1) - CHINA_OFFSET_MS;
const END_INSTANT_MS = Date.UTC(DATE_YEAR_LAST + 1, 0, 1) - CHINA_OFFSET_MS; // exclusive
const SMALLEST_EPOCH_MS = 1e11;
/** Longer texts are no date (the longest form, with a time and zone, has 35 characters); this bounds the work. */
const LONGEST_DATE_TEXT = 64;
/** Shorter texts are no date: every form has at least 8 characters (20240501, 2024-5-1, 5/8/2020, 2024年5月1). */
const SHORTEST_DATE_TEXT = 8;
const LONGEST_RANGE_TEXT = 2 * LONGEST_DATE_TEXT + 16;

/** What a single-date reading gives; `recognised` tells a day that does not exist from a text that is no date. */
type Outcome = { ok: true; day: string } | { ok: false; problem: ValueProblem; recognised: boolean };

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
}

// A failed reading builds its message only when asked: a range is read by trying its parts as dates,
// and most of those tries fail.
class Failure {
  readonly ok = false;
  #problem: ValueProblem | undefined;
  constructor(
    readonly recognised: boolean,
    private readonly problemOf: () => ValueProblem,
  ) {}

  get problem(): ValueProblem {
    return (this.#problem ??= this.problemOf());
  }
}

function failure(recognised: boolean, problemOf: () => ValueProblem): Outcome {
  return new Failure(recognised, problemOf);
}

function unrecognised(v: unknown): Outcome {
  return failure(false, () => {
    const shown = shownValue(v);
    return {
      rule: 'value.date',
      zh: `无法识别的日期“${shown}”：应为 2024-05-01、2024/5/1、2024.05.01、20240501、2024年5月1日、05/08/2020（月/日/年）或毫秒时间戳等形式`,
      en: `unrecognised date "${shown}": expected a form such as 2024-05-01, 2024/5/1, 2024.05.01, 20240501, 2024年5月1日, 05/08/2020 (month/day/year) or epoch milliseconds`,
    };
  });
}

function refused(v: unknown, zh: string, en: string): Outcome {
  return failure(true, () => {
    const shown = shownValue(v);
    return { rule: 'value.date', zh: `日期“${shown}”${zh}`, en: `date "${shown}" ${en}` };
  });
}

function outOfRange(v: unknown): Outcome {
  return failure(true, () => {
    const shown = shownValue(v);
    return {
      rule: 'value.date_range',
      zh: `日期“${shown}”超出 ${DATE_YEAR_FIRST}–${DATE_YEAR_LAST} 年的范围`,
      en: `date "${shown}" is outside the years ${DATE_YEAR_FIRST}–${DATE_YEAR_LAST}`,
    };
  });
}

/** The China Standard Time day of an epoch instant, or a range problem. */
function dayOfInstant(ms: number, v: unknown): Outcome {
  if (!(ms >= FIRST_INSTANT_MS && ms < END_INSTANT_MS)) return outOfRange(v);
  return { ok: true, day: new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 10) };
}

interface TimeOfDay {
  hour: number;
  minute: number;
  second: number;
  /** minutes east of UTC; undefined for a time without a zone (China time) */
  offset: number | undefined;
}

/** Month/day checked against the calendar, the time of day applied, the year range checked. */
function calendarDay(v: unknown, year: number, month: number, day: number, time: TimeOfDay | undefined, usOrder = false): Outcome {
  if (month < 1 || month > 12) {
    return usOrder
      ? refused(v, `不存在：没有${month}月（按 月/日/年 读，从不按 日/月/年 读）`, `does not exist: there is no month ${month} (read as month/day/year; day/month/year is never assumed)`)
      : refused(v, `不存在：没有${month}月`, `does not exist: there is no month ${month}`);
  }
  if (day < 1 || day > daysInMonth(year, month)) {
    return refused(v, `不存在：${year}年${month}月没有${day}日`, `does not exist: ${year}-${pad2(month)} has no day ${day}`);
  }
  if (year < 1000) return outOfRange(v);
  if (time !== undefined) {
    if (time.hour > 23 || time.minute > 59 || time.second > 59) {
      return refused(v, '中的时间不存在', 'has a time of day that does not exist');
    }
    if (time.offset !== undefined) {
      const ms = Date.UTC(year, month - 1, day, time.hour, time.minute, time.second) - time.offset * 60_000;
      return dayOfInstant(ms, v);
    }
  }
  if (year < DATE_YEAR_FIRST || year > DATE_YEAR_LAST) return outOfRange(v);
  return { ok: true, day: `${year}-${pad2(month)}-${pad2(day)}` };
}

function zoneOffset(zone: string): number | undefined {
  if (zone.toUpperCase() === 'Z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
  if (!m) return undefined;
  const hours = Number(m[2]);
  const minutes = Number(m[3] ?? '0');
  if (hours > 14 || minutes > 59) return undefined;
  return (m[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

/** The time tail after a date: " 08:00", " 08:00:00", "T08:00:00.000+08:00"; `lead` is what may separate it from the date. */
const timeTail = (lead: string) => String.raw`(?:(?:${lead})(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?`;

const YEAR_FIRST = new RegExp(String.raw`^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})${timeTail(String.raw`\s+|T`)}$`, 'i');
const MONTH_FIRST = new RegExp(String.raw`^(\d{1,2})/(\d{1,2})/(\d{4})${timeTail(String.raw`\s+|T`)}$`, 'i');
const CN_YEAR = String.raw`\d{4}|[〇○◯零一二三四五六七八九]{4}`;
const CN_PART = String.raw`\d{1,2}|[〇○◯零一二两三四五六七八九十]{1,3}`;
const CHINESE = new RegExp(
  String.raw`^(${CN_YEAR})\s*年\s*(${CN_PART})\s*月\s*(${CN_PART})\s*[日号]?${timeTail(String.raw`(?<=[日号])\s*|\s+|T`)}$`,
  'iu',
);
const ASP_NET = /^\\?\/Date\((-?\d+)(?:[+-]\d{4})?\)\\?\/$/;

function timeOf(m: RegExpExecArray, first: number): TimeOfDay | undefined | null {
  if (m[first] === undefined) return undefined;
  const zone = m[first + 3];
  const offset = zone === undefined ? undefined : zoneOffset(zone);
  if (zone !== undefined && offset === undefined) return null;
  return { hour: Number(m[first]), minute: Number(m[first + 1]), second: Number(m[first + 2] ?? '0'), offset };
}

function numberPart(s: string): number | undefined {
  return /^\d+$/.test(s) ? Number(s) : chineseNumber(s);
}

/** One date written as text (`v` is what messages quote). */
function dayOfText(text: string, v: unknown): Outcome {
  const s = asciiDigits(textValue(text) ?? '');
  if (s.length > LONGEST_DATE_TEXT || s.length < SHORTEST_DATE_TEXT) return unrecognised(v);
  let m = ASP_NET.exec(s);
  if (m) {
    const digits = (m[1] ?? '').replace(/^-?0*/, '');
    return digits.length > 16 ? outOfRange(v) : dayOfInstant(Number(m[1]), v);
  }
  if (/^\d{13}$/.test(s)) return dayOfInstant(Number(s), v);
  if (/^\d{8}$/.test(s)) return calendarDay(v, Number(s.slice(0, 4)), Number(s.slice(4, 6)), Number(s.slice(6, 8)), undefined);
  m = YEAR_FIRST.exec(s);
  if (m) {
    const time = timeOf(m, 5);
    if (time === null) return unrecognised(v);
    return calendarDay(v, Number(m[1]), Number(m[3]), Number(m[4]), time);
  }
  m = MONTH_FIRST.exec(s);
  if (m) {
    const time = timeOf(m, 4);
    if (time === null) return unrecognised(v);
    return calendarDay(v, Number(m[3]), Number(m[1]), Number(m[2]), time, true);
  }
  m = CHINESE.exec(s);
  if (m) {
    const year = numberPart(m[1] ?? '');
    const month = numberPart(m[2] ?? '');
    const day = numberPart(m[3] ?? '');
    const time = timeOf(m, 4);
    if (year === undefined || month === undefined || day === undefined || time === null) return unrecognised(v);
    return calendarDay(v, year, month, day, time);
  }
  return unrecognised(v);
}

/** One date of any accepted type; null-likes are handled by the callers. */
function dayOf(v: unknown): Outcome {
  if (typeof v === 'string') return dayOfText(v, v);
  if (typeof v !== 'number') return unrecognised(v);
  if (!Number.isInteger(v)) return unrecognised(v);
  if (v >= 10_000_000 && v <= 99_999_999) return dayOfText(String(v), v);
  if (Math.abs(v) < SMALLEST_EPOCH_MS) return unrecognised(v);
  return dayOfInstant(v, v);
}

/** A date as 'YYYY-MM-DD' (China Standard Time), null for a null-like value (see null-like.ts). */
export function parseDate(v: unknown): Parsed<string | null> {
  if (isNullLike(v)) return { ok: true, value: null };
  const outcome = dayOf(v);
  return outcome.ok ? { ok: true, value: outcome.day } : { ok: false, problem: outcome.problem };
}

// ---------------------------------------------------------------------------
// Date ranges (有效期, 公示期, 禁入期)
// ---------------------------------------------------------------------------

/**
 * A range of days, both ends included. `indefinite` is true for 长期/永久: no end at all, which is not
 * the same as an end that is not known (`until` null, `indefinite` false).
 */
export interface DateRange {
  from: string | null;
  until: string | null;
  indefinite: boolean;
}

/** The texts (after trimming) that say "no end": as a whole value, or as the end of a range. */
export const INDEFINITE_TEXTS: readonly string[] = ['长期', '永久', '长期有效', '永久有效', '无期限', '无限期'];

// the separator between two dates; a "-" inside an ISO date is told apart by trying every split
const SEPARATOR = /\s*(?:——|--|—|–|-|~|～|〜|至|到)\s*/gu;
const OPENING = /^(?:自|从)\s*/u;
const STARTS = /\s*起$/u;
const ENDS = /\s*止$/u;

type Side = { ok: true; day: string | null; indefinite: boolean } | { ok: false; problem: ValueProblem; recognised: boolean };

function sideOf(text: string, original: unknown, end: 'from' | 'until'): Side {
  const t = textValue(text) ?? '';
  if (t === '' || isNullLike(t)) return { ok: true, day: null, indefinite: false };
  if (end === 'until' && INDEFINITE_TEXTS.includes(t)) return { ok: true, day: null, indefinite: true };
  const outcome = dayOfText(t, original);
  return outcome.ok ? { ok: true, day: outcome.day, indefinite: false } : outcome;
}

function rangeProblem(v: unknown): ValueProblem {
  const shown = shownValue(v);
  return {
    rule: 'value.range',
    zh: `无法识别的期限“${shown}”：应为 2019-04-08至2019-10-07、2019.04.08-2019.10.07、2019年4月8日至2020年4月7日、2019-04-08至长期、长期 或单个日期等形式`,
    en: `unrecognised date range "${shown}": expected a form such as 2019-04-08至2019-10-07, 2019.04.08-2019.10.07, 2019年4月8日至2020年4月7日, 2019-04-08至长期, 长期 or a single date`,
  };
}

function ordered(range: DateRange, v: unknown): Parsed<DateRange> {
  if (range.from !== null && range.until !== null && range.from > range.until) {
    const shown = shownValue(v);
    return {
      ok: false,
      problem: {
        rule: 'value.range_order',
        zh: `期限“${shown}”的起始日 ${range.from} 晚于截止日 ${range.until}`,
        en: `date range "${shown}" starts on ${range.from}, after its end ${range.until}`,
      },
    };
  }
  return { ok: true, value: range };
}

/**
 * A range of days, or null for a null-like value. Forms:
 *   2019.04.08-2019.10.07, 2019-04-08-2019-10-07, 2019-04-08至2019-10-07, 2019-04-08 ~ 2019-10-07,
 *   2019.04.08—2019.10.07, 2019年4月8日至2020年4月7日, 自2019年4月8日起至2020年4月7日止
 *     — each end in any form parseDate reads; separators 至 到 - -- — —— – ~ ～ 〜
 *   2019-04-08至长期 (also 永久 …, see INDEFINITE_TEXTS)   → { from, until: null, indefinite: true }
 *   长期 / 永久 alone                                      → { from: null, until: null, indefinite: true }
 *   a single date                                         → { from: null, until: date } (the end of the range:
 *                                                            a lone date in a period field is its last day)
 *   自2019年4月8日起 / 2019-04-08起                         → { from: date, until: null }
 *   2019-04-08至 / 至2019-10-07 (a missing or null-like end) → that end null
 * Rules: those of parseDate for either end, `value.range_order` (from after until), `value.range` (no
 * reading, or two different readings).
 */
export function parseDateRange(v: unknown): Parsed<DateRange | null> {
  if (isNullLike(v)) return { ok: true, value: null };
  if (typeof v !== 'string') {
    const outcome = dayOf(v);
    return outcome.ok ? { ok: true, value: { from: null, until: outcome.day, indefinite: false } } : { ok: false, problem: outcome.problem };
  }
  const s = asciiDigits(textValue(v) ?? '');
  if (s.length > LONGEST_RANGE_TEXT) return { ok: false, problem: rangeProblem(v) };
  if (INDEFINITE_TEXTS.includes(s)) return { ok: true, value: { from: null, until: null, indefinite: true } };

  const whole = dayOfText(s, v);
  if (whole.ok) return { ok: true, value: { from: null, until: whole.day, indefinite: false } };
  if (STARTS.test(s)) {
    const start = dayOfText(s.replace(OPENING, '').replace(STARTS, ''), v);
    if (start.ok) return { ok: true, value: { from: start.day, until: null, indefinite: false } };
  }

  const readings: DateRange[] = [];
  let informative: ValueProblem | undefined;
  for (const m of s.matchAll(SEPARATOR)) {
    const at = m.index ?? 0;
    const from = sideOf(s.slice(0, at).replace(OPENING, '').replace(STARTS, ''), v, 'from');
    // a start that is no date at all gives this split neither a reading nor a problem to report
    // (a dash inside an ISO date splits it there): its end is not read
    if (!from.ok && !from.recognised) continue;
    const until = sideOf(s.slice(at + m[0].length).replace(ENDS, ''), v, 'until');
    if (from.ok && until.ok) {
      if (from.day !== null || until.day !== null || until.indefinite) {
        readings.push({ from: from.day, until: until.day, indefinite: until.indefinite });
      }
    } else if (informative === undefined && (from.ok || until.ok)) {
      const failed = from.ok ? until : from;
      if (!failed.ok && failed.recognised) informative = failed.problem;
    }
  }
  const [first, ...others] = readings;
  if (first !== undefined) {
    const same = (r: DateRange) => r.from === first.from && r.until === first.until && r.indefinite === first.indefinite;
    return others.every(same) ? ordered(first, v) : { ok: false, problem: rangeProblem(v) };
  }
  if (informative !== undefined) return { ok: false, problem: informative };
  if (whole.recognised) return { ok: false, problem: whole.problem };
  return { ok: false, problem: rangeProblem(v) };
}
