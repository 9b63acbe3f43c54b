import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkPersonalId,
  isMaskedPersonalId,
  maskPersonalId,
  redactPersonalIds,
  syntheticPersonalId,
} from '../../src/domain/personal-id.js';

// The worked examples printed in GB 11643-1999 itself (not real people).
const STANDARD_EXAMPLE = '11010519491231002X';
const STANDARD_EXAMPLE_1880 = '440524188001010014';

const TODAY = new Date('2024-06-01T04:00:00Z'); // 2024-06-01 12:00 in China

const rulesOf = (input: string, today = TODAY): string[] => checkPersonalId(input, today).errors.map((e) => e.rule);

describe('checkPersonalId: valid numbers', () => {
  it('accepts the GB 11643 example and extracts birth date and region', () => {
    expect(checkPersonalId(STANDARD_EXAMPLE, TODAY)).toEqual({
      ok: true,
      masked: false,
      code: STANDARD_EXAMPLE,
      errors: [],
      birthDate: '1949-12-31',
      region: '110105',
    });
  });

  it('normalises lower-case x, full-width digits and surrounding spaces', () => {
    expect(checkPersonalId('11010519491231002x', TODAY)).toMatchObject({ ok: true, code: STANDARD_EXAMPLE });
    expect(checkPersonalId('\u3000１１０１０５１９４９１２３１００２Ｘ ', TODAY)).toMatchObject({
      ok: true,
      code: STANDARD_EXAMPLE,
    });
  });

  it('accepts Feb 29 in a leap year and a birth date of today (China time)', () => {
    expect(checkPersonalId(syntheticPersonalId(1, '2000-02-29'), TODAY).ok).toBe(true);
    expect(checkPersonalId(syntheticPersonalId(1, '2024-06-01'), TODAY).ok).toBe(true);
    // 2024-06-01T20:00Z is already 2024-06-02 in Beijing.
    expect(checkPersonalId(syntheticPersonalId(1, '2024-06-02'), new Date('2024-06-01T20:00:00Z')).ok).toBe(true);
  });

  it('accepts 1900-01-01 as the earliest birth date', () => {
    expect(checkPersonalId(syntheticPersonalId(3, '1900-01-01'), TODAY).ok).toBe(true);
  });
});

describe('checkPersonalId: errors', () => {
  it('rejects a wrong check digit, naming expected and found', () => {
    const r = checkPersonalId('110105194912310021', TODAY);
    expect(r.ok).toBe(false);
    expect(r.errors).toEqual([
      expect.objectContaining({
        rule: 'personal_id.check_digit',
        position: 18,
        en: 'personal ID check digit (ISO 7064 MOD 11-2, position 18) is wrong: expected "X", found "1"',
      }),
    ]);
  });

  it('rejects wrong lengths', () => {
    expect(rulesOf('11010519491231002')).toEqual(['personal_id.length']);
    expect(rulesOf('11010519491231002X1')).toEqual(['personal_id.length']);
    expect(rulesOf('110105491231002')).toEqual(['personal_id.length']); // 15-digit first-generation numbers are out of scope
  });

  it('rejects letters, and X anywhere but the last position', () => {
    const r = checkPersonalId('1101A519491231002X', TODAY);
    expect(r.errors).toEqual([expect.objectContaining({ rule: 'personal_id.charset', position: 5 })]);
    expect(rulesOf('X10105194912310021')).toEqual(['personal_id.charset']);
    expect(rulesOf('11010519491231002A')).toEqual(['personal_id.charset']);
  });

  it('rejects Feb 29 in a non-leap year (including 1900)', () => {
    const r = checkPersonalId(withCheck('110105' + '19990229' + '002'), TODAY);
    expect(r.errors).toEqual([expect.objectContaining({ rule: 'personal_id.birth_date', position: 7 })]);
    expect(r.errors[0]?.en).toContain('"19990229"');
    expect(rulesOf(withCheck('110105' + '19000229' + '002'))).toEqual(['personal_id.birth_date']);
    expect(rulesOf(withCheck('110105' + '19901301' + '002'))).toEqual(['personal_id.birth_date']);
    expect(rulesOf(withCheck('110105' + '19900100' + '002'))).toEqual(['personal_id.birth_date']);
  });

  it('rejects a birth date in the future', () => {
    const r = checkPersonalId(withCheck('110105' + '20240602' + '002'), TODAY);
    expect(r.errors).toEqual([expect.objectContaining({ rule: 'personal_id.birth_date' })]);
    expect(r.errors[0]?.en).toContain('future');
    expect(r.birthDate).toBeUndefined();
  });

  it('rejects a birth date before 1900 (the GB 11643 example born 1880)', () => {
    const r = checkPersonalId(STANDARD_EXAMPLE_1880, TODAY);
    expect(r.errors.map((e) => e.rule)).toEqual(['personal_id.birth_date']); // its check digit is right
    expect(r.errors[0]?.en).toContain('before 1900-01-01');
  });
});

