/**
 * Field values as published in government credit data: empty markers, Chinese numerals, dates and
 * date ranges, money amounts, placeholder codes and the ban period of a penalty text.
 * Pure functions only: no I/O, no clock (dates are passed in).
 *
 * Every parser answers a `Parsed<T>`: the value, or the problem that refuses it. A problem names its
 * rule (e.g. `value.date`) and the offending value (at most 40 characters, long digit runs masked)
 * in Chinese and English.
 */

export type { Parsed, ValueProblem } from './parsed.js';
export { NULL_LIKE_TEXTS, isNullLike, shownValue, textValue } from './null-like.js';
export { asciiDigits, chineseNumber } from './chinese-numerals.js';
export { DATE_YEAR_FIRST, DATE_YEAR_LAST, INDEFINITE_TEXTS, parseDate, parseDateRange } from './dates.js';
export type { DateRange } from './dates.js';
export { amountsInText, parseAmount } from './amounts.js';
export type { AmountInText, AmountUnit, ParseAmountOptions } from './amounts.js';
export { isPlaceholderCode, placeholderWarning } from './placeholders.js';
export { banEnd, banPeriodOf } from './ban-period.js';
