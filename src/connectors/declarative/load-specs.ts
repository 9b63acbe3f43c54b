/**
 * The source files: every connectors/<connector>/<variant>.source.yaml, read and checked once, each
 * known by its id `<connector>/<variant>`; and an instance's inline `spec` checked the same way. A file
 * that breaks a rule stops start-up with a message naming the file, the place in it and the rule —
 * the JSON Schema of spec.ts, and what a schema cannot say: the category and its data fields exist,
 * the rows are found the way the answer's format allows, the paging has what its kind needs.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '../../config/load.js';
import { isCategoryId } from '../../domain/catalogue.js';
import { loadSchemaFiles } from '../../validation/schema-files.js';
import { HOOKS } from './hooks.js';
import { sourceSpecSchema, tableSpecSchema, type MappingSpec, type SourceSpec, type TableSpec, type ValueSpec } from './spec.js';

export const CONNECTORS_DIR = join(REPO_ROOT, 'connectors');
const SUFFIX = '.source.yaml';
const TABLE_SUFFIX = '.table.yaml';

/** A source file that breaks a rule. */
export class SourceSpecError extends Error {
  constructor(readonly where: string, readonly problems: string[]) {
    super(`${where}: invalid source file:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SourceSpecError';
  }
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const validate = ajv.compile(sourceSpecSchema);
const validateTable = ajv.compile(tableSpecSchema);

const dataFieldsCache = new Map<string, ReadonlySet<string>>();

interface SchemaLike {
  properties?: Record<string, unknown>;
  $defs?: Record<string, SchemaLike>;
}

/** The data fields the category's schema defines (its own, and those of its variants in $defs). */
function categoryDataFields(category: string): ReadonlySet<string> {
  let fields = dataFieldsCache.get(category);
  if (!fields) {
    const schema = loadSchemaFiles().find((f) => f.name === `categories/${category}`)?.schema as SchemaLike | undefined;
    const parts = [schema, ...Object.values(schema?.$defs ?? {})];
    fields = new Set(parts.flatMap((part) => Object.keys(part?.properties ?? {})));
    dataFieldsCache.set(category, fields);
  }
  return fields;
}

/** What a schema cannot say of a mapping (a source file's or a table file's): the category, its data fields, each value's source. */
function mappingProblems(spec: MappingSpec): string[] {
  const problems: string[] = [];
  const { record } = spec;
  if (!isCategoryId(spec.category)) problems.push(`/category: unknown category "${spec.category}" (rule: category)`);
  else {
    const fields = categoryDataFields(spec.category);
    for (const field of Object.keys(record.data)) {
      if (!fields.has(field)) problems.push(`/record/data/${field}: the ${spec.category} schema has no data field "${field}" (rule: data_field)`);
    }
  }
  const values: Array<[string, ValueSpec | undefined]> = [
    ...record.key.map((v, i) => [`/record/key/${i}`, v] as [string, ValueSpec]),
    ['/record/subject/name', record.subject.name], ['/record/subject/kind', record.subject.kind],
    ['/record/subject/code', record.subject.code], ['/record/subject/region', record.subject.region],
    ['/record/severity', record.severity], ['/record/decidedAt', record.decidedAt],
    ['/record/publishFrom', record.publishFrom], ['/record/publishUntil', record.publishUntil],
    ...Object.entries(record.data).map(([f, v]) => [`/record/data/${f}`, v] as [string, ValueSpec]),
  ];
  for (const [at, v] of values) {
    if (v === undefined || typeof v === 'string') continue;
    if (v.from === undefined && v.value === undefined && v.template === undefined && v.byKind === undefined) problems.push(`${at}: give from, value, byKind or template (rule: value_source)`);
    if (v.parse === 'banEnd' && v.since === undefined) problems.push(`${at}: parse banEnd needs since (the decision-day field) (rule: ban_end)`);
  }
  return problems;
}

function ruleProblems(spec: SourceSpec): string[] {
  const problems = mappingProblems(spec);
  const { paging, response, rows } = spec;
  if (response.format === 'json' && rows.path === undefined) problems.push('/rows: a JSON source needs rows.path (rule: rows)');
  if (response.format === 'html' && rows.table === undefined && rows.headings === undefined) problems.push('/rows: an HTML source needs rows.table or rows.headings (rule: rows)');
  if (response.format === 'xml' && rows.element === undefined) problems.push('/rows: an XML source needs rows.element (rule: rows)');
  if ((paging.kind === 'page' || paging.kind === 'offset') && paging.param === undefined) problems.push(`/paging: ${paging.kind} paging needs paging.param (rule: paging)`);
  if (paging.kind === 'cursor' && (paging.cursorPath === undefined || paging.param === undefined)) problems.push('/paging: cursor paging needs paging.cursorPath and paging.param (rule: paging)');
  if (paging.kind === 'link' && (paging.next === undefined || response.format !== 'html')) problems.push('/paging: link paging needs paging.next and an HTML source (rule: paging)');
  if (paging.total) {
    const { path, selector, regex } = paging.total;
    if (response.format === 'json' && path === undefined) problems.push('/paging/total: a JSON source reads its total by path (rule: total)');
    if (response.format === 'html' && selector === undefined && regex === undefined) problems.push('/paging/total: an HTML source reads its total by selector or regex (rule: total)');
  }
  if (spec.hook !== undefined && !(spec.hook in HOOKS)) problems.push(`/hook: no hook named "${spec.hook}"; known: ${Object.keys(HOOKS).join(', ')} (rule: hook)`);
  return problems;
}

/** Checks a parsed source spec (defaults are filled in); `where` names it in errors. */
export function checkSourceSpec(value: unknown, where: string): SourceSpec {
  const copy = structuredClone(value);
  if (!validate(copy)) {
    throw new SourceSpecError(where, (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? e.keyword} (rule: ${e.keyword})`));
  }
  const spec = copy as SourceSpec;
  const problems = ruleProblems(spec);
  if (problems.length) throw new SourceSpecError(where, problems);
  return spec;
}