describe('masked numbers', () => {
  it.each(['3303021985****1234', '110101********123X', '110101**********12', '******************'])(
    'recognises %s as masked and keeps it as is',
    (masked) => {
      expect(isMaskedPersonalId(masked)).toBe(true);
      const r = checkPersonalId(masked, TODAY);
      expect(r).toMatchObject({ ok: true, masked: true, code: masked, errors: [] });
      expect(r.birthDate).toBeUndefined();
    },
  );

  it('recognises full-width stars and lower-case x', () => {
    expect(isMaskedPersonalId('110101＊＊＊＊＊＊＊＊123x')).toBe(true);
    expect(checkPersonalId('110101＊＊＊＊＊＊＊＊123x', TODAY).code).toBe('110101********123X');
  });

  it('does not treat malformed masks as masked', () => {
    expect(isMaskedPersonalId('3303021985****123')).toBe(false); // 17 characters
    expect(isMaskedPersonalId('3303**1985****1234')).toBe(false); // two runs of stars
    expect(isMaskedPersonalId('33030X1985****1234')).toBe(false); // X before the end
    expect(isMaskedPersonalId(STANDARD_EXAMPLE)).toBe(false);
    expect(rulesOf('3303**1985****1234')).toEqual(['personal_id.mask']);
    expect(rulesOf('3303021985****123')).toEqual(['personal_id.length', 'personal_id.mask']);
  });

  it('maskPersonalId keeps the first 6 and last 4', () => {
    expect(maskPersonalId(STANDARD_EXAMPLE)).toBe('110105********002X');
    expect(maskPersonalId('11010519491231002x')).toBe('110105********002X');
    expect(maskPersonalId('110101********123X')).toBe('110101********123X');
    expect(maskPersonalId('3303021985****1234')).toBe('3303021985****1234');
    expect(maskPersonalId('1234567')).toBe('*******'); // never leaks a short fragment
  });
});

