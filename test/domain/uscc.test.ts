import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  USCC_ALPHABET,
  checkUscc,
  isGovernmentKind,
  normalizeIdentifier,
  orgCodeCheckChar,
  syntheticUscc,
  usccCheckChar,
} from '../../src/domain/uscc.js';

/** Appends the correct mod-31 check char, so a test can isolate one other rule. */
const withCheck = (first17: string): string => first17 + usccCheckChar(first17);

const rulesOf = (input: string): string[] => checkUscc(input).errors.map((e) => e.rule);

// Codes as printed on business licences and in public registration records (国家企业信用信息公示系统).
// The attributions are from public sources; each code is kept here only because it passes BOTH the
// GB 32100 mod-31 and the GB 11714 mod-11 check (a random string does so with probability 1/341).
const PUBLISHED = [
  '91350100M000100Y43', // widely reproduced sample code from a Fuzhou (350100) licence
  '91110000600037341L', // suggested in the design doc
  '914403001922038216', // 华为技术有限公司 (Shenzhen)
  '91440300708461136T', // 深圳市腾讯计算机系统有限公司
  '91330100799655058B', // 阿里巴巴（中国）有限公司 (Hangzhou)
  '91110000710925462X', // 中国石油天然气股份有限公司
  '91110108551385082Q', // 小米科技有限责任公司
  '91110000802100433B', // 百度在线网络技术（北京）有限公司
];

describe('USCC_ALPHABET', () => {
  it('has 31 characters and omits I, O, Z, S, V', () => {
    expect(USCC_ALPHABET).toHaveLength(31);
    for (const ch of 'IOZSV') expect(USCC_ALPHABET).not.toContain(ch);
  });
});

describe('checkUscc: published codes', () => {
  it.each(PUBLISHED)('%s is valid with no warnings', (code) => {
    const r = checkUscc(code);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.code).toBe(code);
  });

  it('parses the parts', () => {
    expect(checkUscc('91350100M000100Y43')).toEqual({
      ok: true,
      code: '91350100M000100Y43',
      errors: [],
      warnings: [],
      authorityCode: '9',
      authorityZh: '工商',
      kindCode: '91',
      kind: 'enterprise',
      kindZh: '企业',
      region: '350100',
      orgCode: 'M000100Y4',
    });
  });
});

describe('checkUscc: normalisation', () => {
  it('accepts full-width input', () => {
    const r = checkUscc('９１３５０１００Ｍ０００１００Ｙ４３');
    expect(r.ok).toBe(true);
    expect(r.code).toBe('91350100M000100Y43');
  });

  it('accepts lower case', () => {
    expect(checkUscc('91350100m000100y43')).toMatchObject({ ok: true, code: '91350100M000100Y43' });
  });

  it('strips surrounding ideographic spaces, zero-width characters, inner spaces and hyphens', () => {
    expect(checkUscc('\u3000\u3000 91350100M000100Y43\u3000').code).toBe('91350100M000100Y43');
    expect(checkUscc('\u200B\uFEFF9135\u200D0100M000100Y43\u2060').code).toBe('91350100M000100Y43');
    expect(checkUscc('9135 0100-M000100Y4－3').code).toBe('91350100M000100Y43');
    expect(checkUscc('\t91350100M000100Y43\n').ok).toBe(true);
  });
});

