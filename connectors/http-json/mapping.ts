/**
 * The declarative connector for 双公示 feeds (and any paged JSON list): everything comes from the
 * instance's `mapping` config. Data fields take the category schema's names (CF_* / XK_*); a source
 * field with another name is mapped by `fields`; any other source field is an unknown-field issue.
 */
import type { HttpJsonMappingConfig } from '../../src/config/types.js';
import { isCategoryId } from '../../src/domain/catalogue.js';
import type { RecordInput } from '../../src/domain/record.js';
import type { FieldError } from '../../src/errors.js';
import { loadSchemaFiles } from '../../src/validation/schema-files.js';
import { badDate, fieldError, isoDate, isRow, missing, numberOf, text, unknownFields } from '../../src/connectors/mapping-helpers.js';
import type { MapEnv, MapResult } from '../../src/connectors/types.js';

const propertiesCache = new Map<string, ReadonlySet<string>>();

/** The data field names the category's schema defines. */
export function categoryFields(category: string): ReadonlySet<string> {
  let names = propertiesCache.get(category);
  if (!names) {
    const file = loadSchemaFiles().find((f) => f.name === `categories/${category}`);
    if (!file) throw new Error(`no schema for category "${category}"`);
    names = new Set(Object.keys((file.schema as { properties?: object }).properties ?? {}));
    propertiesCache.set(category, names);
  }
  return names;
}

export function mapHttpJsonRow(raw: unknown, env: MapEnv): MapResult[] {
  const mapping = env.config.mapping as HttpJsonMappingConfig;
  if (!isRow(raw)) return [{ ok: false, errors: [fieldError('', 'source.row_shape', '来源行不是 JSON 对象', 'source row is not a JSON object')], issues: [] }];
  if (!isCategoryId(mapping.category)) throw new Error(`http-json mapping: unknown category "${mapping.category}"`);
  const row = raw;
  const schemaFields = categoryFields(mapping.category);
  const renamed = new Map(Object.entries(mapping.fields)); // data field → source field
  const sourceToData = new Map<string, string>();
  for (const f of schemaFields) sourceToData.set(renamed.get(f) ?? f, f);
  const known = new Set([...sourceToData.keys(), ...mapping.keyFields, mapping.subject.name, mapping.decidedAt]);
  if (mapping.subject.uscc) known.add(mapping.subject.uscc);
  if (mapping.subject.idNumber) known.add(mapping.subject.idNumber);
  if (mapping.publishUntil) known.add(mapping.publishUntil);
  const issues = unknownFields(row, known);
  const errors: FieldError[] = [];

  const keyParts = mapping.keyFields.map((f) => text(row, f));
  const key = keyParts.every((p) => p !== undefined) ? keyParts.join('|') : undefined;
  if (!key) mapping.keyFields.forEach((f, i) => { if (keyParts[i] === undefined) errors.push(missing(f, '来源键字段')); });

  const dates = new Set(mapping.dateFields);
  const numbers = new Set(mapping.numberFields);
  const data: Record<string, unknown> = {};
  for (const [sourceField, dataField] of sourceToData) {
    const v = row[sourceField];
    if (v === undefined || v === null || v === '') continue;
    if (dates.has(sourceField)) {
      const d = isoDate(v);
      if (!d) errors.push(badDate(sourceField, v));
      else data[dataField] = d;
    } else if (numbers.has(sourceField)) {
      const n = numberOf(v);
      if (n === undefined) errors.push(fieldError(sourceField, 'source.number', `来源字段 ${sourceField} 不是数字：“${String(v)}”`, `source field ${sourceField} is not a number: "${String(v)}"`));
      else data[dataField] = n;
    } else {
      data[dataField] = typeof v === 'string' ? v.trim() : v;
    }
  }

  const name = text(row, mapping.subject.name);
  if (!name) errors.push(missing(mapping.subject.name, '主体名称'));
  const uscc = mapping.subject.uscc ? text(row, mapping.subject.uscc) : undefined;
  const idNumber = mapping.subject.idNumber ? text(row, mapping.subject.idNumber) : undefined;
  const decidedAt = isoDate(row[mapping.decidedAt]);
  if (!decidedAt) {
    const value = row[mapping.decidedAt];
    if (!value) errors.push(missing(mapping.decidedAt, '决定日期'));
    // an unreadable value of a mapped date field was reported above; reporting it twice would only confuse
    else if (!(dates.has(mapping.decidedAt) && sourceToData.has(mapping.decidedAt))) errors.push(badDate(mapping.decidedAt, value));
  }
  const publishUntil = mapping.publishUntil ? isoDate(row[mapping.publishUntil]) : undefined;

  if (errors.length || !key || !name) return [{ ok: false, ...(key ? { key } : {}), errors, issues }];
  const subject: RecordInput['subject'] = uscc ? { name, uscc } : idNumber ? { name, idNumber, kind: 'person' } : { name };
  const input: RecordInput = {
    category: mapping.category,
    subject,
    source: { system: env.system, key, fetchedAt: env.fetchedAt },
    decidedAt: decidedAt!,
    data,
  };
  if (publishUntil) input.publishUntil = publishUntil;
  return [{ ok: true, key, input, issues }];
}
