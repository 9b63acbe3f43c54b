// 公民身份号码 (resident identity number) rules, GB 11643-1999. These numbers are personal data:
// callers should keep them masked wherever the full number is not strictly needed.
// Pure functions only: no I/O; "today" is a parameter.

import { normalizeIdentifier, type IdentifierIssue } from './uscc.js';

export interface PersonalIdResult {
  /** True when the number is valid, or is a masked number (which is accepted as is, unvalidated). */
  ok: boolean;
  masked: boolean;
  /** The normalised input. */
  code: string;
  errors: IdentifierIssue[];
  /** YYYY-MM-DD; only for unmasked numbers with a real birth date. */
  birthDate?: string;
  region?: string;
}

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432'; // index = weighted sum mod 11

function checkChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17.charAt(i)) * (WEIGHTS[i] ?? 0);
  return CHECK_CHARS.charAt(sum % 11);
}

// As sources publish masked numbers: 18 characters with one contiguous run of '*' (110101********123X),
// or 19 characters — 11 digits, four '*' and four more (41072619780****1211), a layout the court list
// used before 2017. Digits elsewhere, X only as the last character. A masked number is kept as
// published: never unmasked, never completed.
const MASKED = /^(?:(?=.{18}$)\d*\*+(?:\d*[\dX])?|\d{11}\*{4}\d{3}[\dX])$/;

/** True for a number masked in one of the published layouts (see MASKED). */
export function isMaskedPersonalId(s: string): boolean {
  return MASKED.test(normalizeIdentifier(s));
}

/**
 * Keep the first 6 and last 4 characters and replace the rest by `*` (18-character numbers get 8 stars).
 * Already-masked input is returned unchanged. Anything shorter than 11 characters is fully starred,
 * so a malformed number is never leaked.
 */
export function maskPersonalId(id: string): string {
  if (isMaskedPersonalId(id)) return id;
  const code = normalizeIdentifier(id);
  if (code.length < 11) return '*'.repeat(code.length);
  return code.slice(0, 6) + '*'.repeat(code.length - 10) + code.slice(-4);
}

/**
 * What a full and a masked number of one person have in common: the first six and the last four
 * characters (the gateway's own mask, 110101********123X), or null when the number does not show all
 * ten (a layout that hides part of them, or a malformed number). Two people of the same name can share
 * it; callers match a masked number to a person only when exactly one known person has it.
 */
export function maskedIdentityOf(id: string): string | null {
  const code = normalizeIdentifier(id);
  const full = checkPersonalId(code);
  if (!full.ok) return null;
  const masked = code.slice(0, 6) + '********' + code.slice(-4);
  return /^\d{6}\*{8}\d{3}[\dX]$/.test(masked) ? masked : null;
}

function issue(rule: string, zh: string, en: string, position?: number): IdentifierIssue {
  return position === undefined ? { rule, zh, en } : { rule, zh, en, position };
}

function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Today's calendar date in China Standard Time (UTC+8), independent of the host time zone. */
function chinaDate(now: Date): string {
  return isoDate(new Date(now.getTime() + 8 * 3600_000));
}

/** Returns YYYY-MM-DD for a real calendar date written as YYYYMMDD, else undefined. */
function realDate(yyyymmdd: string): string | undefined {
  const y = Number(yyyymmdd.slice(0, 4));
  const m = Number(yyyymmdd.slice(4, 6));
  const d = Number(yyyymmdd.slice(6, 8));
  const date = new Date(Date.UTC(y, m - 1, d));
  date.setUTCFullYear(y); // Date.UTC maps years 0-99 to 1900-1999
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return undefined;
  return isoDate(date);
}

/**
 * Checks a personal ID number in steps: a masked number is accepted as published; any other must have
 * 18 characters of the right kinds, then a real birth date and the right check character.
 */
export function checkPersonalId(input: string, today: Date = new Date()): PersonalIdResult {
  const code = normalizeIdentifier(input);
  if (MASKED.test(code)) return maskedResult(code);

  const errors: IdentifierIssue[] = [];
  const result: PersonalIdResult = { ok: false, masked: false, code, errors };
  errors.push(...shapeIssues(code));
  if (errors.length > 0) return result;

  result.region = code.slice(0, 6);
  const birth = readBirthDate(code, today);
  if ('issue' in birth) errors.push(birth.issue);
  else result.birthDate = birth.birthDate;
  errors.push(...checkCharIssues(code));

  result.ok = errors.length === 0;
  return result;
}

