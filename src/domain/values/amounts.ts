/**
 * Money amounts (罚款金额, 没收违法所得…) as published in government credit data, converted into 元 or 万元
 * with decimal arithmetic on the written digits (BigInt), so that 0.024万元 is 240 元 and 417,318.76元
 * is 41.731876 万元, never 239.99999999999997. Pure functions only.
 *
 * Read: numbers; 2000, 2,000, 2，000 (full-width comma), full-width digits, 2000.00; a prefix 人民币 /
 * RMB / CNY and a ¥ or ￥; a unit 元 / 万元 / 亿元 (or a bare 万 / 亿), optionally followed by 整.
 * Thousands separators must group by three (20,00 is refused). Capital financial numerals
 * (贰仟元, 壹万元整) are out of scope and refused; so are Chinese numerals (两千元) in an amount field
 * (amountsInText reads them in a penalty text).
 *
 * The unit: a value that writes none is read in the unit its field declares (a heading such as
 * 罚款金额（万元）); with neither it is refused (`value.amount_unit_missing`). A written unit that
 * differs from the declared one is refused (`value.amount_unit_conflict`): one of the two is wrong.
 *
 * The result is rounded half up to 2 decimals in 元 and 6 decimals in 万元 (1 fen either way); when that
 * drops digits the value is kept with a `value.amount_rounded` warning.
 * Other rules: `value.amount` (not an amount), `value.amount_negative`, `value.amount_range` (too
 * large for a number to hold exactly at that precision).
 */
import { asciiDigits, chineseNumber } from './chinese-numerals.js';
import type { Parsed, ValueProblem } from './parsed.js';
import { isNullLike, shownValue, textValue } from './null-like.js';

export type AmountUnit = '元' | '万元' | '亿元';

export interface ParseAmountOptions {
  /** the unit of the result */
  into: '元' | '万元';
  /** the unit the field's heading declares, used when the value writes none */
  declaredUnit?: AmountUnit;
}

/** Powers of ten of each unit in 元. */
const UNIT_EXPONENT: Readonly<Record<AmountUnit, number>> = { '元': 0, '万元': 4, '亿元': 8 };
/** Decimals kept in each result unit: one fen. */
const RESULT_DECIMALS: Readonly<Record<'元' | '万元', number>> = { '元': 2, '万元': 6 };

/** digits × 10^-scale */
interface Decimal {
  digits: bigint;
  scale: number;
}

function problem(rule: string, v: unknown, zh: string, en: string): ValueProblem {
  const shown = shownValue(v);
  return { rule, zh: `金额“${shown}”${zh}`, en: `amount "${shown}" ${en}` };
}

const refuse = (rule: string, v: unknown, zh: string, en: string): Parsed<number | null> => ({
  ok: false,
  problem: problem(rule, v, zh, en),
});

const notAnAmount = (v: unknown) =>
  refuse(
    'value.amount',
    v,
    '无法识别：应为数字，可带千分位逗号、人民币/¥ 前缀和 元/万元/亿元 单位（大写数字不受理）',
    'is not recognised: expected a number, optionally with thousands separators, a 人民币/¥ prefix and a 元/万元/亿元 unit (capital numerals such as 贰仟 are not read)',
  );

const negative = (v: unknown) => refuse('value.amount_negative', v, '为负数，金额不能为负', 'is negative; amounts cannot be negative');

/** A finite non-negative number as the decimal it prints as (String() gives the shortest exact reading). */
function decimalOfNumber(n: number): Decimal | undefined {
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(n));
  if (!m) return undefined;
  const fraction = m[2] ?? '';
  const scale = fraction.length - Number(m[3] ?? '0');
  const digits = BigInt((m[1] ?? '') + fraction);
  return scale >= 0 ? { digits, scale } : { digits: digits * 10n ** BigInt(-scale), scale: 0 };
}

