/**
 * The current row of a record and its envelope (migration 015). The envelope is stored once, in the
 * version rows; a record's current row (records) holds what finds, checks, locks and counts need.
 */
import type { RecordEnvelope } from '../domain/record.js';
import { binaryArray } from './binary-array.js';

/** The current row joined to its current version (aliases r and v), for queries that lock the row (FOR UPDATE OF r); readers select from the view current_records. */
export const RECORDS_WITH_CURRENT_ENVELOPE = 'records r JOIN record_versions v ON v.record_id = r.record_id AND v.version = r.version';

/**
 * The current row's columns derived from an envelope, written with every new content: what checks,
 * expiry, monitoring and the subject registry find records by.
 *
 * Two forms of the same definitions. The writers compute them in the gateway (derivedColumnParams),
 * so PostgreSQL never parses a batch's envelopes (migration 026). The SQL form (derivedValues, over a
 * jsonb expression) is what the seeds use and what the indicator query applies to an older version's
 * envelope: the two monitoring rules are SQL functions (005_monitoring.sql).
 * test/store/record-columns.test.ts holds the two forms to the same answers.
 */
export const DERIVED_COLUMNS = 'severity, publish_until, polarity, decided_on, government_subject, open_payment_default, subject_name, org_code';
export const derivedValues = (e: string): string =>
  `${e} ->> 'severity', ${e} ->> 'publishUntil', ${e} ->> 'polarity', ${e} ->> 'decidedAt', monitoring_is_government(${e}),
   monitoring_is_open_payment_default(${e}), ${e} #>> '{subject,name}', ${e} #>> '{subject,orgCode}'`;

/** The derived columns of a row alias (`r.severity, r.publish_until, …`). */
export const derivedColumnsOf = (alias: string): string => DERIVED_COLUMNS.split(', ').map((c) => `${alias}.${c}`).join(', ');

const DERIVED_COLUMN_TYPES = ['text', 'text', 'text', 'text', 'bool', 'bool', 'text', 'text'] as const;

/** `unnest($first::text[]), …`: the derived columns' parameters, from $first on, as ROWS FROM items. */
export const derivedUnnests = (first: number): string => DERIVED_COLUMN_TYPES.map((t, i) => `unnest($${first + i}::${t}[])`).join(', ');

/** The derived columns' parameters, in derivedUnnests' order (binary arrays: binary-array.ts). */
export function derivedColumnParams(envs: readonly RecordEnvelope[]): Buffer[] {
  return derivedColumnValues(envs).map((values, i) => binaryArray(DERIVED_COLUMN_TYPES[i]!, values));
}

/** The derived columns' values of each envelope, column by column. */
export function derivedColumnValues(envs: readonly RecordEnvelope[]): unknown[][] {
  const columns: unknown[][] = DERIVED_COLUMN_TYPES.map(() => new Array<unknown>(envs.length));
  envs.forEach((e, i) => {
    columns[0]![i] = sqlText(e.severity);
    columns[1]![i] = sqlText(e.publishUntil);
    columns[2]![i] = sqlText(e.polarity);
    columns[3]![i] = sqlText(e.decidedAt);
    columns[4]![i] = isGovernmentRecord(e);
    columns[5]![i] = isOpenPaymentDefault(e);
    columns[6]![i] = sqlText(e.subject.name);
    columns[7]![i] = sqlText(e.subject.orgCode);
  });
  return columns;
}

const GOVERNMENT_KINDS: ReadonlySet<unknown> = new Set(['organ', 'public_institution', 'mass_organization', 'other_institution']);

/** monitoring_is_government: a government subject by kind, or recognised by name (flags.governmentSubject). */
function isGovernmentRecord(e: RecordEnvelope): boolean {
  return GOVERNMENT_KINDS.has(sqlText(e.subject.kind)) || sqlText(e.flags?.governmentSubject) === 'true';
}

/** monitoring_is_open_payment_default: a procurement payment default not (yet) resolved. */
function isOpenPaymentDefault(e: RecordEnvelope): boolean {
  return e.category === 'procurement_breach' && sqlText(e.data.listType) === 'payment_default' && (sqlText(e.data.resolved) ?? 'false') === 'false';
}

/** A JSON value as PostgreSQL's `->>` gives it: a string as itself, null or absent as NULL, anything else as its JSON text. */
function sqlText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}
