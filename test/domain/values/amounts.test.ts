/**
 * Money amounts (src/domain/values/amounts.ts): every published form, every refusal rule, exact
 * conversion between 元, 万元 and 亿元 (properties over any number of fen up to 10^13), null-likes,
 * and the amounts a penalty text names.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NULL_LIKE_TEXTS, amountsInText, parseAmount, type ParseAmountOptions } from '../../../src/domain/values/index.js';

const YUAN: ParseAmountOptions = { into: '元' };
const WAN: ParseAmountOptions = { into: '万元' };

const ruleOf = (r: { ok: boolean; problem?: { rule: string } }) => (r.ok ? 'ok' : r.problem?.rule);

describe('parseAmount: the published forms', () => {
  it.each<[unknown, ParseAmountOptions, number]>([
    ['2000元', YUAN, 2000],
    ['2,000元', YUAN, 2000],
    ['2，000元', YUAN, 2000],
    ['２０００元', YUAN, 2000],
    ['２，０００．５０元', YUAN, 2000.5],
    ['2000.00元', YUAN, 2000],
    ['2000 元', YUAN, 2000],
    ['2000元整', YUAN, 2000],
    ['人民币2000元', YUAN, 2000],
    ['人民币 2,000.00 元', YUAN, 2000],
    ['RMB2000元', YUAN, 2000],
    ['¥2,000.00', { into: '元', declaredUnit: '元' }, 2000],
    ['￥2000', { into: '元', declaredUnit: '元' }, 2000],
    ['0.2万元', YUAN, 2000],
    ['0.2万', YUAN, 2000],
    ['0.024万元', YUAN, 240],
    ['1.5亿元', YUAN, 150_000_000],
    ['1.5亿元', WAN, 15_000],
    ['1.5亿', WAN, 15_000],
    ['417,318.76元', WAN, 41.731876],
    ['2000元', WAN, 0.2],
    ['0.01元', WAN, 0.000001],
    ['2', { into: '元', declaredUnit: '万元' }, 20_000],
    ['2万元', { into: '元', declaredUnit: '万元' }, 20_000],
    ['2000元', { into: '元', declaredUnit: '元' }, 2000],
    [2000, { into: '元', declaredUnit: '元' }, 2000],
    [2000, { into: '万元', declaredUnit: '元' }, 0.2],
    [0.024, { into: '元', declaredUnit: '万元' }, 240],
    [0.1, { into: '万元', declaredUnit: '元' }, 0.00001],
    [417318.76, { into: '万元', declaredUnit: '元' }, 41.731876],
    [1.1, { into: '元', declaredUnit: '亿元' }, 110_000_000],
    [0, { into: '元', declaredUnit: '元' }, 0],
    ['0元', YUAN, 0],
  ])('%j %j → %d', (input, opts, value) => {
    expect(parseAmount(input, opts)).toEqual({ ok: true, value });
  });

  it('rounds half up to one fen and says so in a warning', () => {
    expect(parseAmount('0.005元', YUAN)).toMatchObject({ ok: true, value: 0.01, warning: { rule: 'value.amount_rounded' } });
    expect(parseAmount('0.0049元', YUAN)).toMatchObject({ ok: true, value: 0, warning: { rule: 'value.amount_rounded' } });
    expect(parseAmount('0.000000015万元', WAN)).toMatchObject({ ok: true, value: 0, warning: { rule: 'value.amount_rounded' } });
    expect(parseAmount('1.234567891万元', YUAN)).toMatchObject({ ok: true, value: 12345.68, warning: { rule: 'value.amount_rounded' } });
    expect(parseAmount(1e-7, { into: '元', declaredUnit: '元' })).toMatchObject({ ok: true, value: 0 });
    expect(parseAmount('2000元', YUAN)).not.toHaveProperty('warning');
  });
});

describe('parseAmount: refusals', () => {
  it.each<[unknown, ParseAmountOptions, string]>([
    [2000, YUAN, 'value.amount_unit_missing'],
    ['2000', WAN, 'value.amount_unit_missing'],
    ['¥2,000.00', YUAN, 'value.amount_unit_missing'],
    ['2000元', { into: '元', declaredUnit: '万元' }, 'value.amount_unit_conflict'],
    ['2万元', { into: '元', declaredUnit: '元' }, 'value.amount_unit_conflict'],
    ['1亿', { into: '万元', declaredUnit: '万元' }, 'value.amount_unit_conflict'],
    ['-2000元', YUAN, 'value.amount_negative'],
    ['－2000元', YUAN, 'value.amount_negative'],
    ['¥-2000', { into: '元', declaredUnit: '元' }, 'value.amount_negative'],
    [-1, { into: '元', declaredUnit: '元' }, 'value.amount_negative'],
    ['贰仟元', YUAN, 'value.amount'], // capital numerals are out of scope
    ['壹万元整', YUAN, 'value.amount'],
    ['两千元', YUAN, 'value.amount'], // Chinese numerals are read in penalty texts only
    ['20,00元', YUAN, 'value.amount'],
    ['2,0000元', YUAN, 'value.amount'],
    ['2000美元', YUAN, 'value.amount'],
    ['2000元/次', YUAN, 'value.amount'],
    ['1.2.3元', YUAN, 'value.amount'],
    ['.5元', YUAN, 'value.amount'],
    ['元', YUAN, 'value.amount'],
    ['不详', YUAN, 'value.amount'],
    [Number.POSITIVE_INFINITY, { into: '元', declaredUnit: '元' }, 'value.amount'],
    [true, { into: '元', declaredUnit: '元' }, 'value.amount'],
    [{ amount: 1 }, { into: '元', declaredUnit: '元' }, 'value.amount'],
    ['100000000000000元', YUAN, 'value.amount_range'],
    [1e21, { into: '万元', declaredUnit: '元' }, 'value.amount_range'],
    ['90071992547409.92元', YUAN, 'value.amount_range'],
    ['90071992547409.91元', YUAN, 'ok'], // the largest number of fen held exactly
  ])('%j %j → %s', (input, opts, rule) => {
    expect(ruleOf(parseAmount(input, opts))).toBe(rule);
  });

  it('messages name the value and both units in Chinese and English', () => {
    const r = parseAmount('2000元', { into: '元', declaredUnit: '万元' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    for (const text of [r.problem.zh, r.problem.en]) {
      expect(text).toContain('2000元');
      expect(text).toContain('万元');
    }
  });
});

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

const grouped = (digits: string) => digits.replace(/\B(?=(\d{3})+$)/g, ',');
const fullWidth = (s: string) => s.replace(/[0-9.,]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
/** fen / 10^decimals as an exact decimal string with `decimals` places. */
const decimalOf = (fen: bigint, decimals: number) => {
  const t = fen.toString().padStart(decimals + 1, '0');
  return `${t.slice(0, -decimals)}.${t.slice(-decimals)}`;
};

