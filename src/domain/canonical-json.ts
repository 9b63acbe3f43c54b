/**
 * Canonical JSON (the RFC 8785 idea, for the values records hold): object keys sorted by UTF-16 code
 * unit (what `Array.prototype.sort` does), no insignificant white space, `undefined` members dropped.
 * Two records with the same content give byte-identical text, so their hashes match whatever order a
 * source sent the fields in. The text is part of every stored content hash: it must never change.
 *
 * It runs for every record stored, so it is made in one pass of V8's JSON.stringify over a copy of the
 * value whose objects hold their keys in sorted order: about a quarter of the memory of building the
 * text member by member, and less time. A JavaScript object cannot hold every key in the order
 * given: integer-like keys ("2", "10") always come first, in numeric order, and `__proto__` is not
 * an own property when assigned. A value with such a key is written member by member instead.
 */
export function canonicalJson(value: unknown): string {
  const sorted = inSortedOrder(value);
  return sorted === UNORDERABLE ? canonicalText(value) : JSON.stringify(sorted) ?? 'null';
}

/** inSortedOrder's answer for a value that holds a key an object cannot keep in sorted order. */
const UNORDERABLE = Symbol('unorderable');

/**
 * A copy of `value` whose objects have their keys in sorted order and no `undefined` members, with
 * what JSON.stringify would write as null (functions, symbols) as null; or UNORDERABLE.
 */
function inSortedOrder(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return leafValue(value);
  if (Array.isArray(value)) {
    const copy = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const element = inSortedOrder(value[i]);
      if (element === UNORDERABLE) return UNORDERABLE;
      copy[i] = element;
    }
    return copy;
  }
  const keys = sortedKeys(value);
  const copy: Record<string, unknown> = {};
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const member = (value as Record<string, unknown>)[key];
    if (member === undefined) continue;
    if (!keepsItsPlace(key)) return UNORDERABLE;
    const sorted = inSortedOrder(member);
    if (sorted === UNORDERABLE) return UNORDERABLE;
    copy[key] = sorted;
  }
  return copy;
}

/** The member-by-member text, for the values inSortedOrder cannot copy. */
function canonicalText(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(leafValue(value)) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += value[i] === undefined ? 'null' : canonicalText(value[i]);
    }
    return `${out}]`;
  }
  const keys = sortedKeys(value);
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const member = (value as Record<string, unknown>)[key];
    if (member === undefined) continue;
    if (out.length > 1) out += ',';
    out += `${JSON.stringify(key)}:${canonicalText(member)}`;
  }
  return `${out}}`;
}

/** A primitive as JSON writes it; non-finite numbers are refused, functions and symbols become null. */
function leafValue(value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('non-finite number in canonical JSON');
  return typeof value === 'function' || typeof value === 'symbol' ? null : value;
}

/** Keys at most this many are sorted in place by insertion (no allocation); more by Array.prototype.sort. */
const INSERTION_SORT_MAX = 32;

/** The object's own enumerable keys, sorted by UTF-16 code unit. */
function sortedKeys(value: object): string[] {
  const keys = Object.keys(value);
  if (keys.length > INSERTION_SORT_MAX) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    for (; j >= 0 && keys[j]! > key; j--) keys[j + 1] = keys[j]!;
    keys[j + 1] = key;
  }
  return keys;
}

/** Whether assigning `key` to a plain object puts it after the keys assigned before it. */
function keepsItsPlace(key: string): boolean {
  const first = key.charCodeAt(0);
  if (first >= 48 && first <= 57) return !/^(?:0|[1-9][0-9]*)$/.test(key); // integer-like: ordered first
  return key !== '__proto__';
}
