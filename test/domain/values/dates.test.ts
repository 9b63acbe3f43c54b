/**
 * Field dates and date ranges (src/domain/values/dates.ts): every published form, every refusal rule,
 * and properties — any day from 1949-01-01 to 2100-12-31 written in each form reads back as that day,
 * days that do not exist are refused, null-likes are null.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NULL_LIKE_TEXTS, parseDate, parseDateRange } from '../../../src/domain/values/index.js';

const DAY_MS = 86_400_000;
const CHINA_MS = 8 * 3_600_000;
const FIRST_DAY = Date.UTC(1949, 0, 1) / DAY_MS;
const LAST_DAY = Date.UTC(2100, 11, 31) / DAY_MS;

const ruleOf = (r: { ok: boolean; problem?: { rule: string } }) => (r.ok ? 'ok' : r.problem?.rule);

describe('parseDate: the published forms', () => {
  it.each<[unknown, string]>([
    ['2024-05-01', '2024-05-01'],
    ['2024/5/1', '2024-05-01'],
    ['2024/05/01', '2024-05-01'],
    ['2024.05.01', '2024-05-01'],
    ['2024.5.1', '2024-05-01'],
    ['20240501', '2024-05-01'],
    [20240501, '2024-05-01'],
    ['2024年5月1日', '2024-05-01'],
    ['2024年05月01日', '2024-05-01'],
    ['2024 年 5 月 1 日', '2024-05-01'],
    ['2024年5月1号', '2024-05-01'],
    ['２０２４年５月１日', '2024-05-01'],
    ['２０２４－０５－０１', '2024-05-01'],
    ['２０２４／５／１', '2024-05-01'],
    ['２０２４．０５．０１', '2024-05-01'],
    ['  2024-05-01\u3000', '2024-05-01'],
    ['2024-05-01 08:00:00', '2024-05-01'],
    ['2024-05-01 23:59', '2024-05-01'],
    ['2024-05-01 00:00:00.0', '2024-05-01'],
    ['2024-05-01T08:00:00', '2024-05-01'],
    ['2024-05-01T08:00:00+08:00', '2024-05-01'],
    ['2024-05-01T07:59:59+0800', '2024-05-01'],
    ['2024-04-30T16:00:00Z', '2024-05-01'],
    ['2024-04-30T15:59:59.999Z', '2024-04-30'],
    ['2024-04-30T23:00:00-05:00', '2024-05-01'],
    ['2024-05-01 08：00：00', '2024-05-01'],
    ['2024年5月1日 08:00:00', '2024-05-01'],
    ['2024年5月1日08:00', '2024-05-01'],
    [1437102570000, '2015-07-17'],
    ['1437102570000', '2015-07-17'],
    [1714492800000, '2024-05-01'], // 2024-05-01T00:00+08:00
    [1714492799999, '2024-04-30'],
    [-662716800000, '1949-01-01'],
    ['/Date(1437102570000)/', '2015-07-17'],
    ['/Date(1437102570000+0800)/', '2015-07-17'],
    ['\\/Date(1437102570000)\\/', '2015-07-17'],
    ['05/08/2020', '2020-05-08'],
    ['5/8/2020', '2020-05-08'],
    ['12/31/2020 10:00:00', '2020-12-31'],
    ['二〇二〇年五月八日', '2020-05-08'],
    ['二○二○年十二月三十一日', '2020-12-31'],
    ['二零一九年十月一日', '2019-10-01'],
    ['二〇二〇年二月二十九日', '2020-02-29'],
    ['2020年五月八日', '2020-05-08'],
    ['1949-01-01', '1949-01-01'],
    ['2100-12-31', '2100-12-31'],
    ['2000-02-29', '2000-02-29'],
  ])('%j → %s', (input, day) => {
    expect(parseDate(input)).toEqual({ ok: true, value: day });
  });
});

describe('parseDate: refusals', () => {
  it.each<[unknown, string]>([
    ['2023-02-29', 'value.date'],
    ['1900-02-29', 'value.date'],
    ['2024-04-31', 'value.date'],
    ['2024-13-01', 'value.date'],
    ['2024-00-10', 'value.date'],
    ['20230229', 'value.date'],
    [20231301, 'value.date'],
    ['2023年2月29日', 'value.date'],
    ['二〇二三年二月二十九日', 'value.date'],
    ['13/05/2020', 'value.date'], // day/month/year is never assumed
    ['02/30/2020', 'value.date'],
    ['2024-05-01 24:00:00', 'value.date'],
    ['2024-05-01 08:60', 'value.date'],
    ['2024-05-01T08:00:00+15:00', 'value.date'],
    ['2024-05', 'value.date'],
    ['24-05-01', 'value.date'],
    ['2024-05/01', 'value.date'],
    ['2024年', 'value.date'],
    ['明天', 'value.date'],
    ['不详', 'value.date'],
    [1437102570, 'value.date'], // epoch seconds
    [45413, 'value.date'], // a spreadsheet serial
    [0, 'value.date'],
    [20240501.5, 'value.date'],
    [Number.POSITIVE_INFINITY, 'value.date'],
    [true, 'value.date'],
    [{ date: '2024-05-01' }, 'value.date'],
    [['2024-05-01'], 'value.date'],
    ['1948-12-31', 'value.date_range'],
    ['2101-01-01', 'value.date_range'],
    ['0001-01-01', 'value.date_range'],
    ['18000101', 'value.date_range'],
    ['9999年12月31日', 'value.date_range'],
    ['/Date(-62135596800000)/', 'value.date_range'], // .NET DateTime.MinValue
    ['/Date(99999999999999999999)/', 'value.date_range'],
    ['9999999999999', 'value.date_range'],
    [-662716800001, 'value.date_range'],
    [4133952000000, 'value.date_range'], // 2101-01-01T00:00+08:00
    ['1948-12-31T16:00:00Z', 'ok'], // 1949-01-01 in China
    ['2100-12-31T16:00:00Z', 'value.date_range'], // 2101-01-01 in China
  ])('%j → %s', (input, rule) => {
    expect(ruleOf(parseDate(input))).toBe(rule);
  });

  it('names the value and the rule in both languages, and says that day/month/year is never assumed', () => {
    const r = parseDate('13/05/2020');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problem.zh).toContain('13/05/2020');
    expect(r.problem.en).toContain('13/05/2020');
    expect(r.problem.en).toContain('day/month/year is never assumed');
    const range = parseDate('1948-12-31');
    expect(range.ok || range.problem.zh).toContain('1949–2100');
  });

  it('quotes at most 40 characters of the value and masks identity-number-like digit runs', () => {
    const r = parseDate(`11010119900101123X ${'x'.repeat(100)}`);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problem.en).not.toMatch(/\d{15}/);
    expect(r.problem.zh).not.toContain('x'.repeat(41));
  });
});

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

const CN_DIGITS = '〇一二三四五六七八九';
const cnPart = (n: number) => (n < 10 ? CN_DIGITS[n]! : `${n >= 20 ? CN_DIGITS[Math.floor(n / 10)]! : ''}十${n % 10 === 0 ? '' : CN_DIGITS[n % 10]!}`);
const cnYear = (y: number) => Array.from(String(y), (d) => CN_DIGITS[Number(d)]!).join('');
const fullWidth = (s: string) => s.replace(/[0-9./:-]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
const p2 = (n: number) => String(n).padStart(2, '0');

/** Every written form of a day (`dayIndex` days since 1970-01-01) at `msInDay` into that China day. */
function forms(dayIndex: number, msInDay: number, offsetMinutes: number): unknown[] {
  const date = new Date(dayIndex * DAY_MS);
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth() + 1;
  const d = date.getUTCDate();
  const iso = `${y}-${p2(m)}-${p2(d)}`;
  const instant = dayIndex * DAY_MS - CHINA_MS + msInDay;
  const local = new Date(dayIndex * DAY_MS + msInDay).toISOString().slice(11, 19);
  const shifted = new Date(instant + offsetMinutes * 60_000).toISOString().slice(0, 19);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const zone = `${sign}${p2(Math.floor(Math.abs(offsetMinutes) / 60))}:${p2(Math.abs(offsetMinutes) % 60)}`;
  const out: unknown[] = [
    iso,
    `${y}/${m}/${d}`,
    `${y}/${p2(m)}/${p2(d)}`,
    `${y}.${p2(m)}.${p2(d)}`,
    `${y}.${m}.${d}`,
    `${y}${p2(m)}${p2(d)}`,
    Number(`${y}${p2(m)}${p2(d)}`),
    `${y}年${m}月${d}日`,
    `${y}年${p2(m)}月${p2(d)}日`,
    fullWidth(`${y}年${p2(m)}月${p2(d)}日`),
    fullWidth(iso),
    `${iso} ${local}`,
    `${iso}T${local}`,
    `${iso}T${local}+08:00`,
    new Date(instant).toISOString(),
    `${shifted}${zone}`,
    `${p2(m)}/${p2(d)}/${y}`,
    `${m}/${d}/${y}`,
    `${cnYear(y)}年${cnPart(m)}月${cnPart(d)}日`,
    `/Date(${instant})/`,
    `/Date(${instant}+0800)/`,
  ];
  if (Math.abs(instant) >= 1e11) out.push(instant);
  if (instant >= 1e12) out.push(String(instant));
  return out;
}