/** The ways a publisher writes the decimal `whole.fraction` followed by `unit`. */
function writings(whole: string, fraction: string, unit: '元' | '万元', trimZeros: boolean): string[] {
  const frac = trimZeros ? fraction.replace(/0+$/, '') : fraction;
  const tail = frac === '' ? '' : `.${frac}`;
  const plain = `${whole}${tail}`;
  const commas = `${grouped(whole)}${tail}`;
  return [
    `${plain}${unit}`,
    `${commas}${unit}`,
    `${fullWidth(plain)}${unit}`,
    `${fullWidth(commas)}${unit}`,
    `${commas.replace(/,/g, '，')}${unit}`,
    `人民币${commas}${unit}`,
    `¥${commas}${unit}`,
    `${plain} ${unit}整`,
  ];
}

const anyFen = fc.bigInt({ min: 0n, max: 10n ** 13n });

describe('parseAmount: properties', () => {
  it('any number of fen written in 元 reads back exactly in 元 and in 万元', () => {
    fc.assert(
      fc.property(anyFen, fc.boolean(), (fen, trimZeros) => {
        const yuan = decimalOf(fen, 2);
        const wan = decimalOf(fen, 6);
        const [whole = '', fraction = ''] = yuan.split('.');
        for (const text of writings(whole, fraction, '元', trimZeros)) {
          const intoYuan = parseAmount(text, YUAN);
          const intoWan = parseAmount(text, WAN);
          expect([text, intoYuan.ok && intoYuan.value?.toFixed(2), intoYuan.ok && intoYuan.warning]).toEqual([text, yuan, undefined]);
          expect([text, intoWan.ok && intoWan.value?.toFixed(6), intoWan.ok && intoWan.warning]).toEqual([text, wan, undefined]);
          expect(intoWan.ok && intoWan.value).toBe(Number(wan));
        }
        const bare = parseAmount(yuan, { into: '万元', declaredUnit: '元' });
        expect(bare.ok && bare.value?.toFixed(6)).toBe(wan);
        const asNumber = parseAmount(Number(yuan), { into: '万元', declaredUnit: '元' });
        expect(asNumber.ok && asNumber.value?.toFixed(6)).toBe(wan);
      }),
      { numRuns: 1000 },
    );
  });

  it('any number of fen written in 万元 reads back exactly in 元 and in 万元', () => {
    fc.assert(
      fc.property(anyFen, fc.boolean(), (fen, trimZeros) => {
        const yuan = decimalOf(fen, 2);
        const wan = decimalOf(fen, 6);
        const [whole = '', fraction = ''] = wan.split('.');
        for (const text of writings(whole, fraction, '万元', trimZeros)) {
          const intoYuan = parseAmount(text, YUAN);
          const intoWan = parseAmount(text, WAN);
          expect([text, intoYuan.ok && intoYuan.value?.toFixed(2), intoYuan.ok && intoYuan.warning]).toEqual([text, yuan, undefined]);
          expect([text, intoWan.ok && intoWan.value?.toFixed(6), intoWan.ok && intoWan.warning]).toEqual([text, wan, undefined]);
          expect(intoYuan.ok && intoYuan.value).toBe(Number(yuan));
        }
        const bare = parseAmount(wan, { into: '元', declaredUnit: '万元' });
        expect(bare.ok && bare.value?.toFixed(2)).toBe(yuan);
      }),
      { numRuns: 1000 },
    );
  });

  it('every null-like is null, whatever the options', () => {
    const pad = fc.constantFrom('', ' ', '\u3000', '\t\r\n');
    const opts = fc.constantFrom<ParseAmountOptions>(YUAN, WAN, { into: '元', declaredUnit: '万元' }, { into: '万元', declaredUnit: '亿元' });
    fc.assert(
      fc.property(fc.constantFrom(...NULL_LIKE_TEXTS, 'NULL', 'None', 'N/A'), pad, pad, opts, (v, a, b, o) => {
        expect(parseAmount(`${a}${v}${b}`, o)).toEqual({ ok: true, value: null });
      }),
    );
    for (const v of [undefined, null, Number.NaN, '', '\u3000']) expect(parseAmount(v, YUAN)).toEqual({ ok: true, value: null });
  });
});

describe('amountsInText', () => {
  it.each<[string, Array<{ value: number; unit: string }>]>([
    ['罚款2000元', [{ value: 2000, unit: '元' }]],
    ['处罚款人民币2万元', [{ value: 2, unit: '万元' }]],
    ['罚款人民币2,000.00元整', [{ value: 2000, unit: '元' }]],
    ['罚款２，０００元', [{ value: 2000, unit: '元' }]],
    ['罚款0.5亿元', [{ value: 0.5, unit: '亿元' }]],
    [
      '没收违法所得1,234.5元，并处罚款人民币2万元',
      [
        { value: 1234.5, unit: '元' },
        { value: 2, unit: '万元' },
      ],
    ],
    ['罚款五千元', [{ value: 5000, unit: '元' }]],
    ['罚款一万五千元', [{ value: 15000, unit: '元' }]],
    ['罚款两万元', [{ value: 20000, unit: '元' }]],
    ['责令改正，警告', []],
    ['2019年4月8日十二个月内禁止参加政府采购活动', []],
    ['罚款贰仟元', []],
  ])('%s', (text, expected) => {
    expect(amountsInText(text)).toEqual(expected);
  });
});
