/**
 * The `data` columns of a category's template (pure): every field of the category schema, with its
 * conditional rules in Chinese; for a schema whose allOf picks a variant by a field's value
 * (procurement_breach's listType → $defs), the union of the variants' fields, each saying which values
 * it belongs to and where it is required; a list of objects as PARTY_SLOTS groups of columns.
 */
import { conditionalRulesByField, objectProperties, requiredFields, type Schema } from '../validation/schema-rules.js';
import { chineseTitle, conditionalRuleText } from './column-rules.js';
import { column, PARTY_SLOTS, type TemplateColumn } from './template-columns.js';

type Resolve = (prop: Schema) => Schema;

/** The Chinese heading of each field of a schema and its variants (for the conditions' wording). */
function headingsOf(schemas: Schema[]): (field: string) => string {
  const map = new Map<string, string>();
  for (const s of schemas) for (const [field, prop] of objectProperties(s)) if (!map.has(field)) map.set(field, chineseTitle(prop.title));
  return (field) => map.get(field) ?? field;
}

/** Columns for one field: one column, or for a list of objects PARTY_SLOTS groups of its item's fields. */
function fieldColumns(field: string, prop: Schema, required: boolean, conditions: string[], resolve: Resolve): TemplateColumn[] {
  const items = prop.items as Schema | undefined;
  if (prop.type !== 'array' || items?.type !== 'object') return [column({ key: `data.${field}`, prop: resolve(prop), required, conditions })];
  const itemRequired = requiredFields(items);
  const minItems = typeof prop.minItems === 'number' ? prop.minItems : 0;
  const out: TemplateColumn[] = [];
  for (let slot = 1; slot <= PARTY_SLOTS; slot++) {
    for (const [sub, subProp] of objectProperties(items)) {
      const always = slot <= minItems && itemRequired.has(sub);
      const when = !always && itemRequired.has(sub) ? [`当填写${chineseTitle(prop.title)}${slot}的其他列时必填`] : [];
      const heading = `${chineseTitle(prop.title)}${slot}：${chineseTitle(subProp.title)}`;
      out.push(column({ key: `data.${field}.${slot}.${sub}`, prop: resolve(subProp), required: always, conditions: when, heading }));
    }
  }
  return out;
}

/** Columns of a plain object schema: its properties, required set and conditional rules. */
function objectColumns(schema: Schema, resolve: Resolve, headingOf: (field: string) => string): TemplateColumn[] {
  const required = requiredFields(schema);
  const rules = conditionalRulesByField(schema);
  return objectProperties(schema).flatMap(([field, prop]) => {
    const conditions = (rules.get(field) ?? []).map((r) => conditionalRuleText(r, headingOf));
    return fieldColumns(field, prop, required.has(field), conditions, resolve);
  });
}

interface Variant {
  /** the selector's value, e.g. serious_dishonesty */
  value: string;
  schema: Schema;
}

/** The variants of a schema whose allOf is "if selector = value then $ref #/$defs/X". */
function variantsOf(schema: Schema): { selector: string; variants: Variant[] } | null {
  const defs = (schema.$defs ?? {}) as Record<string, Schema>;
  let selector = '';
  const variants: Variant[] = [];
  for (const rule of (schema.allOf ?? []) as Schema[]) {
    const ref = (rule.then as Schema | undefined)?.$ref;
    const test = Object.entries(((rule.if as Schema | undefined)?.properties ?? {}) as Record<string, Schema>)[0];
    if (typeof ref !== 'string' || !ref.startsWith('#/$defs/') || !test || !('const' in test[1])) continue;
    selector = test[0];
    variants.push({ value: String(test[1].const), schema: defs[ref.slice('#/$defs/'.length)] ?? {} });
  }
  return variants.length ? { selector, variants } : null;
}

/** The union of the variants' fields, each with the values it belongs to and where it is required. */
function variantColumns(selector: string, variants: Variant[], resolve: Resolve, headingOf: (field: string) => string): TemplateColumn[] {
  const fields = new Map<string, Schema>();
  for (const v of variants) for (const [field, prop] of objectProperties(v.schema)) if (!fields.has(field)) fields.set(field, prop);
  return [...fields].flatMap(([field, prop]) => {
    const lists = variants.filter((v) => objectProperties(v.schema).some(([f]) => f === field));
    const requiredIn = lists.filter((v) => requiredFields(v.schema).has(field)).map((v) => v.value);
    const name = `“${headingOf(selector)}”`;
    const conditions = [`仅${name}为 ${lists.map((v) => v.value).join('、')} 时填写`];
    if (requiredIn.length) conditions.push(`${name}为 ${requiredIn.join('、')} 时必填`);
    const own = lists.flatMap((v) => (conditionalRulesByField(v.schema).get(field) ?? []).map((r) => conditionalRuleText(r, headingOf)));
    return fieldColumns(field, prop, false, [...conditions, ...new Set(own)], resolve);
  });
}

/** Every `data` column of a category schema. */
export function dataColumns(category: Schema, resolve: Resolve): TemplateColumn[] {
  const picked = variantsOf(category);
  const headingOf = headingsOf([category, ...(picked?.variants.map((v) => v.schema) ?? [])]);
  const own = objectColumns(category, resolve, headingOf);
  return picked ? [...own, ...variantColumns(picked.selector, picked.variants, resolve, headingOf)] : own;
}
