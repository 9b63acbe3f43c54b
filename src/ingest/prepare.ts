/** From raw input to a record ready to store: normalise, validate, derive id, content and hash. */
import type { PublicationPeriodsConfig } from '../config/types.js';
import type { FieldError } from '../errors.js';
import { withPublicationPeriods } from '../domain/publication-periods.js';
import { contentHashOf, contentOf, MissingRegionError, recordIdFor, subjectKeyOf, type RecordContent } from '../domain/record.js';
import type { PreparedRecord } from '../store/records-repo.js';
import { textFaults } from '../validation/text.js';
import type { RecordValidator } from '../validation/validator.js';

export type Prepared = { ok: true; record: PreparedRecord } | { ok: false; errors: FieldError[] };

/**
 * The one way a record is prepared, pushed or pulled: the schemas and the publication-period table
 * (negative records get their earliestRepairAt and, when the source gave none, publishUntil).
 */
export class RecordPreparer {
  constructor(
    readonly validator: RecordValidator,
    private readonly periods: PublicationPeriodsConfig,
  ) {}

  /** `pointerPrefix` goes before every error pointer (e.g. "/records/3"). */
  prepare(raw: unknown, pointerPrefix = ''): Prepared {
    return prepareRecord(this.validator, this.periods, raw, pointerPrefix);
  }
}

function prepareRecord(validator: RecordValidator, periods: PublicationPeriodsConfig, raw: unknown, pointerPrefix: string): Prepared {
  const faults = textFaults(raw, pointerPrefix);
  if (faults.length) return { ok: false, errors: faults };
  const checked = validator.validateRecordInput(raw, pointerPrefix);
  if (!checked.ok) return checked;
  const input = checked.value;
  let content: RecordContent;
  try {
    content = withPublicationPeriods(contentOf(input), periods);
  } catch (err) {
    if (!(err instanceof MissingRegionError)) throw err;
    return {
      ok: false,
      errors: [{
        pointer: `${pointerPrefix}/subject/region`,
        rule: 'subject.region_required',
        zh: '无法从统一社会信用代码或身份证号推出行政区划，请提供 subject.region（GB/T 2260 六位代码）',
        en: 'the region cannot be derived from the USCC or identity number; give subject.region (6-digit GB/T 2260 code)',
      }],
    };
  }
  const record: PreparedRecord = {
    recordId: recordIdFor(input.source.system, input.source.key),
    subjectKey: subjectKeyOf(content.subject),
    content,
    contentHash: contentHashOf(content),
  };
  if (input.source.fetchedAt) record.fetchedAt = input.source.fetchedAt;
  return { ok: true, record };
}