describe('redactPersonalIds', () => {
  const id = syntheticPersonalId(123_456); // born 1960 + 123 days
  const masked = maskPersonalId(id);

  it('masks an ID sitting directly between Chinese characters', () => {
    expect(redactPersonalIds(`被执行人张三身份证号${id}住所地江苏省昆山市`, TODAY)).toBe(
      `被执行人张三身份证号${masked}住所地江苏省昆山市`,
    );
  });

  it('masks an ID next to a USCC and leaves the USCC alone', () => {
    const text = `失信主体91350100M000100Y43，法定代表人${STANDARD_EXAMPLE}；华为914403001922038216 ${id}`;
    expect(redactPersonalIds(text, TODAY)).toBe(
      `失信主体91350100M000100Y43，法定代表人110105********002X；华为914403001922038216 ${masked}`,
    );
  });

  it('masks lower-case x, full-width digits and IDs glued to ASCII letters', () => {
    expect(redactPersonalIds('证件11010519491231002x。', TODAY)).toBe('证件110105********002X。');
    expect(redactPersonalIds('证件１１０１０５１９４９１２３１００２Ｘ。', TODAY)).toBe('证件110105********002X。');
    expect(redactPersonalIds(`ID${id}`, TODAY)).toBe(`ID${masked}`);
  });

  it('leaves digit runs alone when their check digit or birth date fails, or they are longer than 18', () => {
    const badCheck = '110105194912310021';
    const badDate = withCheck('110105' + '19990229' + '002');
    const longRun = `9${id}`;
    const text = `账号${badCheck}，编号${badDate}，流水${longRun}，已脱敏110101********123X`;
    expect(redactPersonalIds(text, TODAY)).toBe(text);
  });

  it('masks every ID in the text', () => {
    const ids = [0, 1, 2].map((n) => syntheticPersonalId(n));
    const text = ids.join('、');
    expect(redactPersonalIds(text, TODAY)).toBe(ids.map(maskPersonalId).join('、'));
  });

  it('agrees with the rule written as a regular expression, on generated text', () => {
    // The scan is hand-written for speed; this is the rule it implements.
    const candidate = /(?<![0-9\uFF10-\uFF19])[0-9\uFF10-\uFF19]{17}[0-9\uFF10-\uFF19XxＸｘ](?![0-9\uFF10-\uFF19])/g;
    const byRule = (text: string) => text.replace(candidate, (m) => {
      const r = checkPersonalId(m, TODAY);
      return r.ok && !r.masked ? maskPersonalId(r.code) : m;
    });
    const ids = [STANDARD_EXAMPLE, '11010519491231002x', syntheticPersonalId(7), syntheticPersonalId(123_456), '914403001922038216'];
    const piece = fc.oneof(
      fc.constantFrom(...ids, '１１０１０５１９４９１２３１００２Ｘ', 'X', 'x', 'Ｘ', '0', '９', '*', '号', 'ID', ' '),
      fc.stringMatching(/^[0-9]{1,20}$/),
      fc.string({ maxLength: 4 }),
    );
    fc.assert(fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
      const text = pieces.join('');
      expect(redactPersonalIds(text, TODAY)).toBe(byRule(text));
    }), { numRuns: 3000 });
  });
});

describe('syntheticPersonalId', () => {
  it('builds valid, deterministic numbers', () => {
    expect(syntheticPersonalId(0)).toBe(syntheticPersonalId(0));
    expect(checkPersonalId(syntheticPersonalId(0), TODAY)).toMatchObject({
      ok: true,
      birthDate: '1960-01-01',
      region: '320583',
    });
    expect(checkPersonalId(syntheticPersonalId(5, '19851231'), TODAY).birthDate).toBe('1985-12-31');
  });

  it('rejects bad arguments', () => {
    expect(() => syntheticPersonalId(-1)).toThrow(RangeError);
    expect(() => syntheticPersonalId(1000, '1990-01-01')).toThrow(RangeError);
    expect(() => syntheticPersonalId(1, '1999-02-29')).toThrow(RangeError);
    expect(() => syntheticPersonalId(20_000_000)).toThrow(RangeError);
  });

  it('every synthetic number is valid and distinct n give distinct numbers (n up to 10,000,000)', () => {
    const n = fc.integer({ min: 0, max: 10_000_000 });
    fc.assert(fc.property(n, (k) => checkPersonalId(syntheticPersonalId(k), TODAY).ok));
    fc.assert(
      fc.property(n, n, (a, b) => (a === b) === (syntheticPersonalId(a) === syntheticPersonalId(b))),
    );
  });

  it('a single changed digit in the first 17 positions breaks the check digit or the date', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 0, max: 16 }),
        fc.integer({ min: 1, max: 9 }),
        (k, index, shift) => {
          const id = syntheticPersonalId(k);
          const digit = (Number(id.charAt(index)) + shift) % 10;
          const mutated = id.slice(0, index) + String(digit) + id.slice(index + 1);
          return !checkPersonalId(mutated, TODAY).ok;
        },
      ),
    );
  });
});

/** Appends the ISO 7064 MOD 11-2 check char (independent re-implementation for the tests). */
function withCheck(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((acc, ch, i) => acc + Number(ch) * (weights[i] ?? 0), 0);
  return first17 + ('10X98765432'.charAt(sum % 11));
}
