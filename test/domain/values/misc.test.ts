/**
 * The smaller field-value rules of src/domain/values: null-likes and textValue, the quoted value of
 * messages, Chinese numerals (round trip over 0..99 999 against a renderer written here), full-width
 * digits, placeholder codes, and the ban period of a penalty text with its last day.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addMonths } from '../../../src/domain/publication-periods.js';
import { isSpaceCode } from '../../../src/domain/values/null-like.js';
import {
  NULL_LIKE_TEXTS,
  asciiDigits,
  banEnd,
  banPeriodOf,
  chineseNumber,
  isNullLike,
  isPlaceholderCode,
  parseAmount,
  parseDate,
  parseDateRange,
  placeholderWarning,
  shownValue,
  textValue,
} from '../../../src/domain/values/index.js';

describe('isNullLike and textValue', () => {
  it('counts as a space exactly the code units \\s matches, and U+200B–U+200D and U+2060', () => {
    const SPACE = /^[\s\u200b-\u200d\u2060]$/;
    const differ: string[] = [];
    for (let c = 0; c <= 0xffff; c++) if (isSpaceCode(c) !== SPACE.test(String.fromCharCode(c))) differ.push(c.toString(16));
    expect(differ).toEqual([]);
  });

  it.each<unknown>([
    undefined,
    null,
    Number.NaN,
    '',
    ' ',
    '\u3000',
    '\u3000 \t\r\n',
    '\u00a0',
    '\ufeff',
    '\u200b',
    '无',
    '暂无',
    '空',
    '/',
    '／',
    '-',
    '--',
    '－',
    '－－',
    '—',
    '——',
    'null',
    'NULL',
    'Null',
    'None',
    'NONE',
    'N/A',
    'n/a',
    ' 无 ',
    '\u3000暂无\u3000',
  ])('%j is null-like', (v) => {
    expect(isNullLike(v)).toBe(true);
    expect(textValue(v)).toBeNull();
  });

  it.each<unknown>(['不详', '未知', '0', 0, '无限期', '无锡', '-1', 'nul', 'N/A/B', '———', false, Number.POSITIVE_INFINITY])('%j is a value', (v) => {
    expect(isNullLike(v)).toBe(false);
  });

  it('trims both ends (full-width spaces too), keeps line breaks and tabs inside, stringifies numbers', () => {
    expect(textValue('\u3000 第一项\r\n第二项\t完 \u3000')).toBe('第一项\r\n第二项\t完');
    expect(textValue(12.5)).toBe('12.5');
    expect(textValue(0)).toBe('0');
    expect(textValue(10n)).toBe('10');
    expect(textValue(true)).toBe('true');
    expect(textValue({ a: 1 })).toBeNull();
    expect(textValue(['a'])).toBeNull();
  });

  it('the documented list is what is null-like', () => {
    expect(NULL_LIKE_TEXTS).not.toContain('不详');
    for (const t of NULL_LIKE_TEXTS) expect(isNullLike(t)).toBe(true);
  });

  it('property: textValue never answers the empty string, and answers null exactly for null-likes', () => {
    const anyValue = fc.oneof(
      fc.string(),
      fc.string({ unit: fc.constantFrom(' ', '\u3000', '\t', '\r', '\n', '\u00a0', '\ufeff', '无', '-', 'a', '—', '/') }),
      fc.constantFrom<unknown>(...NULL_LIKE_TEXTS, undefined, null),
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.object(),
    );
    fc.assert(
      fc.property(anyValue, (v) => {
        const text = textValue(v);
        expect(text).not.toBe('');
        if (isNullLike(v)) expect(text).toBeNull();
        if (typeof v === 'string' && text !== null) expect(v).toContain(text);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('shownValue', () => {
  it('cuts at 40 characters and turns line breaks into spaces', () => {
    expect(shownValue('a'.repeat(40))).toBe('a'.repeat(40));
    expect(shownValue('字'.repeat(41))).toBe(`${'字'.repeat(40)}…`);
    expect(shownValue('a\r\nb\tc')).toBe('a b c');
    expect(shownValue(undefined)).toBe('undefined');
    expect(shownValue({})).toBe('[object]');
  });

  it('property: never shows a run of 15 or more digits', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('1', '2', '０', 'X', 'x', ' ', '字', '-') }), (s) => {
        expect(asciiDigits(shownValue(s))).not.toMatch(/\d{15}/);
      }),
      { numRuns: 2000 },
    );
  });
});

// ---------------------------------------------------------------------------
// Chinese numerals
// ---------------------------------------------------------------------------

const DIGITS = '零一二三四五六七八九';

/** The standard reading of 0 <= n < 10^8: 零, 十二, 一百零五, 一万零一十, 十万. */
function renderChinese(n: number): string {
  if (n === 0) return '零';
  const section = (v: number, leadingTen: boolean): string => {
    let out = '';
    let gap = false;
    for (const [unit, size] of [
      ['千', 1000],
      ['百', 100],
      ['十', 10],
      ['', 1],
    ] as const) {
      const d = Math.floor(v / size) % 10;
      if (d === 0) {
        if (out !== '') gap = true;
        continue;
      }
      if (gap) out += '零';
      gap = false;
      out += leadingTen && out === '' && unit === '十' && d === 1 ? '十' : `${DIGITS[d]!}${unit}`;
    }
    return out;
  };
  const high = Math.floor(n / 10_000);
  const low = n % 10_000;
  if (high === 0) return section(low, true);
  return `${section(high, true)}万${low === 0 ? '' : `${low < 1000 ? '零' : ''}${section(low, false)}`}`;
}