/** A masked number is not validated; its region is known only when the first six digits were left. */
function maskedResult(code: string): PersonalIdResult {
  const result: PersonalIdResult = { ok: true, masked: true, code, errors: [] };
  if (/^\d{6}/.test(code)) result.region = code.slice(0, 6);
  return result;
}

/** Length and characters: 18 characters, digits only but for an X as the last one. */
function shapeIssues(code: string): IdentifierIssue[] {
  const issues: IdentifierIssue[] = [];
  if (code.length !== 18) {
    issues.push(
      issue(
        'personal_id.length',
        `公民身份号码应为18位（GB 11643），实际为${code.length}位`,
        `personal ID number must be 18 characters long (GB 11643): expected 18, found ${code.length}`,
      ),
    );
  }
  issues.push(...characterIssues(code));
  return issues;
}

/** One issue per character out of place; a '*' (a mask in no published layout) ends the list. */
function characterIssues(code: string): IdentifierIssue[] {
  const issues: IdentifierIssue[] = [];
  for (let i = 0; i < code.length; i++) {
    const ch = code.charAt(i);
    const pos = i + 1;
    const allowed = pos === 18 ? /[\dX]/ : /\d/;
    if (allowed.test(ch)) continue;
    if (ch === '*') {
      issues.push(
        issue(
          'personal_id.mask',
          `公民身份号码第${pos}位为“*”，但不是有效的脱敏格式（18位，只有一段连续的“*”）`,
          `personal ID number has "*" at position ${pos} but is not a valid masked number (18 characters with a single run of "*")`,
          pos,
        ),
      );
      break;
    }
    issues.push(
      issue(
        'personal_id.charset',
        pos === 18
          ? `公民身份号码第18位应为数字或X，实际为“${ch}”`
          : `公民身份号码第${pos}位应为数字，实际为“${ch}”`,
        pos === 18
          ? `personal ID number position 18 must be a digit or X: found "${ch}"`
          : `personal ID number position ${pos} must be a digit: found "${ch}"`,
        pos,
      ),
    );
  }
  return issues;
}

/** Positions 7-14: a real calendar date, from 1900-01-01 to today in China. */
function readBirthDate(code: string, today: Date): { birthDate: string } | { issue: IdentifierIssue } {
  const rawBirth = code.slice(6, 14);
  const birthDate = realDate(rawBirth);
  const todayIso = chinaDate(today);
  if (birthDate === undefined) {
    return {
      issue: issue(
        'personal_id.birth_date',
        `公民身份号码第7-14位出生日期“${rawBirth}”不是有效日期`,
        `personal ID birth date (positions 7-14) "${rawBirth}" is not a real calendar date`,
        7,
      ),
    };
  }
  if (birthDate < '1900-01-01') {
    return {
      issue: issue(
        'personal_id.birth_date',
        `公民身份号码出生日期 ${birthDate} 早于1900-01-01`,
        `personal ID birth date ${birthDate} is before 1900-01-01`,
        7,
      ),
    };
  }
  if (birthDate > todayIso) {
    return {
      issue: issue(
        'personal_id.birth_date',
        `公民身份号码出生日期 ${birthDate} 晚于今天（${todayIso}）`,
        `personal ID birth date ${birthDate} is in the future (today is ${todayIso})`,
        7,
      ),
    };
  }
  return { birthDate };
}

/** Position 18: the ISO 7064 MOD 11-2 check character of the first 17 digits. */
function checkCharIssues(code: string): IdentifierIssue[] {
  const expected = checkChar(code.slice(0, 17));
  const found = code.charAt(17);
  if (expected === found) return [];
  return [
    issue(
      'personal_id.check_digit',
      `公民身份号码校验码（ISO 7064 MOD 11-2，第18位）错误：应为“${expected}”，实际为“${found}”`,
      `personal ID check digit (ISO 7064 MOD 11-2, position 18) is wrong: expected "${expected}", found "${found}"`,
      18,
    ),
  ];
}

/** The value of an ASCII or full-width digit at `i`, else -1. */
function digitAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0xff10 && c <= 0xff19) return c - 0xff10;
  return -1;
}

