/** withFields: the spread's result, built through V8's shared hidden classes. */
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { withFields } from '../../src/domain/with-fields.js';

setFlagsFromString('--allow-natives-syntax');
// V8's own test of two objects sharing a hidden class, reachable once the flag is set
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;

describe('withFields', () => {
  it('gives what { ...base, ...fields } gives: later properties win, in first-seen order', () => {
    const base = { a: 1, b: 2, c: { deep: true } };
    const made = withFields(base, { b: 3, d: 4 });
    expect(made).toEqual({ ...base, b: 3, d: 4 });
    expect(Object.keys(made)).toEqual(['a', 'b', 'c', 'd']);
    expect(made.c).toBe(base.c);
    expect(base).toEqual({ a: 1, b: 2, c: { deep: true } });
  });

  it('objects made from same-shaped bases share one hidden class, also once the code is optimised', () => {
    const made: object[] = [];
    for (let i = 0; i < 50_000; i++) made.push(withFields({ recordId: `r${i}`, category: 'x', subject: { name: 'n' } }, { status: 'active', version: i }));
    const last = made.length - 1;
    let shared = 0;
    for (let i = last - 100; i < last; i++) if (haveSameMap(made[i]!, made[i + 1]!)) shared++;
    expect(shared).toBe(100);
  });
});
