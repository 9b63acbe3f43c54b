/** From raw input to a record ready to store: normalise, validate, derive id, content and hash. */
import type { FieldError } from '../errors.js';
import { contentHashOf, contentOf, recordIdFor, subjectKeyOf } from '../domain/record.js';
import type { PreparedRecord } from '../store/records-repo.js';
import type { RecordValidator } from '../validation/validator.js';

export type Prepared = { ok: true; record: PreparedRecord } | { ok: false; errors: FieldError[] };

export function prepareRecord(validator: RecordValidator, raw: unknown, pointerPrefix = ''): Prepared {
  const checked = validator.validateRecordInput(raw, pointerPrefix);
  if (!checked.ok) return checked;
  const input = checked.value;
  const content = contentOf(input);
  const record: PreparedRecord = {
    recordId: recordIdFor(input.source.system, input.source.key),
    subjectKey: subjectKeyOf(content.subject),
    content,
    contentHash: contentHashOf(content),
  };
  if (input.source.fetchedAt) record.fetchedAt = input.source.fetchedAt;
  return { ok: true, record };
}
