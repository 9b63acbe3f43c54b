/** The verdict of one code in a 联合惩戒 check: validity, kind, punishment, measures, stable order. Pure. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { checkCode, codeToLookUp, measureCatalogue, measuresFor, type CheckedRecord } from '../../src/domain/checks.js';
import { checkUscc, syntheticUscc } from '../../src/domain/uscc.js';

const measures = loadConfig({ env: {} }).measures;
const company = syntheticUscc(42);
const organ = syntheticUscc(7, { kindCode: '11', region: '320583' });

const rec = (id: string, category: string, severity: CheckedRecord['severity']): CheckedRecord => ({
  recordId: id, category, severity, status: 'active', publishUntil: null,
});

describe('checkCode', () => {
  it('a code that fails GB 32100 is invalid, says why, and is never looked up', () => {
    const bad = company.slice(0, 17) + (company[17] === '0' ? '1' : '0');
    const result = checkCode(bad, [], measures);
    expect(result).toMatchObject({ valid: false, verdict: 'invalid', underJointPunishment: false, measures: [], records: [] });
    expect(result.errors.map((e) => e.rule)).toContain('uscc.check_digit');
    expect(result.errors[0]!.zh).toBeTruthy();
    expect(codeToLookUp(checkUscc(bad))).toBeNull();
    expect(checkCode('not a code', [], measures).verdict).toBe('invalid');
  });

  it('every answer has the same fields in the same order, invalid, clear and punished alike', () => {
    const bad = company.slice(0, 17) + (company[17] === '0' ? '1' : '0');
    const shapes = [checkCode(bad, [], measures), checkCode(organ, [], measures), checkCode(company, [rec('b', 'dishonest_debtor', 'severe')], measures)]
      .map((answer) => Object.keys(answer).join(','));
    expect(new Set(shapes).size).toBe(1);
    expect(shapes[0]).toBe('input,uscc,valid,verdict,errors,warnings,kind,kindZh,underJointPunishment,measures,records');
  });

  it('the measures of a record do not depend on the records checked before it (the lookup is per category and severity)', () => {
    const severe = checkCode(company, [rec('a', 'dishonest_debtor', 'severe')], measures).measures;
    checkCode(company, [rec('b', 'admin_penalty', 'general')], measures);
    expect(checkCode(company, [rec('c', 'dishonest_debtor', 'severe')], measures).measures).toEqual(severe);
    expect(checkCode(company, [rec('d', 'admin_penalty', 'general')], measures).measures)
      .toEqual(measuresFor(measures, 'admin_penalty', 'general').map((m) => m.id));
  });

  it('a valid code without published negative records is clear, with its kind', () => {
    expect(checkCode(organ, [], measures)).toMatchObject({ valid: true, verdict: 'clear', kind: 'organ', kindZh: '机关', measures: [], records: [] });
  });

  it('input is normalised (full-width, spaces, lower case) before lookup; the answer echoes the input', () => {
    const messy = ` ${company.toLowerCase().replace('9', '９')} `;
    expect(codeToLookUp(checkUscc(messy))).toBe(company);
    expect(checkCode(messy, [], measures)).toMatchObject({ input: messy, uscc: company, valid: true });
  });

  it('a published severe record (失信被执行人) puts the subject under joint punishment with its measures', () => {
    const result = checkCode(company, [rec('b', 'dishonest_debtor', 'severe')], measures);
    expect(result).toMatchObject({ verdict: 'punished', underJointPunishment: true });
    expect(result.measures).toEqual(['government_procurement', 'bidding', 'state_funding', 'honours']);
    expect(result.records).toEqual([rec('b', 'dishonest_debtor', 'severe')]);
  });

  it('serious procurement dishonesty bars from procurement and tenders, not from state funding', () => {
    const result = checkCode(company, [rec('a', 'procurement_breach', 'severe')], measures);
    expect(result.measures).toEqual(['government_procurement', 'bidding', 'honours']);
    const names = new Map(measureCatalogue(measures).map((m) => [m.id, m.nameZh]));
    expect(result.measures.map((id) => names.get(id))).toEqual(['限制参加政府采购活动', '限制参加招标投标', '限制参评评先评优']);
  });

  it('general records are referenced but are no joint punishment', () => {
    const result = checkCode(company, [rec('a', 'admin_penalty', 'general')], measures);
    expect(result).toMatchObject({ verdict: 'clear', underJointPunishment: false, measures: [] });
    expect(result.records).toHaveLength(1);
  });

  it('a precomputed code check gives the same answer as checking the input again', () => {
    const records = [rec('a', 'admin_penalty', 'severe')];
    expect(checkCode(company, records, measures, checkUscc(company))).toEqual(checkCode(company, records, measures));
  });

  it('the answer is stable: records by id, measures in config order, whatever order the store returned', () => {
    const records = [rec('c', 'admin_penalty', 'severe'), rec('a', 'procurement_breach', 'severe'), rec('b', 'admin_penalty', 'general')];
    const one = checkCode(company, records, measures);
    const two = checkCode(company, [...records].reverse(), measures);
    expect(two).toEqual(one);
    expect(one.records.map((r) => r.recordId)).toEqual(['a', 'b', 'c']);
    expect(one.measures).toEqual(['government_procurement', 'bidding', 'state_funding', 'honours']);
  });
});

describe('measuresFor', () => {
  it('matches category (or "*") and severity', () => {
    const list = [
      { id: 'x', nameZh: 'x', nameEn: 'x', appliesTo: { categories: ['admin_penalty'], severities: ['severe' as const] } },
      { id: 'y', nameZh: 'y', nameEn: 'y', appliesTo: { categories: ['*'], severities: ['general' as const, 'severe' as const] } },
    ];
    expect(measuresFor(list, 'admin_penalty', 'severe').map((m) => m.id)).toEqual(['x', 'y']);
    expect(measuresFor(list, 'bidding_misconduct', 'general').map((m) => m.id)).toEqual(['y']);
    expect(measuresFor(list, 'admin_penalty', 'minor')).toEqual([]);
  });
});
