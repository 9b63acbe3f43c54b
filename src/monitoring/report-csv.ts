/** The integrity report as CSV (RFC 4180, UTF-8 with a BOM so spreadsheet programs read the Chinese names). Pure. */
import type { IntegrityReport } from './report.js';

const COLUMNS = [
  'rank',
  'code',
  'name',
  'score',
  'penalty',
  'active_negative_total',
  'active_severe',
  'active_general',
  'active_minor',
  'new_in_period',
  'debtor_subjects',
  'unresolved_payment_defaults',
  'objections_handled',
  'objections_past_deadline',
  'repairs_handled',
  'repairs_past_deadline',
] as const;

function cell(value: string | number | null): string {
  if (value === null) return '';
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function reportToCsv(report: IntegrityReport): string {
  const lines = [COLUMNS.join(',')];
  for (const r of report.rows) {
    const values: Array<string | number | null> = [
      r.rank,
      r.code,
      r.name,
      r.score.toFixed(2),
      r.penalty,
      r.activeNegative.total,
      r.activeNegative.bySeverity.severe,
      r.activeNegative.bySeverity.general,
      r.activeNegative.bySeverity.minor,
      r.newInPeriod.total,
      r.debtorSubjects,
      r.unresolvedPaymentDefaults,
      r.objections?.handled ?? null,
      r.objections?.pastDeadline ?? null,
      r.repairs?.handled ?? null,
      r.repairs?.pastDeadline ?? null,
    ];
    lines.push(values.map(cell).join(','));
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

export function reportCsvFilename(report: IntegrityReport): string {
  return `integrity-${report.period.id}-${report.level}${report.regionPrefix ? `-${report.regionPrefix}` : ''}.csv`;
}
