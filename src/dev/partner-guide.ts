/**
 * The generated parts of the partner's guide, from the JSON Schemas and the sample records, so they
 * cannot drift from what the gateway accepts (test/docs/partner-guide.test.ts pushes every sample and
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
import { sampleRecordInput } from './sample-records.js';

type Schema = Record<string, unknown>;

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
  const ref = typeof prop.$ref === 'string' ? prop.$ref.replace(/^.*#\/\$defs\//, '') : null;
  if (ref) return `\`${ref}\``;
  if (Array.isArray(prop.enum)) return `one of ${prop.enum.map((v) => `\`${String(v)}\``).join(', ')}`;
  const items = prop.items as Schema | undefined;
  const base = prop.type === 'array' && items ? `array of ${items.type === 'object' ? 'objects' : typeOf(items)}` : String(prop.type ?? 'any');
  return prop.format ? `${base} (\`${String(prop.format)}\`)` : base;
}

/** "X = V" or "X matches /p/" for an if-schema on one field. */
function conditionOf(ifSchema: Schema): string {
  const props = (ifSchema.properties ?? {}) as Record<string, Schema>;
  return Object.entries(props).map(([field, rule]) => {
    if ('const' in rule) return `\`${field}\` = ${String(rule.const)}`;
    if (typeof rule.pattern === 'string') return `\`${field}\` contains ${rule.pattern.split('|').join(' or ')}`;
    return `\`${field}\` as ${JSON.stringify(rule)}`;
  }).join(' and ');
}

/** Per field, the conditional rules of the schema's allOf (if/then/else). */
function conditionsOf(schema: Schema): Map<string, string[]> {
  const notes = new Map<string, string[]>();
  const add = (field: string, note: string) => notes.set(field, [...(notes.get(field) ?? []), note]);
  // `when` is "when X = V" for a then-branch, "unless X = V" for an else-branch
  const read = (branch: Schema | undefined, when: string) => {
    if (!branch) return;
    for (const f of (branch.required as string[] | undefined) ?? []) add(f, `required ${when}`);
    for (const [f, rule] of Object.entries((branch.properties ?? {}) as Record<string, unknown>)) {
      if (rule === false) add(f, `not allowed ${when}`);
      else if (typeof rule === 'object' && rule && '$ref' in rule) add(f, `${typeOf(rule as Schema)} ${when}`);
    }
  };
  for (const rule of (schema.allOf ?? []) as Schema[]) {
    const condition = conditionOf(rule.if as Schema);
    read(rule.then as Schema, `when ${condition}`);
    read(rule.else as Schema, `unless ${condition}`);
  }
  return notes;
}

function fieldTable(schema: Schema): string[] {
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const conditions = conditionsOf(schema);
  const rows = Object.entries((schema.properties ?? {}) as Record<string, Schema | boolean>)
    .filter((entry): entry is [string, Schema] => typeof entry[1] === 'object')
    .map(([field, prop]) => {
      const rule = [required.has(field) ? 'required' : '', ...(conditions.get(field) ?? [])].filter(Boolean).join('; ') || 'optional';
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