const AMOUNT_TEXT =
  /^(?:人民币|RMB|CNY)?\s*[¥￥]?\s*([-−]?)\s*[¥￥]?\s*(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(亿元|万元|元|亿|万)?\s*整?$/i;

/** Longer texts are no amount (人民币 2,000,000,000.00 元整 has 27 characters); this bounds the work. */
const LONGEST_AMOUNT_TEXT = 64;

const WRITTEN_UNIT: Readonly<Record<string, AmountUnit>> = { '元': '元', '万元': '万元', '亿元': '亿元', '万': '万元', '亿': '亿元' };

/**
 * An amount converted into `opts.into`, or null for a null-like value. See the file comment for the
 * forms read and the rules.
 */
export function parseAmount(v: unknown, opts: ParseAmountOptions): Parsed<number | null> {
  if (isNullLike(v)) return { ok: true, value: null };
  let amount: Decimal | undefined;
  let written: AmountUnit | undefined;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return notAnAmount(v);
    if (v < 0) return negative(v);
    amount = decimalOfNumber(v);
  } else if (typeof v === 'string') {
    const text = asciiDigits(textValue(v) ?? '');
    const m = text.length > LONGEST_AMOUNT_TEXT ? null : AMOUNT_TEXT.exec(text);
    if (!m) return notAnAmount(v);
    if (m[1] !== '') return negative(v);
    const [whole = '', fraction = ''] = (m[2] ?? '').replace(/,/g, '').split('.');
    amount = { digits: BigInt(whole + fraction), scale: fraction.length };
    written = m[3] === undefined ? undefined : WRITTEN_UNIT[m[3]];
  }
  if (amount === undefined) return notAnAmount(v);

  const declared = opts.declaredUnit;
  if (written !== undefined && declared !== undefined && written !== declared) {
    return refuse(
      'value.amount_unit_conflict',
      v,
      `写的单位是${written}，与字段声明的单位${declared}不符`,
      `is written in ${written}, but its field declares ${declared}`,
    );
  }
  const unit = written ?? declared;
  if (unit === undefined) {
    return refuse(
      'value.amount_unit_missing',
      v,
      '没有写单位，字段也未声明单位（元、万元或亿元）',
      'has no unit, and its field declares none (元, 万元 or 亿元)',
    );
  }

  // value in `into`, times 10^keep, rounded half up (the value is not negative)
  const keep = RESULT_DECIMALS[opts.into];
  const shift = UNIT_EXPONENT[unit] - UNIT_EXPONENT[opts.into] - amount.scale + keep;
  let scaled: bigint;
  let rounded = false;
  if (shift >= 0) {
    scaled = amount.digits * 10n ** BigInt(shift);
  } else {
    const divisor = 10n ** BigInt(-shift);
    const remainder = amount.digits % divisor;
    scaled = amount.digits / divisor + (remainder * 2n >= divisor ? 1n : 0n);
    rounded = remainder !== 0n;
  }
  if (scaled > BigInt(Number.MAX_SAFE_INTEGER)) {
    return refuse(
      'value.amount_range',
      v,
      `过大，无法按${keep}位小数精确表示为${opts.into}`,
      `is too large to be held exactly in ${opts.into} with ${keep} decimals`,
    );
  }
  const text = scaled.toString().padStart(keep + 1, '0');
  const value = Number(`${text.slice(0, -keep)}.${text.slice(-keep)}`);
  if (!rounded) return { ok: true, value };
  return {
    ok: true,
    value,
    warning: problem(
      'value.amount_rounded',
      v,
      `换算为${opts.into}时保留${keep}位小数，已四舍五入为 ${value}`,
      `in ${opts.into} keeps ${keep} decimals and was rounded half up to ${value}`,
    ),
  };
}

// ---------------------------------------------------------------------------
// Amounts named in a penalty text
// ---------------------------------------------------------------------------

export interface AmountInText {
  /** the number as written, in `unit` */
  value: number;
  unit: AmountUnit;
}

const AMOUNT_IN_TEXT =
  /(?<![\d.,])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(亿元|万元|元)|(?<![〇零一二两三四五六七八九十百千万])([〇零一二两三四五六七八九十百千万]+)(亿元|万元|元)/gu;

/**
 * The amounts a penalty text names, in order: 罚款2000元, 处罚款人民币2万元, 罚款2,000.00元, 罚款五千元,
 * with the unit as written. For a consistency check against the amount fields only: it does not tell a
 * fine from confiscated gains (没收违法所得) or a quoted legal range (…以上…以下).
 */
export function amountsInText(text: string): AmountInText[] {
  const found: AmountInText[] = [];
  for (const m of asciiDigits(text).matchAll(AMOUNT_IN_TEXT)) {
    if (m[1] !== undefined) {
      found.push({ value: Number(m[1].replace(/,/g, '')), unit: m[2] as AmountUnit });
    } else {
      const value = chineseNumber(m[3] ?? '');
      if (value !== undefined) found.push({ value, unit: m[4] as AmountUnit });
    }
  }
  return found;
}
