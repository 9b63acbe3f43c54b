/**
 * Government organs and public institutions recognised by name (for rows without a USCC), and the
 * government flag: the USCC kind decides when there is a code, the name only when there is none.
 */
import { describe, expect, it } from 'vitest';
import { governmentKindByName, isGovernmentSubject } from '../../src/domain/government-name.js';
import { contentOf } from '../../src/domain/record.js';
import { checkUscc, syntheticUscc } from '../../src/domain/uscc.js';
import { sampleRecordInput } from '../../src/dev/sample-records.js';

describe('governmentKindByName', () => {
  it.each([
    '昆山市人民政府',
    '昆山市住房和城乡建设局',
    '昆山市发展和改革委员会',
    '昆山市卫健委',
    '昆山高新区管委会',
    '江苏省教育厅',
    '昆山市人民法院',
    '昆山市人民检察院',
    '昆山市公安局玉山派出所',
    '昆山市财政局第一分局',
    '昆山市玉山镇人民政府办公室',
    '昆山市玉山街道办事处',
    '中国共产党昆山市委员会',
    '中华人民共和国昆山海关',
  ])('%s is an organ', (name) => {
    expect(governmentKindByName(name)).toBe('organ');
  });

  it.each([
    '昆山市第一人民医院',
    '昆山市玉山镇卫生院',
    '昆山市疾病预防控制中心',
    '苏州大学',
    '江苏省昆山中学',
    '昆山市实验小学',
    '昆山市公共资源交易中心',
    '昆山市不动产登记中心',
    '昆山市住房公积金管理中心',
    '昆山市图书馆',
  ])('%s is a public institution', (name) => {
    expect(governmentKindByName(name)).toBe('public_institution');
  });

  it.each([
    // companies whose names contain 局 / 委 / 政府 / 医院 are still companies
    '昆山建设局有限公司',
    '昆山市住房和城乡建设局下属物业管理有限责任公司',
    '昆山市人民政府招待所经营部',
    '昆山市第一人民医院药品销售部',
    '江苏交通设计院股份有限公司',
    '昆山城投集团',
    '昆山市某某农业专业合作社',
    '某某会计师事务所',
    // grass-roots self-governing bodies (USCC 54/55) end in 委员会 but are not organs
    '昆山市玉山镇城北村民委员会',
    '昆山市玉山镇朝阳社区居民委员会',
    '某某小区业主委员会',
    // associations and plain names
    '昆山市建筑业协会',
    '张三',
    '昆山市某某科技',
  ])('%s is neither', (name) => {
    expect(governmentKindByName(name)).toBeUndefined();
  });

  it('ignores a trailing parenthesised remark, half- or full-width, but not a company named inside it', () => {
    expect(governmentKindByName('昆山市住房和城乡建设局（原昆山市建设局）')).toBe('organ');
    expect(governmentKindByName('昆山市住房和城乡建设局(原昆山市建设局)')).toBe('organ');
    expect(governmentKindByName('昆山市第一人民医院（昆山市红十字医院）')).toBe('public_institution');
    // the remark names the organ; the subject is the company
    expect(governmentKindByName('某某科技有限公司（昆山市财政局）')).toBeUndefined();
    expect(governmentKindByName('昆山建设局有限公司（原昆山市建设局）')).toBeUndefined();
  });

  it('reads full-width letters and digits and ignores spaces, including the ideographic space', () => {
    expect(governmentKindByName('ＡＢＣ县人民法院')).toBe('organ');
    expect(governmentKindByName('昆山市　财政局')).toBe('organ');
    expect(governmentKindByName(' 昆山市 人民 政府 ')).toBe('organ');
    expect(governmentKindByName('昆山市第１人民医院')).toBe('public_institution');
    expect(governmentKindByName('昆山建设局有限公司　')).toBeUndefined();
  });

  it('a bare ending is not a name', () => {
    expect(governmentKindByName('局')).toBeUndefined();
    expect(governmentKindByName('法院')).toBeUndefined();
    expect(governmentKindByName('')).toBeUndefined();
  });
});

describe('isGovernmentSubject', () => {
  it('with a USCC, the code kind decides, whatever the name says', () => {
    expect(isGovernmentSubject({ name: '昆山市人民政府', kind: 'enterprise', hasUscc: true })).toBe(false);
    expect(isGovernmentSubject({ name: '某某服务中心', kind: 'organ', hasUscc: true })).toBe(true);
    expect(isGovernmentSubject({ name: '某某服务中心', kind: 'public_institution', hasUscc: true })).toBe(true);
    expect(isGovernmentSubject({ name: '某某团体', kind: 'mass_organization', hasUscc: true })).toBe(true);
    expect(isGovernmentSubject({ name: '某某团体', kind: 'other_institution', hasUscc: true })).toBe(true);
    expect(isGovernmentSubject({ name: '昆山市玉山镇人民政府', kind: 'social_organization', hasUscc: true })).toBe(false);
    expect(isGovernmentSubject({ name: '昆山市玉山镇人民政府', kind: undefined, hasUscc: true })).toBe(false);
  });

  it('without a USCC, the name decides', () => {
    expect(isGovernmentSubject({ name: '昆山市住房和城乡建设局', kind: 'other', hasUscc: false })).toBe(true);
    expect(isGovernmentSubject({ name: '昆山市第一人民医院', hasUscc: false })).toBe(true);
    expect(isGovernmentSubject({ name: '昆山建设局有限公司', kind: 'other', hasUscc: false })).toBe(false);
    expect(isGovernmentSubject({ name: '昆山市玉山镇城北村民委员会', kind: 'other', hasUscc: false })).toBe(false);
  });

  it('a person is never a government subject, whatever the name', () => {
    expect(isGovernmentSubject({ name: '昆山市人民政府', kind: 'person', hasUscc: false })).toBe(false);
  });

  it('contentOf sets the flag from the code kind, or from the name when there is no code', () => {
    const organCode = syntheticUscc(11, { kindCode: '11' });
    expect(checkUscc(organCode).kind).toBe('organ');
    const base = sampleRecordInput('admin_penalty', 1);
    const withOrganCode = contentOf({ ...base, subject: { name: '某某服务中心', uscc: organCode } });
    expect(withOrganCode.flags).toEqual({ governmentSubject: true });
    const companyCodeOrganName = contentOf({ ...base, subject: { name: '昆山市人民政府', uscc: syntheticUscc(12) } });
    expect(companyCodeOrganName.flags).toEqual({ governmentSubject: false });
    const organByName = contentOf({ ...base, subject: { name: '昆山市住房和城乡建设局', region: '320583' } });
    expect(organByName.flags).toEqual({ governmentSubject: true });
    const companyByName = contentOf({ ...base, subject: { name: '昆山建设局有限公司', region: '320583' } });
    expect(companyByName.flags).toEqual({ governmentSubject: false });
  });
});
