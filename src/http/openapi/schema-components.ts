/**
 * The JSON Schema files under schemas/ as OpenAPI components: one component per file (its root, named
 * after the file: `record`, `record-input`, `categories.dishonest_debtor`) and one per `$defs` entry
 * (`common.uscc`, `record-input.subject`, `categories.procurement_breach.seriousDishonesty`). Every
 * `$ref` — to another file by its `urn:credit-gateway:schema:…` id, or local (`#/$defs/…`) — is
 * rewritten to `#/components/schemas/…`, so the document resolves on its own. Built from whatever the
 * files hold when the gateway starts: no definition is named here.
 */
import { schemaIdFor, type SchemaFile } from '../../validation/schema-files.js';

export type JsonSchema = Record<string, unknown>;

const COMPONENTS = '#/components/schemas/';
/** Members whose values are data, not schemas: never searched for `$ref`. */
const DATA_MEMBERS = new Set(['enum', 'const', 'default', 'examples', 'example']);

/** The component name of a file's root: its name below schemas/, `/` becoming `.`. */
export const rootComponentOf = (fileName: string): string => fileName.replaceAll('/', '.');

/** The component name of one `$defs` entry of a file. */
export const defComponentOf = (fileName: string, def: string): string => `${rootComponentOf(fileName)}.${def}`;

/** A `#/components/schemas/…` reference to a component. */
export const componentRef = (name: string): { $ref: string } => ({ $ref: COMPONENTS + name });

/** The component reference for one `$ref` found in the file named `from`. */
function rewriteRef(ref: string, from: string, fileById: ReadonlyMap<string, string>): string {
  const hash = ref.indexOf('#');
  const uri = hash < 0 ? ref : ref.slice(0, hash);
  const pointer = hash < 0 ? '' : ref.slice(hash + 1);
  const file = uri === '' ? from : fileById.get(uri);
  if (file === undefined) throw new Error(`schemas/${from}: $ref ${JSON.stringify(ref)} names no schema file`);
  const def = /^\/\$defs\/([^/]+)(.*)$/.exec(pointer);
  if (def) return COMPONENTS + defComponentOf(file, decodeURIComponent(def[1]!).replaceAll('~1', '/').replaceAll('~0', '~')) + def[2]!;
  if (pointer === '' || pointer === '/') return COMPONENTS + rootComponentOf(file);
  return COMPONENTS + rootComponentOf(file) + pointer;
}

/** Keywords that say something about an object's members, or compose the schema with others. */
const MEMBER_KEYWORDS = ['properties', 'patternProperties', 'additionalProperties', 'unevaluatedProperties', '$ref', 'allOf', 'anyOf', 'oneOf', 'if'];

/**
 * `anyOf` beside `properties` (an object that must also take one of several shapes, e.g. a subject
 * with a USCC, an identity number, an organisation code or a kind) as `allOf: [the object, {anyOf}]`.
 * The same schema — keywords that read their neighbours (`additionalProperties`, `dependentSchemas`)
 * stay together, and a schema with `unevaluatedProperties` is left as it is — but code generators read
 * it as "the object and one of the shapes", not "the object or one of the shapes".
 */
function anyOfApart(schema: JsonSchema): JsonSchema {
  if (!Array.isArray(schema.anyOf) || !schema.properties || 'unevaluatedProperties' in schema) return schema;
  const { anyOf, title, description, ...object } = schema;
  return { ...(title === undefined ? {} : { title }), ...(description === undefined ? {} : { description }), allOf: [object, { anyOf }] };
}

/**
 * A deep copy of `node` with every `$ref` rewritten (see rewriteRef), in the shapes code generators
 * read best: see anyOfApart; and an object schema that says nothing about its members gets the
 * `additionalProperties: true` that JSON Schema implies anyway (generators otherwise take it for an
 * object that may have no members at all).
 */
function withComponentRefs(node: unknown, from: string, fileById: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(node)) return node.map((item) => withComponentRefs(item, from, fileById));
  if (node === null || typeof node !== 'object') return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string') out[key] = rewriteRef(value, from, fileById);
    else if (DATA_MEMBERS.has(key)) out[key] = structuredClone(value);
    else out[key] = withComponentRefs(value, from, fileById);
  }
  if (out.type === 'object' && !MEMBER_KEYWORDS.some((k) => k in out)) out.additionalProperties = true;
  return anyOfApart(out);
}

function addComponent(components: Record<string, JsonSchema>, name: string, schema: JsonSchema): void {
  if (name in components) throw new Error(`OpenAPI component ${name} would be defined twice`);
  components[name] = schema;
}

/** Annotations only, e.g. schemas/common.schema.json, which holds nothing but its `$defs`: no component of its own. */
const ANNOTATIONS = new Set(['title', 'description', '$comment']);
const isOnlyContainer = (root: JsonSchema): boolean => Object.keys(root).every((k) => ANNOTATIONS.has(k));

/**
 * Every schema file as components (a file holding only `$defs` gives no root component). `$schema` and `$id` are left out (OpenAPI 3.1 documents are
 * JSON Schema 2020-12 already, and an `$id` would make the rewritten references resolve against the
 * file's URN instead of the document).
 */
export function schemaComponents(files: readonly SchemaFile[]): Record<string, JsonSchema> {
  const fileById = new Map(files.map((f) => [schemaIdFor(f.name), f.name]));
  const components: Record<string, JsonSchema> = {};
  for (const file of files) {
    const rewritten = withComponentRefs(file.schema, file.name, fileById) as JsonSchema;
    const { $schema: _schema, $id: _id, $defs, ...root } = rewritten;
    if (!isOnlyContainer(root)) addComponent(components, rootComponentOf(file.name), root);
    for (const [def, schema] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) {
      addComponent(components, defComponentOf(file.name, def), schema);
    }
  }
  return components;
}

/** The category schema files (`categories/<id>`), by category id. */
export function categorySchemaNames(files: readonly SchemaFile[]): Array<{ category: string; file: string }> {
  return files
    .filter((f) => f.name.startsWith('categories/'))
    .map((f) => ({ category: f.name.slice('categories/'.length), file: f.name }));
}
