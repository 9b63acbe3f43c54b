/**
 * Empty markers (空值): the texts publishers write into a field that has no value, and the text of
 * a field with them taken out. Also `shownValue`, the short, masked rendering of a value that every
 * problem message of src/domain/values quotes.
 *
 * A value is null-like when it is:
 *   - undefined or null, or a number that is NaN (what spreadsheet readers give for a broken cell);
 *   - a string that is empty or only whitespace (U+3000 full-width space, NBSP, zero-width space and BOM included);
 *   - after trimming, exactly one of NULL_LIKE_TEXTS (the Latin words in any letter case).
 * Anything else, 不详 / 未知 / 0 included, is a value: 不详 says "unknown", which is information a
 * reader may want, and a zero may be a real amount.
 */

/** The exact texts (after trimming) that stand for "no value". The Latin ones match in any case. */
export const NULL_LIKE_TEXTS: readonly string[] = [
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
  'none',
  'n/a',
];

const NULL_LIKE = new Set(NULL_LIKE_TEXTS.map((t) => t.toLowerCase()));
const LONGEST_NULL_LIKE = Math.max(...NULL_LIKE_TEXTS.map((t) => t.length));

/**
 * Whether a UTF-16 code unit is a space: what the regular expression `\s` matches (U+3000, NBSP and
 * U+FEFF among them), and the zero-width space and joiners U+200B–U+200D and U+2060. By code, because
 * this runs on both ends of every field of every source row.
 */
export function isSpaceCode(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200d) || c === 0x2028 || c === 0x2029
    || c === 0x202f || c === 0x205f || c === 0x2060 || c === 0x3000 || c === 0xfeff;
}

/** Both ends trimmed, by a scan rather than a regex: linear on any input (long inner runs of spaces included). */
function trimmed(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isSpaceCode(s.charCodeAt(start))) start++;
  while (end > start && isSpaceCode(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/** The text of a string that is not null-like, trimmed; null for a null-like one. */
function meaningfulText(s: string): string | null {
  const t = trimmed(s);
  if (t === '' || (t.length <= LONGEST_NULL_LIKE && NULL_LIKE.has(t.toLowerCase()))) return null;
  return t;
}

export function isNullLike(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (typeof v === 'number') return Number.isNaN(v);
  if (typeof v !== 'string') return false;
  return meaningfulText(v) === null;
}

/**
 * The text of a field: strings trimmed at both ends (whitespace inside, \r\n and tabs included, is kept),
 * numbers, bigints and booleans as String() writes them; null for a null-like value and for anything
 * that is not text (objects, arrays, functions). Never the empty string.
 */
export function textValue(v: unknown): string | null {
  if (typeof v === 'string') return meaningfulText(v);
  if (typeof v === 'number') return Number.isNaN(v) ? null : String(v);
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return null;
}

const SHOWN_MAX = 40;
// 15 or more digits in a row (ASCII or full-width, maybe ending in X): the shape of an identity number.
const LONG_DIGIT_RUN = /[0-9０-９]{14,}[0-9Xx０-９Ｘｘ]/g;

/**
 * A value as problem messages quote it: its text, at most 40 characters (then "…"), line breaks and
 * tabs as spaces, and every run of 15 or more digits cut to its first 4 and its length ("1101…[18]"),
 * so that no message ever carries a whole identity number.
 */
export function shownValue(v: unknown): string {
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') s = String(v);
  else if (v === null || v === undefined) s = String(v);
  else s = Array.isArray(v) ? '[array]' : `[${typeof v}]`;
  // look at the first 200 code units only: enough for 40 characters after masking, bounded on any input
  s = s.slice(0, 200).replace(/[\r\n\t]+/g, ' ').replace(LONG_DIGIT_RUN, (run) => `${run.slice(0, 4)}…[${run.length}]`);
  const chars = Array.from(s);
  return chars.length > SHOWN_MAX ? `${chars.slice(0, SHOWN_MAX).join('')}…` : s;
}
