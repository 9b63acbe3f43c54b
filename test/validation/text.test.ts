/** Text rules of request bodies: control characters and unpaired surrogates, in values and member names. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { textFaults } from '../../src/validation/text.js';

/** The rule, written out apart from the code under test: ill-formed, or a control character other than tab, LF, CR. */
const refused = (s: string) => !s.isWellFormed() || /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s);

describe('textFaults', () => {
  it('accepts tab, line feed, carriage return and any well-formed text', () => {
    expect(textFaults({ duty: '第一项\r\n第二项\t完', name: '张某某', emoji: '😀', n: 1, b: true, z: null })).toEqual([]);
  });

  it('names each value and member name with a control character or an unpaired surrogate, with its pointer', () => {
    const faults = textFaults({ data: { a: 'x\u0000y', list: ['ok', '\ud800'] }, 'k\u0007': 1, 'a/b': '\u007f' }, '/records/3');
    expect(faults.map((f) => [f.pointer, f.rule])).toEqual([
      ['/records/3/data/a', 'text.control_character'],
      ['/records/3/data/list/1', 'text.lone_surrogate'],
      ['/records/3/k\u0007', 'text.control_character'],
      ['/records/3/a~1b', 'text.control_character'],
    ]);
    expect(faults[0]!.en).toContain('U+0000');
    expect(faults[0]!.zh).toContain('控制字符');
  });

  it('walks deep nesting without exhausting the stack and reports at most 20', () => {
    let deep: unknown = '\u0001';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(textFaults(deep)).toHaveLength(1);
    expect(textFaults(Array.from({ length: 100 }, () => '\u0002'))).toHaveLength(20);
  });

  it('property: a string is faulted exactly when it is ill-formed or has a refused control character', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => {
      expect(textFaults({ s }).length).toBe(refused(s) ? 1 : 0);
    }), { numRuns: 2000 });
  });

  it('property: a JSON value is faulted exactly when one of its strings or member names is, and nothing else is reported', () => {
    const text = fc.string({ unit: 'binary', maxLength: 6 });
    const strings = (v: unknown): string[] => (typeof v === 'string' ? [v]
      : Array.isArray(v) ? v.flatMap(strings)
      : v !== null && typeof v === 'object' ? Object.entries(v).flatMap(([k, x]) => [k, ...strings(x)]) : []);
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, text, fc.integer(), fc.constant(null), fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(text, tie('node'), { maxKeys: 4 })),
    })).node;
    fc.assert(fc.property(value, (v) => {
      const expected = Math.min(20, strings(v).filter(refused).length);
      expect(textFaults(v)).toHaveLength(expected);
    }), { numRuns: 3000 });
  });
});
