/**
 * The columns of every category's template come from its schemas: one per field of the push shape a
 * department fills and per `data` field (procurement_breach: the union of its list types), with unique
 * keys and headings, the conditional rules in Chinese, and example rows that map back to the push items
 * they were made from.
 */
import { describe, expect, it } from 'vitest';
import { CATEGORY_IDS, categoryInfo } from '../../src/domain/catalogue.js';
import { rowToPushItem } from '../../src/templates/row-mapping.js';
import { templateExamples } from '../../src/templates/template-examples.js';
import { categoryTemplate } from '../../src/templates/template.js';
import { PARTY_SLOTS } from '../../src/templates/template-columns.js';
import { loadSchemaFiles } from '../../src/validation/schema-files.js';
import { objectProperties } from '../../src/validation/schema-rules.js';

type Schema = Record<string, unknown>;
const schemaOf = (name: string) => loadSchemaFiles().find((f) => f.name === name)!.schema as Schema;

/** The data fields a category's template must have a column for. */
function dataFields(category: string): string[] {
  const schema = schemaOf(`categories/${category}`);
  const variants = Object.values((schema.$defs ?? {}) as Record<string, Schema>);
  return [...new Set([schema, ...variants].flatMap((s) => objectProperties(s).map(([f]) => f)))];
}

describe.each(CATEGORY_IDS)('the %s template', (category) => {
  const template = categoryTemplate(category);
  const keys = template.columns.map((c) => c.key);

  it('has the record-level columns a row needs, then every data field, with unique keys and headings', () => {
    const info = categoryInfo(category)!;
    const record = ['subject.name', 'subject.uscc', 'subject.idNumber', 'subject.orgCode', 'subject.kind', 'subject.region', 'source.key', 'decidedAt',
      ...(info.severities.length ? ['severity'] : []), 'publishFrom', 'publishUntil'];
    expect(keys.slice(0, record.length)).toEqual(record);
    for (const field of dataFields(category)) {
      expect(keys.some((k) => k === `data.${field}` || k.startsWith(`data.${field}.`)), field).toBe(true);
    }
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(template.columns.map((c) => c.heading)).size).toBe(keys.length);
    for (const c of template.columns) {
      expect(c.heading, c.key).toMatch(/^[^\s/[\]]/);
      expect(c.heading, c.key).not.toMatch(/ \/ |\[/);
      expect(c.rule, c.key).toMatch(/^(必填|选填|当|仅)/);
    }
  });

  it('has example rows that turn back into the push items they were made from', () => {
    const examples = templateExamples(category);
    expect(template.examples.length).toBe(examples.length);
    template.examples.forEach((row, i) => {
      const item = rowToPushItem(category, template.columns, row, 'dept-system');
      const expected = structuredClone(examples[i]!) as Record<string, any>;
      expect(item).toEqual({ category, ...expected, source: { ...expected.source, system: 'dept-system' } });
    });
  });
});

describe('column rules', () => {
  const rule = (category: (typeof CATEGORY_IDS)[number], key: string) => categoryTemplate(category).columns.find((c) => c.key === key)!;

  it('states formats, enumerated values and conditions in Chinese', () => {
    expect(rule('admin_penalty', 'subject.uscc').rule).toContain('统一社会信用代码，18 位');
    expect(rule('admin_penalty', 'decidedAt')).toMatchObject({ type: 'date', required: true, rule: '必填；日期，格式 YYYY-MM-DD' });
    expect(rule('admin_penalty', 'data.CF_XDR_LB').values).toEqual(['法人及非法人组织', '自然人', '个体工商户']);
    expect(rule('admin_penalty', 'data.CF_NR_FK')).toMatchObject({ type: 'number', required: false });
    expect(rule('admin_penalty', 'data.CF_NR_FK').rule).toContain('当“处罚类别”含“罚款”时必填');
    expect(rule('admin_penalty', 'data.CF_FRDB').rule).toContain('当“行政相对人类别”为“自然人”时不得填写');
    expect(rule('dishonest_debtor', 'data.idNumberMasked').rule).toContain('当“被执行人类型”不为“自然人”时不得填写');
    expect(rule('admin_penalty', 'severity').values).toEqual(['minor', 'general', 'severe']);
    expect(categoryTemplate('court_judgment').columns.some((c) => c.key === 'severity')).toBe(false);
    expect(rule('court_judgment', 'data.governmentParty')).toMatchObject({ type: 'boolean', values: ['是', '否'], required: true });
  });

  it('gives procurement_breach the union of its list types, each saying where it belongs', () => {
    expect(rule('procurement_breach', 'data.listType')).toMatchObject({ required: true, values: ['serious_dishonesty', 'contract_default', 'payment_default'] });
    expect(rule('procurement_breach', 'data.enterpriseName').rule).toContain('仅“名单类型”为 serious_dishonesty 时填写；“名单类型”为 serious_dishonesty 时必填');
    expect(rule('procurement_breach', 'data.amountOverdue').rule).toContain('仅“名单类型”为 contract_default、payment_default 时填写；“名单类型”为 payment_default 时必填');
    expect(rule('procurement_breach', 'data.resolvedAt').rule).toContain('当“已纠正/已清偿”为“是”时必填');
  });

  it('gives a list of objects a group of columns per slot, and a list of strings one column', () => {
    const keys = categoryTemplate('court_judgment').columns.map((c) => c.key);
    expect(keys.filter((k) => k.startsWith('data.parties.')).length).toBe(PARTY_SLOTS * 4);
    expect(rule('court_judgment', 'data.parties.1.name').required).toBe(true);
    expect(rule('court_judgment', 'data.parties.2.name').rule).toContain('当填写当事人2的其他列时必填');
    expect(rule('court_judgment', 'data.causes').type).toBe('list');
  });
});

describe('rowToPushItem', () => {
  const { columns } = categoryTemplate('court_judgment');

  it('leaves empty cells out, converts numbers, 是/否 and lists, and closes gaps in slots', () => {
    const item = rowToPushItem('court_judgment', columns, {
      'subject.name': ' 某局 ', 'source.key': 'K1', 'data.causes': '行政处罚；行政许可; ', 'data.governmentParty': '否',
      'data.parties.1.name': '甲', 'data.parties.3.name': '丙', 'data.parties.3.kind': 'organ', 'decidedAt': '',
    }, 'sys');
    expect(item).toEqual({
      category: 'court_judgment', subject: { name: '某局' }, source: { system: 'sys', key: 'K1' },
      data: { causes: ['行政处罚', '行政许可'], governmentParty: false, parties: [{ name: '甲' }, { name: '丙', kind: 'organ' }] },
    });
    const penalty = categoryTemplate('admin_penalty').columns;
    expect(rowToPushItem('admin_penalty', penalty, { 'data.CF_NR_FK': '1,234.5' }, 's').data).toEqual({ CF_NR_FK: 1234.5 });
    expect(rowToPushItem('admin_penalty', penalty, { 'data.CF_NR_FK': '五万' }, 's').data).toEqual({ CF_NR_FK: '五万' });
  });
});