const anyDay = fc.integer({ min: FIRST_DAY, max: LAST_DAY });
const isoOf = (dayIndex: number) => new Date(dayIndex * DAY_MS).toISOString().slice(0, 10);

describe('parseDate: properties', () => {
  it('every form of any day from 1949-01-01 to 2100-12-31 reads back as that day', () => {
    fc.assert(
      fc.property(anyDay, fc.integer({ min: 0, max: DAY_MS - 1 }), fc.integer({ min: -12 * 60, max: 14 * 60 }), (day, ms, offset) => {
        const expected = isoOf(day);
        for (const form of forms(day, ms, offset)) {
          expect([form, parseDate(form)]).toEqual([form, { ok: true, value: expected }]);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('the first and last days, at the first and last instant of the China day', () => {
    for (const day of [FIRST_DAY, LAST_DAY]) {
      for (const ms of [0, DAY_MS - 1]) {
        for (const form of forms(day, ms, 0)) expect(parseDate(form)).toEqual({ ok: true, value: isoOf(day) });
      }
    }
  });

  it('days that do not exist are refused in every form, never rolled over', () => {
    const badDay = fc
      .record({ y: fc.integer({ min: 1949, max: 2100 }), m: fc.integer({ min: 1, max: 12 }), d: fc.integer({ min: 0, max: 31 }) })
      .filter(({ y, m, d }) => d === 0 || d > new Date(Date.UTC(y, m, 0)).getUTCDate());
    fc.assert(
      fc.property(badDay, ({ y, m, d }) => {
        for (const form of [
          `${y}-${p2(m)}-${p2(d)}`,
          `${y}/${m}/${d}`,
          `${y}.${p2(m)}.${p2(d)}`,
          `${y}${p2(m)}${p2(d)}`,
          `${y}年${m}月${d}日`,
          `${p2(m)}/${p2(d)}/${y}`,
          `${y}-${p2(m)}-${p2(d)} 08:00:00`,
          `${y}-${p2(m)}-${p2(d)}T08:00:00+08:00`,
        ]) {
          expect([form, ruleOf(parseDate(form))]).toEqual([form, 'value.date']);
        }
      }),
    );
  });

  it('every null-like is null, padded with any whitespace', () => {
    const pad = fc.constantFrom('', ' ', '\u3000', '\t', ' \u3000 ', '\u00a0', '\ufeff');
    fc.assert(
      fc.property(fc.constantFrom<unknown>(...NULL_LIKE_TEXTS, 'NULL', 'None', 'N/A', ''), pad, pad, (v, a, b) => {
        const text = typeof v === 'string' ? `${a}${v}${b}` : v;
        expect(parseDate(text)).toEqual({ ok: true, value: null });
        expect(parseDateRange(text)).toEqual({ ok: true, value: null });
      }),
    );
    for (const v of [undefined, null, Number.NaN]) {
      expect(parseDate(v)).toEqual({ ok: true, value: null });
      expect(parseDateRange(v)).toEqual({ ok: true, value: null });
    }
  });
});

// ---------------------------------------------------------------------------
// Ranges
// ---------------------------------------------------------------------------

const range = (from: string | null, until: string | null, indefinite = false) => ({ ok: true, value: { from, until, indefinite } });

describe('parseDateRange', () => {
  it.each<[unknown, ReturnType<typeof range>]>([
    ['2019.04.08-2019.10.07', range('2019-04-08', '2019-10-07')],
    ['2019-04-08-2019-10-07', range('2019-04-08', '2019-10-07')],
    ['2019-04-08至2019-10-07', range('2019-04-08', '2019-10-07')],
    ['2019-04-08到2019-10-07', range('2019-04-08', '2019-10-07')],
    ['2019年4月8日至2020年4月7日', range('2019-04-08', '2020-04-07')],
    ['2019.04.08—2019.10.07', range('2019-04-08', '2019-10-07')],
    ['2019.04.08——2019.10.07', range('2019-04-08', '2019-10-07')],
    ['2019.04.08–2019.10.07', range('2019-04-08', '2019-10-07')],
    ['2019-04-08 ~ 2019-10-07', range('2019-04-08', '2019-10-07')],
    ['2019-04-08～2019-10-07', range('2019-04-08', '2019-10-07')],
    ['2019-04-08 - 2019-10-07', range('2019-04-08', '2019-10-07')],
    ['20190408-20191007', range('2019-04-08', '2019-10-07')],
    ['２０１９－０４－０８－２０１９－１０－０７', range('2019-04-08', '2019-10-07')],
    ['2019/4/8-2019/10/7', range('2019-04-08', '2019-10-07')],
    ['04/08/2019-10/07/2019', range('2019-04-08', '2019-10-07')],
    ['自2019年4月8日起至2020年4月7日止', range('2019-04-08', '2020-04-07')],
    ['从2019年4月8日到2020年4月7日', range('2019-04-08', '2020-04-07')],
    ['二〇一九年四月八日至二〇二〇年四月七日', range('2019-04-08', '2020-04-07')],
    ['2019-04-08 08:00:00至2019-10-07 23:59:59', range('2019-04-08', '2019-10-07')],
    ['2019-04-08至2019-04-08', range('2019-04-08', '2019-04-08')],
    ['2019-04-08至长期', range('2019-04-08', null, true)],
    ['2019-04-08-长期', range('2019-04-08', null, true)],
    ['自2019年4月8日起至永久', range('2019-04-08', null, true)],
    ['2019-04-08至长期有效', range('2019-04-08', null, true)],
    ['长期', range(null, null, true)],
    ['永久', range(null, null, true)],
    [' 长期有效 ', range(null, null, true)],
    ['2019-04-08', range(null, '2019-04-08')],
    ['2019年4月8日', range(null, '2019-04-08')],
    [20190408, range(null, '2019-04-08')],
    [1437102570000, range(null, '2015-07-17')],
    ['自2019年4月8日起', range('2019-04-08', null)],
    ['2019-04-08起', range('2019-04-08', null)],
    ['2019-04-08至', range('2019-04-08', null)],
    ['2019-04-08至无', range('2019-04-08', null)],
    ['至2019-10-07', range(null, '2019-10-07')],
  ])('%j', (input, expected) => {
    expect(parseDateRange(input)).toEqual(expected);
  });

  it.each<[unknown, string]>([
    ['2019-10-08至2019-04-07', 'value.range_order'],
    ['2019-10-08-2019-04-07', 'value.range_order'],
    ['2019-04-08-2019-02-30', 'value.date'],
    ['2019-02-30至2019-04-08', 'value.date'],
    ['2019-02-30', 'value.date'],
    ['2019-04-08至2101-01-01', 'value.date_range'],
    ['1900-01-01', 'value.date_range'],
    ['2019-04-08至某日', 'value.range'],
    ['长期至2019-04-08', 'value.range'],
    ['至', 'value.range'],
    ['有时', 'value.range'],
    [{}, 'value.date'],
    [1437102570, 'value.date'],
  ])('%j → %s', (input, rule) => {
    expect(ruleOf(parseDateRange(input))).toBe(rule);
  });

  it('property: any two ordered days, each in any form, with any separator, read back as that range', () => {
    const writeDay = (dayIndex: number, form: number) => {
      const all = forms(dayIndex, 0, 0).filter((f): f is string => typeof f === 'string' && !f.startsWith('/Date'));
      return all[form % all.length]!;
    };
    fc.assert(
      fc.property(
        anyDay,
        anyDay,
        fc.nat(100),
        fc.nat(100),
        fc.constantFrom('-', ' - ', '至', '到', '—', '——', '–', '~', ' ~ ', '～', '－'),
        (a, b, fa, fb, sep) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const text = `${writeDay(lo, fa)}${sep}${writeDay(hi, fb)}`;
          expect([text, parseDateRange(text)]).toEqual([text, range(isoOf(lo), isoOf(hi))]);
          const reversed = `${writeDay(hi, fa)}${sep}${writeDay(lo, fb)}`;
          expect([reversed, ruleOf(parseDateRange(reversed))]).toEqual([reversed, lo === hi ? 'ok' : 'value.range_order']);
        },
      ),
      { numRuns: 500 },
    );
  });
});