describe('chineseNumber', () => {
  it.each<[string, number]>([
    ['零', 0],
    ['〇', 0],
    ['一', 1],
    ['两', 2],
    ['十', 10],
    ['十二', 12],
    ['一十二', 12],
    ['二十', 20],
    ['二十五', 25],
    ['一百', 100],
    ['一百零五', 105],
    ['一百〇五', 105],
    ['一百一十', 110],
    ['两百', 200],
    ['两千', 2000],
    ['两千零一十', 2010],
    ['一千零五十', 1050],
    ['九千九百九十九', 9999],
    ['一万', 10_000],
    ['两万', 20_000],
    ['一万零五', 10_005],
    ['一万零十二', 10_012],
    ['一万零五百', 10_500],
    ['一万五千', 15_000],
    ['十万', 100_000],
    ['十二万', 120_000],
    ['一百万零一', 1_000_001],
    ['九千九百九十九万九千九百九十九', 99_999_999],
    ['二〇二〇', 2020],
    ['二○二四', 2024],
    ['二零一九', 2019],
    [' 十二 ', 12],
  ])('%s → %d', (s, n) => {
    expect(chineseNumber(s)).toBe(n);
  });

  it.each<string>([
    '',
    '十十',
    '一二十',
    '百',
    '千',
    '万',
    '一百五', // 150 or 105? refused
    '一万五',
    '两千三',
    '一百十',
    '二十零五',
    '一千零五百',
    '一百零',
    '零五十',
    '一万万',
    '一亿',
    '12',
    '壹',
    '十二个',
    '两两',
  ])('%j is refused', (s) => {
    expect(chineseNumber(s)).toBeUndefined();
  });

  it('property: the standard reading of every n in 0..99 999 reads back as n', () => {
    for (let n = 0; n <= 99_999; n++) {
      const text = renderChinese(n);
      if (chineseNumber(text) !== n) expect([n, text, chineseNumber(text)]).toEqual([n, text, n]);
    }
    expect(renderChinese(10_010)).toBe('一万零一十');
    expect(renderChinese(105)).toBe('一百零五');
  });

  it('property: the reading of every n up to 9999万 reads back as n', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99_999_999 }), (n) => {
        expect(chineseNumber(renderChinese(n))).toBe(n);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('asciiDigits', () => {
  it('turns full-width digits and ．，：－／＋ into ASCII, and nothing else', () => {
    expect(asciiDigits('０１２３４５６７８９．，：－／＋')).toBe('0123456789.,:-/+');
    expect(asciiDigits('２０２４年５月１日　罚款２，０００元')).toBe('2024年5月1日　罚款2,000元');
    expect(asciiDigits('ＡＢＣ（）')).toBe('ＡＢＣ（）');
  });
});

// ---------------------------------------------------------------------------
// Placeholder codes
// ---------------------------------------------------------------------------

describe('isPlaceholderCode', () => {
  it.each<[string, boolean]>([
    ['000000000000000000', true],
    ['00000000000000000X', true],
    ['00000000000000000x', true],
    ['999999999999999999', true],
    ['111111111111111110', true],
    ['000000000000000', true],
    ['00000000-0', true],
    ['00000000X', true],
    ['000000000', true],
    ['００００００００００００００００００', true],
    ['０００００００００００００００００', false],
    [' 0000 0000 0000 0000 00 ', true],
    ['123456789012345678', false],
    ['000000000000000001', false],
    ['00000000000000000Y', false],
    ['X00000000000000000', false],
    ['0000000000000000', false],
    ['0000000000', false],
    ['91320583MA1XXXXXX0', false],
    ['913205830000000000', false],
    ['', false],
  ])('%j → %s', (code, expected) => {
    expect(isPlaceholderCode(code)).toBe(expected);
  });

  it('property: one digit repeated to 9, 15 or 18 characters, the last maybe X or 0, is a placeholder', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9 }), fc.constantFrom(9, 15, 18), fc.constantFrom('', 'X', 'x', '0'), (d, length, last) => {
        const code = String(d).repeat(last === '' ? length : length - 1) + last;
        expect(isPlaceholderCode(code)).toBe(true);
      }),
    );
  });

  it('property: codes with two different digits before the last place are not', () => {
    fc.assert(
      fc.property(fc.constantFrom(9, 15, 18), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 18, maxLength: 18 }), (length, digits) => {
        const code = digits.slice(0, length).join('');
        fc.pre(new Set(code.slice(0, -1)).size > 1);
        expect(isPlaceholderCode(code)).toBe(false);
      }),
    );
  });

  it('the warning names the rule and the field, and shows no full code', () => {
    const w = placeholderWarning('统一社会信用代码', '00000000000000000X');
    expect(w.rule).toBe('value.placeholder_code');
    expect(w.zh).toContain('统一社会信用代码');
    expect(w.en).toContain('统一社会信用代码');
    expect(`${w.zh}${w.en}`).not.toMatch(/\d{15}/);
  });
});

