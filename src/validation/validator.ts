/**
 * The shared ajv instance: every schema under schemas/ is added and compiled once at start-up.
 * validateRecordInput checks an item against the envelope schema, then its data against its
 * category's schema, and returns precise bilingual field errors.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { FieldError } from '../errors.js';
import type { RecordInput } from '../domain/record.js';
import { normalizeIdentifiers } from '../domain/record.js';
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
    for (const id of CATEGORY_IDS) this.categories.set(id, compile(`categories/${id}`));
  }

  schemaNames(): string[] {
    return [...this.schemas.keys()];
  }

  schema(name: string): object | undefined {
    return this.schemas.get(name);
  }

  /** Normalises identifiers, then validates envelope and category data. `prefix` goes before every pointer. */
  validateRecordInput(raw: unknown, prefix = ''): ValidationResult<RecordInput> {
    const item = normalizeIdentifiers(raw);
    if (!this.input(item)) return { ok: false, errors: describeAjvErrors(this.input.errors, item, prefix) };
    const record = item as RecordInput;
    const dataCheck = this.categories.get(record.category)!;
    if (!dataCheck(record.data)) {
      return { ok: false, errors: describeAjvErrors(dataCheck.errors, record.data, `${prefix}/data`) };
    }
    return { ok: true, value: record };
  }

  /** Checks a stored/published envelope (used by tests and as a guard before publishing). */
  validateEnvelope(envelope: unknown): FieldError[] {
    return this.envelope(envelope) ? [] : describeAjvErrors(this.envelope.errors, envelope);
  }
}
