/**
 * The generated parts of the partner's guide, from the JSON Schemas and the sample records, so they
 * cannot drift from what the gateway accepts (test/dev/partner-guide.test.ts pushes every sample and
 * compares the files with what this module writes):
 *
 *   - README.md, between `<!-- partner-guide:samples:begin -->` and `…:end -->`: one complete sample
 *     batch per category;
 *   - docs/categories.md: the data fields of each category — name, title, type, and whether it is
 *     required, required or not allowed under a condition (the schemas' if/then).
 *
 * `npm run docs:partner-guide` (this module with `--write`) rewrites both.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CATEGORY_IDS, categoryInfo, type CategoryId } from '../domain/catalogue.js';
import type { RecordInput } from '../domain/record.js';
import { loadSchemaFiles, schemasDir } from '../validation/schema-files.js';
import { conditionalRulesByField, objectProperties, refName, requiredFields, type ConditionalRule, type FieldTest, type Schema } from '../validation/schema-rules.js';
import { sampleRecordInput } from './sample-records.js';

/** The sample batch of a category: what a partner posts to /v1/records. */
export function sampleBatch(category: CategoryId): { records: RecordInput[] } {
  const n = 320_000 + CATEGORY_IDS.indexOf(category);
  const record = sampleRecordInput(category, n, { source: { system: `city-${category.replaceAll('_', '-')}`, key: `2024-${n}` } });
  return { records: [record] };
}

export const SAMPLES_BEGIN = '<!-- partner-guide:samples:begin (generated: npm run docs:partner-guide) -->';
export const SAMPLES_END = '<!-- partner-guide:samples:end -->';

/** The README block of sample batches. */
export function samplesMarkdown(): string {
  const blocks = CATEGORY_IDS.map((c) => [
    `<details><summary><code>${c}</code> ${categoryInfo(c)!.nameZh}</summary>`,
    '',
    '```json',
    JSON.stringify(sampleBatch(c), null, 2),
    '```',
    '',
    '</details>',
  ].join('\n'));
  return [SAMPLES_BEGIN, ...blocks, SAMPLES_END].join('\n\n');
}

/** The JSON sample batches in a README text, by category (what the test pushes). */
export function samplesInReadme(readme: string): Map<string, unknown> {
  const start = readme.indexOf(SAMPLES_BEGIN);
  const end = readme.indexOf(SAMPLES_END);
  if (start < 0 || end < start) return new Map();
  const block = readme.slice(start, end);
  const found = new Map<string, unknown>();
  for (const m of block.matchAll(/<summary><code>([a-z_]+)<\/code>[^<]*<\/summary>\s*```json\n([\s\S]*?)\n```/g)) {
    found.set(m[1]!, JSON.parse(m[2]!));
  }
  return found;
}

/** README text with its sample block replaced by the current one. */
export function withCurrentSamples(readme: string): string {
  const start = readme.indexOf(SAMPLES_BEGIN);
  const end = readme.indexOf(SAMPLES_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${SAMPLES_BEGIN} … ${SAMPLES_END} block`);
  return readme.slice(0, start) + samplesMarkdown() + readme.slice(end + SAMPLES_END.length);
}

// ------------------------------------------------------------------------------------------------
// docs/categories.md
// ------------------------------------------------------------------------------------------------

function typeOf(prop: Schema): string {
  const ref = refName(prop);
  if (ref) return `\`${ref}\``;
  if (Array.isArray(prop.enum)) return `one of ${prop.enum.map((v) => `\`${String(v)}\``).join(', ')}`;
  const items = prop.items as Schema | undefined;
  const base = prop.type === 'array' && items ? `array of ${items.type === 'object' ? 'objects' : typeOf(items)}` : String(prop.type ?? 'any');
  return prop.format ? `${base} (\`${String(prop.format)}\`)` : base;
}

/** "X = V" or "X matches /p/" for an if-schema's tests. */
function conditionOf(tests: FieldTest[]): string {
  return tests.map(({ field, rule }) => {
    if ('const' in rule) return `\`${field}\` = ${String(rule.const)}`;
    if (typeof rule.pattern === 'string') return `\`${field}\` contains ${rule.pattern.split('|').join(' or ')}`;
    return `\`${field}\` as ${JSON.stringify(rule)}`;
  }).join(' and ');
}

/** A conditional rule in English: "required when X = V", "not allowed unless X = V", "`personalId` when …". */
function ruleText(rule: ConditionalRule): string {
  const when = `${rule.unless ? 'unless' : 'when'} ${conditionOf(rule.when)}`;
  if (rule.effect === 'required') return `required ${when}`;
  if (rule.effect === 'notAllowed') return `not allowed ${when}`;
  return `${typeOf(rule.schema!)} ${when}`;
}

function fieldTable(schema: Schema): string[] {
  const required = requiredFields(schema);
  const conditions = conditionalRulesByField(schema);
  const rows = objectProperties(schema).map(([field, prop]) => {
    const notes = (conditions.get(field) ?? []).map(ruleText);
    const rule = [required.has(field) ? 'required' : '', ...notes].filter(Boolean).join('; ') || 'optional';
    return `| \`${field}\` | ${String(prop.title ?? '').replaceAll('|', '\\|')} | ${typeOf(prop)} | ${rule} |`;
  });
  return ['| field | 名称 / title | type | rule |', '|---|---|---|---|', ...rows];
}

function categorySection(category: CategoryId, schema: Schema): string[] {
  const lines = [`## \`${category}\` ${categoryInfo(category)!.nameZh}`, '', String(schema.description ?? '').replaceAll('\n', '\n\n'), ''];
  const variants = Object.entries((schema.$defs ?? {}) as Record<string, Schema>);
  if (!variants.length) return [...lines, ...fieldTable(schema), ''];
  lines.push(...fieldTable(schema), '');
  for (const [name, variant] of variants) lines.push(`### \`${name}\`: ${String(variant.title ?? '')}`, '', ...fieldTable(variant), '');
  return lines;
}

/** docs/categories.md as generated from schemas/categories. */
export function categoriesMarkdown(): string {
  const files = new Map(loadSchemaFiles().map((f) => [f.name, f.schema as Schema]));
  return [
    '# Categories: the `data` of each record / 各类别记录的 data 字段',
    '',
    '<!-- generated from schemas/categories by `npm run docs:partner-guide`; edit the schemas, not this file -->',
    '',
    'What `data` holds for each category, read from `schemas/categories/<category>.schema.json`. A field',
    'marked "required when …" or "not allowed when …" depends on another field of the same record; a name',
    'in square brackets in a title is the field of the source it is read from by a connector.',
    '',
    ...CATEGORY_IDS.flatMap((c) => categorySection(c, files.get(`categories/${c}`)!)),
  ].join('\n');
}

/** The repository root (the folder holding schemas/). */
export function repositoryRoot(): string {
  return join(schemasDir(), '..');
}

function main(): void {
  const root = repositoryRoot();
  const readmePath = join(root, 'README.md');
  writeFileSync(readmePath, withCurrentSamples(readFileSync(readmePath, 'utf8')));
  writeFileSync(join(root, 'docs', 'categories.md'), categoriesMarkdown());
  console.log('README.md samples and docs/categories.md written');
}

if (process.argv.includes('--write')) main();
