import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { syntheticPersonalId } from '../../src/domain/personal-id.js';
import { syntheticUscc, usccCheckChar } from '../../src/domain/uscc.js';
import { addIdentifierFormats } from '../../src/validation/formats.js';

function validatorFor(format: string) {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addIdentifierFormats(ajv);
  return ajv.compile({ type: 'string', format });
}

describe('uscc format', () => {
  const valid = validatorFor('uscc');

  it('accepts valid codes, including one with only an org-code warning', () => {
    expect(valid('91350100M000100Y43')).toBe(true);
    expect(valid(syntheticUscc(1, { kindCode: '11' }))).toBe(true);
    const warnOnly = '91350100M000100Y5';
    expect(valid(warnOnly + usccCheckChar(warnOnly))).toBe(true);
  });

  it('rejects invalid codes', () => {
    expect(valid('91350100M000100Y44')).toBe(false);
    expect(valid('91350100M000100Y4')).toBe(false);
    expect(valid('')).toBe(false);
    expect(valid.errors?.[0]).toMatchObject({ keyword: 'format', params: { format: 'uscc' } });
  });

  it('checks the string as given: spellings that only pass after normalisation are rejected', () => {
    expect(valid('91350100m000100y43')).toBe(false);
    expect(valid(' 91350100M000100Y43')).toBe(false);
    expect(valid('９１３５０１００Ｍ０００１００Ｙ４３')).toBe(false);
  });

  it('ignores non-strings (type is checked separately)', () => {
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true });
    addIdentifierFormats(ajv);
    expect(ajv.validate({ type: ['string', 'number'], format: 'uscc' }, 42)).toBe(true);
    expect(ajv.validate({ type: ['string', 'number'], format: 'uscc' }, 'x')).toBe(false);
  });
});

describe('personal-id format', () => {
  const valid = validatorFor('personal-id');

  it('accepts full valid numbers only', () => {
    expect(valid('11010519491231002X')).toBe(true);
    expect(valid(syntheticPersonalId(7))).toBe(true);
    expect(valid('3303021985****1234')).toBe(false);
    expect(valid('110101********123X')).toBe(false);
  });

  it('rejects invalid and unnormalised numbers', () => {
    expect(valid('110105194912310021')).toBe(false);
    expect(valid('440524188001010014')).toBe(false); // born 1880
    expect(valid('3303**1985****1234')).toBe(false);
    expect(valid('11010519491231002x')).toBe(false);
  });
});

describe('personal-id-masked format', () => {
  const valid = validatorFor('personal-id-masked');

  it('accepts the published masking layouts', () => {
    expect(valid('110101********123X')).toBe(true); // the gateway's own: first six and last four
    expect(valid('3303021985****1234')).toBe(true); // birth month and day hidden
    expect(valid('41072619780****1211')).toBe(true); // 19 characters: 11 digits, ****, 4 (court list before 2017)
  });

  it('rejects full numbers, two runs of stars and other lengths', () => {
    expect(valid('11010519491231002X')).toBe(false);
    expect(valid('3303**1985****1234')).toBe(false);
    expect(valid('110101*******123X')).toBe(false);
    expect(valid('110101********123x')).toBe(false);
    expect(valid('4107261978****12111')).toBe(false);
  });
});

describe('gb2260 format', () => {
  const valid = validatorFor('gb2260');

  it('accepts six digits other than 000000', () => {
    expect(valid('320583')).toBe(true);
    expect(valid('110000')).toBe(true);
    expect(valid('000000')).toBe(false);
    expect(valid('32058')).toBe(false);
    expect(valid('3205830')).toBe(false);
    expect(valid('32A583')).toBe(false);
    expect(valid('３２０５８３')).toBe(false);
  });
});

describe('standard formats from ajv-formats', () => {
  it.each([
    ['date', '2024-02-29', '2023-02-29'],
    ['date-time', '2024-06-01T12:00:00+08:00', '2024-06-01 12:00'],
    ['uri', 'https://www.creditchina.gov.cn/', 'not a uri'],
    ['email', 'credit@example.gov.cn', 'credit@'],
    ['uuid', '123e4567-e89b-12d3-a456-426614174000', '123e4567'],
  ])('%s is registered', (format, good, bad) => {
    const valid = validatorFor(format);
    expect(valid(good)).toBe(true);
    expect(valid(bad)).toBe(false);
  });
});