// ---------------------------------------------------------------------------
// Ban periods
// ---------------------------------------------------------------------------

describe('banPeriodOf', () => {
  it.each<[string, number | null]>([
    ['十二个月内禁止参加政府采购活动', 12],
    ['一年内禁止参加政府采购活动', 12],
    ['三年内禁止参加政府采购活动', 36],
    ['1年内禁止参加政府采购活动', 12],
    ['１年内禁止参加政府采购活动', 12],
    ['6个月内禁止参加政府采购活动', 6],
    ['二年', 24],
    ['两年', 24],
    ['一年半', 18],
    ['1.5年', 18],
    ['半年内', 6],
    ['一年六个月', 18],
    ['1年6个月', 18],
    ['24个月', 24],
    ['二十四个月', 24],
    ['罚款2万元，列入不良行为记录名单，三年内禁止参加政府采购活动', 36],
    ['依据第七十七条“一至三年内禁止参加政府采购活动”，决定一年内禁止参加政府采购活动', 12],
    ['处一年以上三年以下禁止，决定二年内禁止', 24],
    ['2019年4月8日作出处罚决定，6个月内禁止', 6],
    ['二〇一九年四月八日决定', null],
    ['2019年度', null],
    ['终身禁止参加政府采购活动', null],
    ['罚款2万元', null],
    ['警告', null],
    ['', null],
  ])('%s → %s', (text, months) => {
    expect(banPeriodOf(text)).toEqual(months === null ? null : { months });
  });
});

describe('banEnd', () => {
  it.each<[string, string, string | null]>([
    ['三年内禁止', '2024-03-15', '2027-03-15'],
    ['十二个月内禁止', '2024-03-15', '2025-03-15'],
    ['一年内禁止', '2024-01-01', '2025-01-01'],
    ['一个月', '2024-01-31', '2024-02-29'], // no 31 February: the end month's last day
    ['一年', '2024-02-29', '2025-02-28'],
    ['6个月', '2023-12-31', '2024-06-30'],
    ['警告', '2024-03-15', null],
  ])('%s from %s → %s', (text, from, end) => {
    expect(banEnd(text, from)).toBe(end);
  });

  it('refuses a start day that is not YYYY-MM-DD', () => {
    expect(() => banEnd('一年', '2024/3/15')).toThrow(RangeError);
  });

  it('property: N个月 from D ends on addMonths(D, N), after D (the Civil Code\'s corresponding day, else the month\'s last day)', () => {
    const first = Date.UTC(1949, 0, 1) / 86_400_000;
    const last = Date.UTC(2090, 11, 31) / 86_400_000;
    fc.assert(
      fc.property(fc.integer({ min: first, max: last }), fc.integer({ min: 1, max: 120 }), (day, months) => {
        const from = new Date(day * 86_400_000).toISOString().slice(0, 10);
        const end = banEnd(`${months}个月内禁止参加政府采购活动`, from);
        expect(end).toBe(addMonths(from, months));
        expect(end! > from).toBe(true);
        if (months % 12 === 0) expect(banEnd(`${months / 12}年内禁止`, from)).toBe(end);
      }),
    );
  });
});

describe('bounded work on hostile input', () => {
  it('long runs of spaces, digits and separators are refused, not searched (the parsers bound their input)', () => {
    const spaces = ' '.repeat(200_000);
    expect(textValue(`a${spaces}b`)).toBe(`a${spaces}b`);
    expect(parseDate(`2024${spaces}x`).ok).toBe(false);
    expect(parseDate(`2024年${spaces}5月1日`).ok).toBe(false);
    expect(parseDateRange('-'.repeat(100_000) + 'x').ok).toBe(false);
    expect(parseDateRange(`2019-04-08${'-'.repeat(60)}2019-10-07`).ok).toBe(false);
    expect(parseAmount(`人民币${spaces}x`, { into: '元' }).ok).toBe(false);
    expect(banPeriodOf('1'.repeat(100_000))).toBeNull();
    expect(shownValue('1'.repeat(1_000_000))).toBe('1111…[200]');
  });

  it('zero-width spaces at either end are trimmed before reading', () => {
    expect(parseDate('\u200b2024-05-01\ufeff')).toEqual({ ok: true, value: '2024-05-01' });
    expect(parseAmount('\u200b2000元\u3000', { into: '元' })).toEqual({ ok: true, value: 2000 });
  });
});
