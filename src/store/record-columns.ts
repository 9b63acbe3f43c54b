/**
 * The current row of a record and its envelope (migration 015). The envelope is stored once, in the
 * version rows; a record's current row (records) holds what finds, checks, locks and counts need.
 */

/** The current row joined to its current version (aliases r and v), for queries that lock the row (FOR UPDATE OF r); readers select from the view current_records. */
export const RECORDS_WITH_CURRENT_ENVELOPE = 'records r JOIN record_versions v ON v.record_id = r.record_id AND v.version = r.version';

/**
 * The current row's columns derived from an envelope (SQL expression `e`), written with every new
 * content: what checks, expiry, monitoring and the subject registry find records by. The two
 * monitoring rules are SQL functions (005_monitoring.sql), so the indicator query reading an older
 * version's envelope uses the same definitions.
 */
export const DERIVED_COLUMNS = 'severity, publish_until, polarity, decided_on, government_subject, open_payment_default, subject_name, org_code';
export const derivedValues = (e: string): string =>
  `${e} ->> 'severity', ${e} ->> 'publishUntil', ${e} ->> 'polarity', ${e} ->> 'decidedAt', monitoring_is_government(${e}),
   monitoring_is_open_payment_default(${e}), ${e} #>> '{subject,name}', ${e} #>> '{subject,orgCode}'`;