/** Checks a parsed table file (an exchange database's mapping); `where` names it in errors. */
export function checkTableSpec(value: unknown, where: string): TableSpec {
  const copy = structuredClone(value);
  if (!validateTable(copy)) {
    throw new SourceSpecError(where, (validateTable.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? e.keyword} (rule: ${e.keyword})`));
  }
  const spec = copy as TableSpec;
  const problems = mappingProblems(spec);
  if (problems.length) throw new SourceSpecError(where, problems);
  return spec;
}

let cache: ReadonlyMap<string, SourceSpec> | null = null;
let tableCache: ReadonlyMap<string, TableSpec> | null = null;

/** Every file `<connector>/<variant><suffix>` under `dir`, parsed and checked, by id `<connector>/<variant>`. */
function readSpecFiles<T>(dir: string, suffix: string, check: (value: unknown, where: string) => T): Map<string, T> {
  const specs = new Map<string, T>();
  for (const connector of readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    const folder = join(dir, connector);
    if (!existsSync(folder)) continue;
    for (const file of readdirSync(folder).filter((f) => f.endsWith(suffix)).sort()) {
      const id = `${connector}/${file.slice(0, -suffix.length)}`;
      const path = join(folder, file);
      let parsed: unknown;
      try {
        parsed = parseYaml(readFileSync(path, 'utf8'));
      } catch (err) {
        throw new SourceSpecError(path, [`not YAML: ${(err as Error).message}`]);
      }
      specs.set(id, check(parsed, `connectors/${connector}/${file}`));
    }
  }
  return specs;
}

/** Every source file under connectors/, by id `<connector>/<variant>`. */
export function sourceSpecs(dir = CONNECTORS_DIR): ReadonlyMap<string, SourceSpec> {
  if (cache && dir === CONNECTORS_DIR) return cache;
  const specs = readSpecFiles(dir, SUFFIX, checkSourceSpec);
  if (dir === CONNECTORS_DIR) cache = specs;
  return specs;
}

/** Every exchange-table file (`<variant>.table.yaml`) under connectors/, by id `<connector>/<variant>`. */
export function tableSpecs(dir = CONNECTORS_DIR): ReadonlyMap<string, TableSpec> {
  if (tableCache && dir === CONNECTORS_DIR) return tableCache;
  const specs = readSpecFiles(dir, TABLE_SUFFIX, checkTableSpec);
  if (dir === CONNECTORS_DIR) tableCache = specs;
  return specs;
}
