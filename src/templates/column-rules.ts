/**
 * The Chinese rule text of a template column (pure): the format of its value — 统一社会信用代码 18 位,
 * YYYY-MM-DD dates, enumerated values, numbers — and its conditional rules ("当“行政相对人类别”为
 * “自然人”时必填"), read from the field's (resolved) JSON Schema and its schema's allOf.
 */
import { refName, type ConditionalRule, type FieldTest, type Schema } from '../validation/schema-rules.js';

/** The Chinese part of a schema title: before " / ", without the source field in square brackets. */
export function chineseTitle(title: unknown): string {
  const zh = String(title ?? '').split(' / ')[0] ?? '';
  return zh.replace(/\s*\[[^\]]*\]\s*/g, '').trim();
}

/** The first (Chinese) line of a schema description, if any. */
export function chineseNote(description: unknown): string | undefined {
  const first = typeof description === 'string' ? description.split('\n')[0]?.trim() : undefined;
  return first || undefined;
}

const FORMAT_TEXT: Record<string, string> = {
  uscc: '统一社会信用代码，18 位（GB 32100，含校验码）',
  'org-code': '组织机构代码，9 位（GB 11714，不含连字符）',
  gb2260: '行政区划代码，6 位数字（GB/T 2260）',
  date: '日期，格式 YYYY-MM-DD',
  'date-time': '时间，须带时区，如 2024-05-01T08:00:00+08:00',
  uri: '网址',
};

const REF_TEXT: Record<string, string> = {
  personalId: '公民身份号码，18 位（完整号码，或来源公布的脱敏号码）',
  caseNumber: '案号，如（2019）京0105执1234号',
};

function rangeText(prop: Schema): string {
  const min = typeof prop.minimum === 'number' ? prop.minimum : undefined;
  const max = typeof prop.maximum === 'number' ? prop.maximum : undefined;
  if (min !== undefined && max !== undefined) return `，${min} 至 ${max}`;
  if (min !== undefined) return `，不小于 ${min}`;
  return '';
}

/** The format part of a column's rule, from its resolved schema. */
export function formatText(prop: Schema, values: readonly string[] | undefined): string | undefined {
  const ref = refName(prop);
  if (ref && REF_TEXT[ref]) return REF_TEXT[ref];
  if (typeof prop.format === 'string' && FORMAT_TEXT[prop.format]) return FORMAT_TEXT[prop.format];
  if (prop.type === 'boolean') return '填“是”或“否”';
  if (values?.length) return `取值：${values.join('、')}`;
  if (prop.type === 'integer') return `整数${rangeText(prop)}`;
  if (prop.type === 'number') return `数字${rangeText(prop)}`;
  if (prop.type === 'array') return '可填多项，以分号（；）分隔';
  if (typeof prop.maxLength === 'number') return `最长 ${prop.maxLength} 字`;
  return undefined;
}

function valueText(value: unknown): string {
  if (value === true) return '是';
  if (value === false) return '否';
  return String(value);
}

/** "“X”为“V”" (or "不为" when negated), "“X”含“A”或“B”", for the tests of an if-schema. */
function conditionText(tests: FieldTest[], headingOf: (field: string) => string, negated: boolean): string {
  return tests.map(({ field, rule }) => {
    const name = `“${headingOf(field)}”`;
    if ('const' in rule) return `${name}${negated ? '不为' : '为'}“${valueText(rule.const)}”`;
    if (typeof rule.pattern === 'string') return `${name}${negated ? '不含' : '含'}“${rule.pattern.split('|').join('”或“')}”`;
    return `${name}${negated ? '不满足' : '满足'} ${JSON.stringify(rule)}`;
  }).join(negated ? '或' : '且');
}

/** A conditional rule in Chinese: "当“X”为“V”时必填", "当“X”不为“V”时不得填写", "当…时须为公民身份号码…". */
export function conditionalRuleText(rule: ConditionalRule, headingOf: (field: string) => string): string {
  const when = `当${conditionText(rule.when, headingOf, rule.unless)}时`;
  if (rule.effect === 'required') return `${when}必填`;
  if (rule.effect === 'notAllowed') return `${when}不得填写`;
  return `${when}须为${formatText(rule.schema ?? {}, undefined) ?? chineseTitle(rule.schema?.title)}`;
}
