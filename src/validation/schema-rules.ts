/**
 * What a category schema says about each field, read structurally (pure): its properties, the fields it
 * requires, and the conditional rules of its `allOf` (if/then/else) — "required when X = V", "not
 * allowed unless X = V", "must match schema S when X = V". docs/categories.md (src/dev/partner-guide.ts)
 * renders them in English, the category templates (src/templates/) in Chinese.
 */

export type Schema = Record<string, unknown>;

/** One property of an if-schema: the field it tests and the rule it tests it with (`const`, `pattern`, …). */
export interface FieldTest {
  field: string;
  rule: Schema;
}

export interface ConditionalRule {
  /** the field the rule is about */
  field: string;
  effect: 'required' | 'notAllowed' | 'schema';
  /** for `schema`: the schema the field must then match (e.g. a `$ref` to personalId) */
  schema?: Schema;
  /** the condition: every test holds */
  when: FieldTest[];
  /** true for an else-branch: the rule applies unless the condition holds */
  unless: boolean;
}

/** The object properties of a schema (boolean `true`/`false` members left out), in order. */
export function objectProperties(schema: Schema): Array<[string, Schema]> {
  return Object.entries((schema.properties ?? {}) as Record<string, Schema | boolean>)
    .filter((entry): entry is [string, Schema] => typeof entry[1] === 'object' && entry[1] !== null);
}

export function requiredFields(schema: Schema): Set<string> {
  return new Set((schema.required as string[] | undefined) ?? []);
}

/** The name of a `$ref`'s target definition: `urn:…common#/$defs/uscc` → `uscc`. */
export function refName(prop: Schema): string | null {
  return typeof prop.$ref === 'string' ? prop.$ref.replace(/^.*#\/\$defs\//, '') : null;
}

function testsOf(ifSchema: Schema | undefined): FieldTest[] {
  const props = (ifSchema?.properties ?? {}) as Record<string, Schema>;
  return Object.entries(props).map(([field, rule]) => ({ field, rule }));
}

function branchRules(branch: Schema | undefined, when: FieldTest[], unless: boolean): ConditionalRule[] {
  if (!branch) return [];
  const out: ConditionalRule[] = ((branch.required as string[] | undefined) ?? []).map((field) => ({ field, effect: 'required', when, unless }));
  for (const [field, rule] of Object.entries((branch.properties ?? {}) as Record<string, unknown>)) {
    if (rule === false) out.push({ field, effect: 'notAllowed', when, unless });
    else if (typeof rule === 'object' && rule !== null && '$ref' in rule) out.push({ field, effect: 'schema', schema: rule as Schema, when, unless });
  }
  return out;
}

/** The conditional rules of a schema's allOf, in the order the schema gives them (then before else). */
export function conditionalRules(schema: Schema): ConditionalRule[] {
  return ((schema.allOf ?? []) as Schema[]).flatMap((rule) => {
    const when = testsOf(rule.if as Schema | undefined);
    return [...branchRules(rule.then as Schema | undefined, when, false), ...branchRules(rule.else as Schema | undefined, when, true)];
  });
}

/** The conditional rules grouped by the field they are about (field order: first mention). */
export function conditionalRulesByField(schema: Schema): Map<string, ConditionalRule[]> {
  const byField = new Map<string, ConditionalRule[]>();
  for (const rule of conditionalRules(schema)) byField.set(rule.field, [...(byField.get(rule.field) ?? []), rule]);
  return byField;
}
