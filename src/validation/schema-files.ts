/**
 * Reads every JSON Schema under `schemas/` once (synchronously, at first use) and hands them out as
 * `{ name, id, schema }`. `name` is the path below `schemas/` without `.schema.json`
 * ('record', 'record-input', 'common', 'categories/dishonest_debtor'); `id` is the schema's `$id`
 * (`urn:credit-gateway:schema:<name with / replaced by :>`). All files must be added to one Ajv
 * instance: they reference each other by `$id`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SchemaFile {
  name: string;
  id: string;
  schema: object;
}

const SUFFIX = '.schema.json';
const ID_PREFIX = 'urn:credit-gateway:schema:';

/** The `$id` a schema named `name` must carry. */
export function schemaIdFor(name: string): string {
  return ID_PREFIX + name.replaceAll('/', ':');
}

/**
 * The `schemas/` folder: the nearest ancestor of this module holding `schemas/record.schema.json`
 * (works from `src/validation/` under tsx/vitest and from `dist/validation/` after a build).
 */
export function schemasDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'schemas');
    if (existsSync(join(candidate, `record${SUFFIX}`))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`schemas/ folder not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

function listSchemaFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listSchemaFiles(path));
    else if (entry.isFile() && entry.name.endsWith(SUFFIX)) out.push(path);
  }
  return out;
}

function readSchemaFile(root: string, path: string): SchemaFile {
  const name = relative(root, path).slice(0, -SUFFIX.length).split(sep).join('/');
  let schema: unknown;
  try {
    schema = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`schemas/${name}${SUFFIX} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new Error(`schemas/${name}${SUFFIX} is not a JSON object`);
  }
  const id = (schema as { $id?: unknown }).$id;
  const expected = schemaIdFor(name);
  if (id !== expected) {
    throw new Error(`schemas/${name}${SUFFIX} has $id ${JSON.stringify(id)}, expected ${JSON.stringify(expected)}`);
  }
  return { name, id: expected, schema };
}

let cache: readonly SchemaFile[] | undefined;

/** Every schema under `schemas/`, sorted by name; read once and cached. Callers must not mutate the schema objects. */
export function loadSchemaFiles(): readonly SchemaFile[] {
  if (!cache) {
    const root = schemasDir();
    const files = listSchemaFiles(root)
      .map((path) => readSchemaFile(root, path))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    cache = Object.freeze(files);
  }
  return cache;
}