describe('checkUscc: errors', () => {
  it('rejects a wrong length and says what was found', () => {
    const short = checkUscc('91350100M000100Y4');
    expect(short.ok).toBe(false);
    expect(short.errors).toHaveLength(1);
    expect(short.errors[0]).toMatchObject({ rule: 'uscc.length' });
    expect(short.errors[0]?.en).toContain('found 17');
    expect(short.errors[0]?.zh).toContain('17位');
    expect(rulesOf('91350100M000100Y433')).toEqual(['uscc.length']);
    expect(rulesOf('')).toEqual(['uscc.length']);
  });

  it.each(['I', 'O', 'Z', 'S', 'V'])('rejects the excluded letter %s as a charset error with its position', (ch) => {
    const code = '91350100M' + ch + '00100Y43';
    const r = checkUscc(code);
    expect(r.ok).toBe(false);
    expect(r.errors).toEqual([expect.objectContaining({ rule: 'uscc.charset', position: 10 })]);
    expect(r.errors[0]?.en).toContain(`"${ch}"`);
  });

  it('rejects other characters as charset errors, one per position, alongside a length error', () => {
    const r = checkUscc('9135010*M000100Y4');
    expect(r.errors.map((e) => [e.rule, e.position])).toEqual([
      ['uscc.length', undefined],
      ['uscc.charset', 8],
    ]);
  });

  it('rejects an unknown registration authority at position 1', () => {
    const r = checkUscc(withCheck('B1320583MA1MXXXX'.padEnd(17, '0')));
    expect(r.errors).toEqual([expect.objectContaining({ rule: 'uscc.authority', position: 1 })]);
    expect(r.errors[0]?.en).toContain('"B"');
    expect(r.ok).toBe(false);
  });

  it.each(['94', '99', '10', '14', '56', '5A', 'Y2', 'A2', 'N4'])('rejects kind pair %s at position 2', (pair) => {
    const r = checkUscc(withCheck(pair + '32058300000000' + '0'));
    expect(r.errors.map((e) => e.rule)).toEqual(['uscc.kind']);
    expect(r.errors[0]?.position).toBe(2);
    expect(r.kind).toBeUndefined();
  });

  it('rejects letters in the region (positions 3-8) and points at the first one', () => {
    const r = checkUscc(withCheck('9132A583' + '000000011'));
    expect(r.errors).toEqual([expect.objectContaining({ rule: 'uscc.region', position: 5 })]);
  });

  it('rejects a wrong mod-31 check digit, naming expected and found', () => {
    const r = checkUscc('91350100M000100Y44');
    expect(r.ok).toBe(false);
    expect(r.errors).toEqual([
      {
        rule: 'uscc.check_digit',
        position: 18,
        en: 'USCC check digit (GB 32100 mod-31) is wrong: expected "3", found "4"',
        zh: '统一社会信用代码校验码（GB 32100 模31，第18位）错误：应为“3”，实际为“4”',
      },
    ]);
  });

  it('treats a bad org-code check digit with a good mod-31 digit as ok with a warning', () => {
    // Org code M000100Y4 has check char 4; use 5 and recompute the mod-31 char.
    const code = withCheck('91350100M000100Y5');
    const r = checkUscc(code);
    expect(r.ok).toBe(true);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([
      expect.objectContaining({ rule: 'uscc.org_code_check_digit', position: 17 }),
    ]);
    expect(r.warnings[0]?.en).toContain('expected "4", found "5"');
  });

  it('reports several independent errors together', () => {
    expect(rulesOf('B2AB0100M000100Y43')).toEqual(['uscc.authority', 'uscc.region', 'uscc.check_digit']);
  });
});

describe('authority / kind table', () => {
  it.each([
    ['11', 'organ', '机构编制'],
    ['12', 'public_institution', '机构编制'],
    ['13', 'mass_organization', '机构编制'],
    ['19', 'other_institution', '机构编制'],
    ['21', 'other', '外交'],
    ['35', 'other', '司法行政'],
    ['41', 'other', '文化'],
    ['51', 'social_organization', '民政'],
    ['52', 'private_non_enterprise', '民政'],
    ['53', 'foundation', '民政'],
    ['54', 'other', '民政'],
    ['55', 'other', '民政'],
    ['59', 'other', '民政'],
    ['62', 'other', '旅游'],
    ['72', 'other', '宗教'],
    ['81', 'other', '工会'],
    ['91', 'enterprise', '工商'],
    ['92', 'individual_business', '工商'],
    ['93', 'cooperative', '工商'],
    ['A1', 'other', '中央军委改革和编制办公室'],
    ['G1', 'other', '公安'],
    ['N3', 'other', '农业'],
    ['Y1', 'other', '其他'],
  ] as const)('accepts %s as %s (%s)', (kindCode, kind, authorityZh) => {
    const r = checkUscc(syntheticUscc(42, { kindCode }));
    expect(r.ok).toBe(true);
    expect(r).toMatchObject({ kindCode, kind, authorityZh, authorityCode: kindCode.charAt(0) });
  });

  it('isGovernmentKind is true exactly for the 机构编制 kinds', () => {
    for (const k of ['organ', 'public_institution', 'mass_organization', 'other_institution'] as const) {
      expect(isGovernmentKind(k)).toBe(true);
    }
    for (const k of ['social_organization', 'enterprise', 'individual_business', 'other'] as const) {
      expect(isGovernmentKind(k)).toBe(false);
    }
    expect(isGovernmentKind(undefined)).toBe(false);
    expect(isGovernmentKind(checkUscc(syntheticUscc(1, { kindCode: '11' })).kind)).toBe(true);
  });
});

describe('check characters', () => {
  it('orgCodeCheckChar follows GB 11714, including the X and 0 cases', () => {
    expect(orgCodeCheckChar('M000100Y')).toBe('4');
    expect(orgCodeCheckChar('00000001')).toBe('9'); // sum 2 → 11 - 2
    expect(orgCodeCheckChar('00000006')).toBe('X'); // sum 12 ≡ 1 → 10
    expect(orgCodeCheckChar('00000000')).toBe('0'); // sum 0 → 11
    expect(() => orgCodeCheckChar('0000000')).toThrow(RangeError);
    expect(() => orgCodeCheckChar('0000000-')).toThrow(RangeError);
  });

  it('usccCheckChar matches published codes and rejects bad input', () => {
    for (const code of PUBLISHED) expect(usccCheckChar(code.slice(0, 17))).toBe(code.charAt(17));
    expect(() => usccCheckChar('91350100M000100Y')).toThrow(RangeError);
    expect(() => usccCheckChar('91350100M000100I4')).toThrow(RangeError);
  });
});

