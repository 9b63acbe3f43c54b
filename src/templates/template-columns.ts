/**
 * The columns of a category's 填报模板 (pure): one per field of the push shape that a department fills —
 * the subject (name, USCC / identity number / organisation code, kind, region), the source key,
 * decidedAt, severity where the category takes one, publishFrom/publishUntil — then every `data` field
 * of the category. Each column has its machine name (`key`: the dotted path into the push item,
 * `subject.uscc`, `data.CF_NR_FK`, `data.parties.1.name` with 1-based list positions), its Chinese
 * heading, its type, and its rule in Chinese, all read from the JSON Schemas.
 *
 * For procurement_breach, whose data depends on `listType`, the columns are the union of the list
 * types' fields, each with the rule saying which list types it belongs to. A list of objects (a court
 * judgment's parties) becomes PARTY_SLOTS groups of columns; a list of strings, one column separated by
 * semicolons.
 */
import type { CategoryInfo } from '../domain/catalogue.js';
import { objectProperties, refName, type Schema } from '../validation/schema-rules.js';
import { chineseNote, chineseTitle, formatText } from './column-rules.js';

export type ColumnType = 'string' | 'number' | 'integer' | 'boolean' | 'date' | 'list';

export interface TemplateColumn {
  /** machine name: the dotted path into the push item (list positions 1-based) */
  key: string;
  /** the Chinese heading (first header row) */
  heading: string;
  type: ColumnType;
  /** always required (conditionally required columns are not) */
  required: boolean;
  /** the rule in Chinese: 必填 / 选填 / conditions / format / values */
  rule: string;
  /** the schema's Chinese description, if any */
  note?: string;
  /** the enumerated cell values (a drop-down in XLSX) */
  values?: string[];
}

/** The schemas a template is read from: record-input, common and the category's own. */
export interface TemplateSchemas {
  recordInput: Schema;
  common: Schema;
  category: Schema;
}

/** Groups of columns for a list of objects (a court judgment's parties). */
export const PARTY_SLOTS = 5;

const COMMON_REF = 'urn:credit-gateway:schema:common#/$defs/';

/** A property with its common definition merged under it (the property's own title wins). */
export function resolve(prop: Schema, common: Schema): Schema {
  const name = refName(prop);
  const defs = (common.$defs ?? {}) as Record<string, Schema>;
  if (!name || typeof prop.$ref !== 'string' || !prop.$ref.startsWith(COMMON_REF) || !defs[name]) return prop;
  return { ...defs[name], ...prop };
}

function typeOf(prop: Schema): ColumnType {
  if (prop.format === 'date') return 'date';
  if (prop.type === 'boolean' || prop.type === 'integer' || prop.type === 'number') return prop.type;
  if (prop.type === 'array') return 'list';
  return 'string';
}

function valuesOf(prop: Schema): string[] | undefined {
  if (prop.type === 'boolean') return ['是', '否'];
  return Array.isArray(prop.enum) ? prop.enum.map(String) : undefined;
}

/** How a column is built: its key, resolved schema, whether always required, and rule parts to add. */
interface ColumnSpec {
  key: string;
  prop: Schema;
  required: boolean;
  conditions?: string[];
  heading?: string;
  values?: string[];
}

export function column({ key, prop, required, conditions = [], heading, values }: ColumnSpec): TemplateColumn {
  const enumerated = values ?? valuesOf(prop);
  const lead = required ? ['必填'] : conditions.some((c) => c.includes('必填')) ? [] : ['选填'];
  const format = formatText(prop, enumerated);
  const note = chineseNote(prop.description);
  return {
    key,
    heading: heading ?? chineseTitle(prop.title),
    type: typeOf(prop),
    required,
    rule: [...lead, ...conditions, ...(format ? [format] : [])].join('；'),
    ...(note ? { note } : {}),
    ...(enumerated ? { values: enumerated } : {}),
  };
}

const SUBJECT_RULES: Record<string, string> = {
  uscc: '统一社会信用代码、公民身份号码、组织机构代码至少填一项（都没有时“主体类型”须填自然人以外的类型）',
  idNumber: '仅自然人',
  orgCode: '仅无统一社会信用代码的机构',
  kind: '可由代码推导；填公民身份号码时为 person',
  region: '可由代码推导',
};

/** The subject, source and record-level columns every template starts with. */
export function recordColumns(info: CategoryInfo, schemas: TemplateSchemas): TemplateColumn[] {
  const defs = (schemas.recordInput.$defs ?? {}) as Record<string, Schema>;
  const top = (name: string) => resolve(((schemas.recordInput.properties ?? {}) as Record<string, Schema>)[name]!, schemas.common);
  const subject = objectProperties(defs.subject ?? {});
  const order = ['name', 'uscc', 'idNumber', 'orgCode', 'kind', 'region'];
  const columns = order.map((field) => column({
    key: `subject.${field}`,
    prop: resolve(subject.find(([f]) => f === field)![1], schemas.common),
    required: field === 'name',
    conditions: SUBJECT_RULES[field] ? [SUBJECT_RULES[field]] : [],
  }));
  const sourceKey = objectProperties(defs.source ?? {}).find(([f]) => f === 'key')![1];
  columns.push(column({ key: 'source.key', prop: sourceKey, required: true, conditions: ['同一来源行再次报送须用同一个键'] }));
  columns.push(column({ key: 'decidedAt', prop: top('decidedAt'), required: true }));
  if (info.severities.length) {
    const fallback = info.defaultSeverity ? [`省略时为 ${info.defaultSeverity}`] : [];
    columns.push(column({ key: 'severity', prop: top('severity'), required: false, conditions: fallback, values: [...info.severities] }));
  }
  columns.push(column({ key: 'publishFrom', prop: top('publishFrom'), required: false, conditions: ['省略时为决定日期'] }));
  columns.push(column({ key: 'publishUntil', prop: top('publishUntil'), required: false, conditions: ['省略时按类别、失信程度和决定日期计算'] }));
  return columns;
}