/** X, x and their full-width forms: the check character 10. */
function isCheckX(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c === 0x58 || c === 0x78 || c === 0xff38 || c === 0xff58;
}

/** Whether the 18th character of the candidate at `start` is the check character of its first 17 digits. */
function checkCharMatches(text: string, start: number): boolean {
  let sum = 0;
  for (let k = 0; k < 17; k++) sum += digitAt(text, start + k) * WEIGHTS[k]!;
  const expected = (12 - (sum % 11)) % 11; // CHECK_CHARS[sum % 11] as a number, X = 10
  return expected === (isCheckX(text, start + 17) ? 10 : digitAt(text, start + 17));
}

/** 17 (possibly full-width) digits: where a candidate can start. */
const SEVENTEEN_DIGITS = /[0-9\uFF10-\uFF19]{17}/g;

/**
 * Replace every personal ID number in free text (valid check digit and real birth date) by its masked form.
 * A candidate is 18 (possibly full-width) digits, the last may be X, not part of a longer digit run;
 * letters may touch it ("ID110101…"), and the full check then decides. Digit runs that fail the check
 * are left alone. An all-digit USCC is redacted only in the rare case where it also passes the personal
 * ID checks: privacy wins over a false positive.
 *
 * This runs over every record published to a masking destination and every answer to a reader without
 * pii:read, so candidates are found by a plain digit-run search (no look-behind), and their check
 * digit is tried before the full check.
 */
export function redactPersonalIds(text: string, today: Date = new Date()): string {
  let out = '';
  let copied = 0;
  SEVENTEEN_DIGITS.lastIndex = 0;
  for (let found = SEVENTEEN_DIGITS.exec(text); found; found = SEVENTEEN_DIGITS.exec(text)) {
    const start = found.index; // the leftmost match: the first digit of its run
    let runEnd = start + 17;
    while (digitAt(text, runEnd) >= 0) runEnd++;
    const run = runEnd - start;
    const end = run === 18 ? runEnd
      : run === 17 && isCheckX(text, runEnd) && digitAt(text, runEnd + 1) < 0 ? runEnd + 1
      : -1;
    if (end > 0 && checkCharMatches(text, start)) {
      const result = checkPersonalId(text.slice(start, end), today);
      if (result.ok && !result.masked) {
        out += text.slice(copied, start) + maskPersonalId(result.code);
        copied = end;
      }
    }
    SEVENTEEN_DIGITS.lastIndex = Math.max(runEnd, end);
  }
  return copied === 0 ? text : out + text.slice(copied);
}

const SYNTHETIC_REGION = '320583';
const SYNTHETIC_EPOCH = Date.UTC(1960, 0, 1);
const DAY_MS = 86_400_000;

/**
 * A valid personal ID number for tests, deterministic in n (region 320583, sequence n mod 1000).
 * Without `birth`, the birth date is 1960-01-01 plus floor(n / 1000) days, so n up to 10,000,000
 * stays distinct (births up to 1987). With `birth` (YYYY-MM-DD or YYYYMMDD), n must be below 1000.
 */
export function syntheticPersonalId(n: number, birth?: string): string {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`syntheticPersonalId: n must be a non-negative integer, got ${n}`);
  }
  let yyyymmdd: string;
  if (birth === undefined) {
    const date = new Date(SYNTHETIC_EPOCH + Math.floor(n / 1000) * DAY_MS);
    if (date.getUTCFullYear() >= 2000) {
      throw new RangeError(`syntheticPersonalId: n is too large for the default birth range, got ${n}`);
    }
    yyyymmdd = isoDate(date).replaceAll('-', '');
  } else {
    yyyymmdd = birth.replaceAll('-', '');
    if (!/^\d{8}$/.test(yyyymmdd) || realDate(yyyymmdd) === undefined) {
      throw new RangeError(`syntheticPersonalId: birth must be a real date as YYYY-MM-DD or YYYYMMDD, got "${birth}"`);
    }
    if (n >= 1000) {
      throw new RangeError(`syntheticPersonalId: with a fixed birth date n must be below 1000, got ${n}`);
    }
  }
  const first17 = SYNTHETIC_REGION + yyyymmdd + String(n % 1000).padStart(3, '0');
  return first17 + checkChar(first17);
}