describe('syntheticUscc', () => {
  it('is deterministic, defaults to kind 91 and region 320583 (昆山)', () => {
    expect(syntheticUscc(7)).toBe(syntheticUscc(7));
    expect(checkUscc(syntheticUscc(7))).toMatchObject({ ok: true, kindCode: '91', region: '320583' });
    expect(checkUscc(syntheticUscc(7, { kindCode: '52', region: '110105' }))).toMatchObject({
      ok: true,
      kindCode: '52',
      region: '110105',
    });
  });

  it('gives distinct codes for distinct n, up to and beyond 10,000,000', () => {
    const ns = [0, 1, 2, 9, 10, 999_999, 1_000_000, 9_999_999, 10_000_000, 99_999_999];
    expect(new Set(ns.map((n) => syntheticUscc(n))).size).toBe(ns.length);
    const many = new Set<string>();
    for (let n = 0; n < 20_000; n++) many.add(syntheticUscc(n));
    expect(many.size).toBe(20_000);
  });

  it('rejects bad arguments', () => {
    expect(() => syntheticUscc(-1)).toThrow(RangeError);
    expect(() => syntheticUscc(1.5)).toThrow(RangeError);
    expect(() => syntheticUscc(100_000_000)).toThrow(RangeError);
    expect(() => syntheticUscc(1, { kindCode: '94' })).toThrow(RangeError);
    expect(() => syntheticUscc(1, { region: '32058' })).toThrow(RangeError);
  });
});

describe('properties', () => {
  const KIND_CODES = ['11', '12', '13', '19', '21', '31', '51', '52', '53', '91', '92', '93', 'A1', 'N1', 'Y1'];
  const validCode = fc
    .tuple(
      fc.integer({ min: 0, max: 99_999_999 }),
      fc.constantFrom(...KIND_CODES),
      fc.integer({ min: 110000, max: 829999 }),
    )
    .map(([n, kindCode, region]) => syntheticUscc(n, { kindCode, region: String(region) }));

  it('every syntheticUscc is valid, without warnings', () => {
    fc.assert(
      fc.property(validCode, (code) => {
        const r = checkUscc(code);
        return r.ok && r.warnings.length === 0 && r.code === code;
      }),
    );
  });

  it('distinct n give distinct codes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99_999_999 }), fc.integer({ min: 0, max: 99_999_999 }), (a, b) =>
        a === b ? syntheticUscc(a) === syntheticUscc(b) : syntheticUscc(a) !== syntheticUscc(b),
      ),
    );
  });

  it('changing any single character to another alphabet character breaks the mod-31 check', () => {
    fc.assert(
      fc.property(
        validCode,
        fc.integer({ min: 0, max: 17 }),
        fc.integer({ min: 1, max: 30 }),
        (code, index, shift) => {
          const original = USCC_ALPHABET.indexOf(code.charAt(index));
          const replacement = USCC_ALPHABET.charAt((original + shift) % 31);
          const mutated = code.slice(0, index) + replacement + code.slice(index + 1);
          return rulesOf(mutated).includes('uscc.check_digit');
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('normalisation is idempotent', () => {
    for (const unit of ['grapheme', 'binary'] as const) {
      fc.assert(
        fc.property(fc.string({ unit, maxLength: 40 }), (s) => {
          const once = normalizeIdentifier(s);
          return normalizeIdentifier(once) === once;
        }),
        { numRuns: 2000 },
      );
    }
  });

  it('ASCII letters and digits normalise to their upper case (codes already normal are returned as they are)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9A-Za-z]{0,20}$/), (s) => normalizeIdentifier(s) === s.toUpperCase()),
      { numRuns: 2000 },
    );
    expect(normalizeIdentifier('91320583042000017C')).toBe('91320583042000017C');
    expect(normalizeIdentifier('9132058304200001７c')).toBe('91320583042000017C');
  });

  it('decorated spellings of a valid code normalise back to it', () => {
    const toFullWidth = (s: string) =>
      [...s].map((ch) => String.fromCharCode(ch.charCodeAt(0) + 0xfee0)).join('');
    const noise = fc.constantFrom(' ', '\u3000', '-', '\u200B', '\uFEFF', '\u00A0', '\u2014', '');
    fc.assert(
      fc.property(validCode, fc.array(noise, { minLength: 19, maxLength: 19 }), fc.boolean(), fc.boolean(), (code, gaps, lower, wide) => {
        let s = lower ? code.toLowerCase() : code;
        if (wide) s = toFullWidth(s);
        const decorated = [...s].map((ch, i) => (gaps[i] ?? '') + ch).join('') + (gaps[18] ?? '');
        const r = checkUscc(decorated);
        return r.ok && r.code === code;
      }),
    );
  });
});
