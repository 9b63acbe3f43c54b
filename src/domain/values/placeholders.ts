/**
 * Placeholder codes: identifiers that publishers write when the real one is not known —
 * 000000000000000000, 00000000000000000X, 999999999999999999, 00000000-0.
 * Such a field is dropped and the record kept, with a `value.placeholder_code` warning.
 * Pure functions only.
 *
 * A placeholder is, after normalizeIdentifier (full-width, spaces, hyphens, letter case), 9, 15 or 18
 * characters long (organisation code, old registration number, USCC / identity number) and made of one
 * digit repeated, where the last character may instead be X or 0. Nothing else is guessed at:
 * 123456789012345678 and the like are left to the check-digit rules.
 */
import { normalizeIdentifier } from '../uscc.js';
import type { ValueProblem } from './parsed.js';
import { shownValue } from './null-like.js';

const PLACEHOLDER_LENGTHS: ReadonlySet<number> = new Set([9, 15, 18]);

export function isPlaceholderCode(v: string): boolean {
  const code = normalizeIdentifier(v);
  if (!PLACEHOLDER_LENGTHS.has(code.length)) return false;
  const digit = code.charAt(0);
  if (!/^\d$/.test(digit)) return false;
  const body = code.slice(0, -1);
  const last = code.charAt(code.length - 1);
  return body === digit.repeat(body.length) && (last === digit || last === 'X' || last === '0');
}

/** The warning recorded when `field` held a placeholder code and was dropped (the record is kept). */
export function placeholderWarning(field: string, value: string): ValueProblem {
  const shown = shownValue(value);
  const name = shownValue(field);
  return {
    rule: 'value.placeholder_code',
    zh: `字段“${name}”的值“${shown}”是表示“未知”的占位代码（同一数字重复），已舍弃该字段，记录保留`,
    en: `field "${name}" holds "${shown}", a placeholder code for "unknown" (one digit repeated); the field was dropped and the record kept`,
  };
}
