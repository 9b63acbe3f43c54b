/**
 * Chinese numerals (小写数字) as written in published credit data — 十二个月, 一百零五, 二〇二〇年 — and
 * full-width → ASCII normalisation of digits and the punctuation around them in dates and amounts.
 * Pure functions only.
 *
 * Capital financial numerals (大写数字: 壹贰叁…拾佰仟) are out of scope.
 */

const DIGIT_VALUE: Readonly<Record<string, number>> = {
  '〇': 0,
  '○': 0, // U+25CB, often typed for 〇 in years (二○二○年)
  '◯': 0,
  '零': 0,
  '一': 1,
  '二': 2,
  '两': 2,
  '三': 3,
  '四': 4,
  '五': 5,
  '六': 6,
  '七': 7,
  '八': 8,
  '九': 9,
};

const UNIT_VALUE: Readonly<Record<string, number>> = { '十': 10, '百': 100, '千': 1000 };

const ZERO_CHARS = new Set(['〇', '○', '◯', '零']);
/** Characters of the positional form (二〇二〇): digits without 两. */
const POSITIONAL = /^[〇○◯零一二三四五六七八九]{2,8}$/u;

/**
 * One section below 10 000: 三, 十二, 二十, 一百零五, 两千零一十, 九千九百九十九.
 * Refused: units out of order, two digits in a row, a 零 that skips no unit, and a trailing digit
 * after 百 or 千 without 零 (一百五 is 150 in speech but 105 by the letter: ambiguous).
 */
function sectionValue(s: string): number | undefined {
  let total = 0;
  let digit: number | null = null;
  let lastUnit = 10_000;
  let zeroGap = false;
  for (const ch of s) {
    const d = DIGIT_VALUE[ch];
    if (d !== undefined) {
      if (ZERO_CHARS.has(ch)) {
        if (digit !== null || zeroGap || lastUnit === 10_000) return undefined;
        zeroGap = true;
      } else {
        if (digit !== null) return undefined;
        digit = d;
      }
      continue;
    }
    const u = UNIT_VALUE[ch];
    if (u === undefined || u >= lastUnit) return undefined;
    if (digit === null) {
      if (u !== 10 || lastUnit !== 10_000) return undefined; // a bare 十 only opens a section: 十二
      digit = 1;
    }
    if (zeroGap && u * 10 >= lastUnit) return undefined; // 零 must stand for a skipped unit
    total += digit * u;
    lastUnit = u;
    digit = null;
    zeroGap = false;
  }
  if (digit !== null) {
    if (lastUnit === 10_000) return digit;
    // the ones digit: right after 十 (二十五), or after a 零 that skipped a unit (一百零五)
    return (zeroGap ? lastUnit >= 100 : lastUnit === 10) ? total + digit : undefined;
  }
  if (zeroGap || lastUnit === 10_000) return undefined;
  return total;
}

/**
 * The value of a Chinese numeral from 零 to 九千九百九十九万九千九百九十九 (99 999 999), or undefined
 * when `s` is not one. Accepts 十二 → 12, 一十二 → 12, 二十 → 20, 一百零五 → 105, 两 → 2, 两千 → 2000,
 * 十二万 → 120 000, 一万零五 → 10 005, and the positional form of years, 二〇二〇 → 2020.
 * Refuses ambiguous colloquial forms: 一百五, 一万五 (150? 105? 15 000?). ASCII digits are not read here.
 */
export function chineseNumber(s: string): number | undefined {
  const t = s.trim();
  if (t === '') return undefined;
  if (POSITIONAL.test(t)) {
    let n = 0;
    for (const ch of t) n = n * 10 + (DIGIT_VALUE[ch] ?? 0);
    return n;
  }
  if (Array.from(t).length === 1 && DIGIT_VALUE[t] !== undefined) return DIGIT_VALUE[t];
  const parts = t.split('万');
  if (parts.length === 1) return sectionValue(t);
  if (parts.length !== 2) return undefined;
  const high = sectionValue(parts[0] ?? '');
  if (high === undefined || high === 0) return undefined;
  const lowText = parts[1] ?? '';
  if (lowText === '') return high * 10_000;
  const first = Array.from(lowText)[0] ?? '';
  let low: number | undefined;
  if (ZERO_CHARS.has(first)) {
    low = sectionValue(lowText.slice(first.length));
    if (low === undefined || low >= 1000) return undefined;
  } else {
    // without 零 the lower section must name its unit: 一万五千, not 一万五
    if (!/[十百千]/u.test(lowText)) return undefined;
    low = sectionValue(lowText);
    if (low === undefined) return undefined;
  }
  return high * 10_000 + low;
}

const FULL_WIDTH: Readonly<Record<string, string>> = {
  '．': '.',
  '，': ',',
  '：': ':',
  '－': '-',
  '／': '/',
  '＋': '+',
};

/** Full-width digits ０-９ and ．，：－／＋ as their ASCII forms; every other character unchanged. */
export function asciiDigits(s: string): string {
  return s.replace(/[０-９．，：－／＋]/g, (ch) => {
    const code = ch.charCodeAt(0);
    return code >= 0xff10 && code <= 0xff19 ? String.fromCharCode(code - 0xff10 + 48) : (FULL_WIDTH[ch] ?? ch);
  });
}
