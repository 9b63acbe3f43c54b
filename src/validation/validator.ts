/**
 * The shared ajv instance: every schema under schemas/ is added and compiled once at start-up.
 * validateRecordInput checks an item against the envelope schema, then its data against its
 * category's schema, and returns precise bilingual field errors.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { FieldError } from '../errors.js';
import type { RecordInput } from '../domain/record.js';
import { normalizeIdentifiers } from '../domain/record.js';
import { normalizeIdentifier } from '../domain/uscc.js';
import { CATEGORY_IDS } from '../domain/catalogue.js';
import { addIdentifierFormats } from './formats.js';
import { describeAjvErrors } from './messages.js';
import { loadSchemaFiles } from './schema-files.js';

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

export class RecordValidator {
  private readonly schemas = new Map<string, object>();
  private readonly input: ValidateFunction;
  private readonly envelope: ValidateFunction;
  private readonly categories = new Map<string, ValidateFunction>();
  /** per category, the data fields that hold a USCC */
  private readonly usccFields = new Map<string, string[]>();

  constructor() {
    const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
    addIdentifierFormats(ajv);
    const files = loadSchemaFiles();
    for (const f of files) {
      ajv.addSchema(f.schema);
      this.schemas.set(f.name, f.schema);
    }
    const compile = (name: string): ValidateFunction => {
      const file = files.find((f) => f.name === name);
      if (!file) throw new Error(`schema ${name} is missing from schemas/`);
      return ajv.getSchema(file.id) ?? ajv.compile(file.schema);
    };
    this.input = compile('record-input');
    this.envelope = compile('record');
    for (const id of CATEGORY_IDS) {
      this.categories.set(id, compile(`categories/${id}`));
      this.usccFields.set(id, usccFieldsOf(files.find((f) => f.name === `categories/${id}`)?.schema));
    }
  }

  schemaNames(): string[] {
    return [...this.schemas.keys()];
  }

  schema(name: string): object | undefined {
    return this.schemas.get(name);
  }

  /** Normalises identifiers, then validates envelope and category data. `prefix` goes before every pointer. */
  validateRecordInput(raw: unknown, prefix = ''): ValidationResult<RecordInput> {
    const item = this.normalizeCodeFields(normalizeIdentifiers(raw));
    if (!this.input(item)) return { ok: false, errors: describeAjvErrors(this.input.errors, item, prefix) };
    const record = item as RecordInput;
    const dataCheck = this.categories.get(record.category)!;
    if (!dataCheck(record.data)) {
      return { ok: false, errors: describeAjvErrors(dataCheck.errors, record.data, `${prefix}/data`) };
    }
    return { ok: true, value: record };
  }

  /**
   * USCCs in data fields (the counterpart's, the authority's) normalised like the subject's: NFKC, no
   * spaces, upper case — a full-width or lower-case code is the same code, not a rejection.
   */
  private normalizeCodeFields(item: unknown): unknown {
    const rec = item as { category?: unknown; data?: unknown } | null;
    if (typeof rec !== 'object' || rec === null || typeof rec.category !== 'string' || typeof rec.data !== 'object' || rec.data === null) return item;
    const fields = this.usccFields.get(rec.category);
    if (!fields?.length) return item;
    const data = { ...(rec.data as Record<string, unknown>) };
    for (const f of fields) if (typeof data[f] === 'string') data[f] = normalizeIdentifier(data[f]);
    return { ...rec, data };
  }

  /** Checks a stored/published envelope (used by tests and as a guard before publishing). */
  validateEnvelope(envelope: unknown): FieldError[] {
    return this.envelope(envelope) ? [] : describeAjvErrors(this.envelope.errors, envelope);
  }
}

interface SchemaPart {
  properties?: Record<string, { $ref?: string }>;
  $defs?: Record<string, SchemaPart>;
}

/** The data fields a category schema declares as a USCC (`$ref` to common's uscc), its variants included. */
function usccFieldsOf(schema: object | undefined): string[] {
  const root = schema as SchemaPart | undefined;
  const parts = [root, ...Object.values(root?.$defs ?? {})];
  return [...new Set(parts.flatMap((p) => Object.entries(p?.properties ?? {}).filter(([, v]) => v.$ref?.endsWith('#/$defs/uscc')).map(([k]) => k)))];
}
