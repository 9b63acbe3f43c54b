/**
 * The 联合惩戒 check of one code (bidding and procurement systems "自动比对、自动拦截"). Pure.
 *
 * Input: the code as sent and the published negative records of the subject (the store has already
 * left out objected, corrected, repaired, expired, revoked and removed records). Output: a stable
 * verdict: `invalid` (the code fails GB 32100), `punished` (a published severe record: the subject is
 * under joint punishment), or `clear`; the ids of the configured measures that apply; and the records
 * behind them.
 * The same input always gives the same answer, in the same order.
 */
import type { MeasureConfig } from '../config/types.js';
import type { Severity } from './catalogue.js';
import type { RecordStatus } from './record.js';
import { checkUscc, type IdentifierIssue, type SubjectKind, type UsccResult } from './uscc.js';

/** One published negative record of a checked subject, as the store returns it. */
export interface CheckedRecord {
  recordId: string;
  category: string;
  severity: Severity;
  status: RecordStatus;
  publishUntil: string | null;
}

export interface MeasureRef {
  id: string;
  nameZh: string;
  nameEn: string;
}

export type Verdict = 'invalid' | 'punished' | 'clear';

export interface CodeCheck {
  /** the code exactly as sent */
  input: string;
  /** normalised (NFKC, trimmed, upper case) */
  uscc: string;
  valid: boolean;
  verdict: Verdict;
  /** why the code is invalid (empty when valid) */
  errors: Array<Pick<IdentifierIssue, 'rule' | 'zh' | 'en'>>;
  /** non-fatal findings, e.g. a GB 11714 check digit that fails */
  warnings: Array<Pick<IdentifierIssue, 'rule' | 'zh' | 'en'>>;
  kind: SubjectKind | null;
  kindZh: string | null;
  underJointPunishment: boolean;
  /** ids of the measures that apply (names: measureCatalogue), in config order */
  measures: string[];
  /** the published negative records behind the verdict, by record id */
  records: CheckedRecord[];
}

const issue = (i: IdentifierIssue) => ({ rule: i.rule, zh: i.zh, en: i.en });

/** The measures of `measures` (config order) that a record of this category and severity triggers. */
export function measuresFor(measures: readonly MeasureConfig[], category: string, severity: Severity): MeasureConfig[] {
  return measures.filter(
    (m) => (m.appliesTo.categories.includes('*') || m.appliesTo.categories.includes(category)) && m.appliesTo.severities.includes(severity),
  );
}

/** The names of the configured measures, once per answer (codes refer to them by id). */
export function measureCatalogue(measures: readonly MeasureConfig[]): MeasureRef[] {
  return measures.map((m) => ({ id: m.id, nameZh: m.nameZh, nameEn: m.nameEn }));
}

/** Normalises and validates one code: what the store should be asked about (null when invalid). */
export function codeToLookUp(code: UsccResult): string | null {
  return code.ok ? code.code : null;
}

/** The answer for one code, given the published negative records of its subject. `code` = checkUscc(input). */
export function checkCode(
  input: string,
  records: readonly CheckedRecord[],
  measures: readonly MeasureConfig[],
  code: UsccResult = checkUscc(input),
): CodeCheck {
  const base = {
    input,
    uscc: code.code,
    errors: code.errors.map(issue),
    warnings: code.warnings.map(issue),
    kind: code.kind ?? null,
    kindZh: code.kindZh ?? null,
  };
  if (!code.ok) return { ...base, valid: false, verdict: 'invalid', underJointPunishment: false, measures: [], records: [] };

  const sorted = [...records].sort((a, b) => (a.recordId < b.recordId ? -1 : a.recordId > b.recordId ? 1 : 0));
  const applied = new Set<string>();
  for (const r of sorted) for (const m of measuresFor(measures, r.category, r.severity)) applied.add(m.id);
  const underJointPunishment = sorted.some((r) => r.severity === 'severe');
  return {
    ...base,
    valid: true,
    verdict: underJointPunishment ? 'punished' : 'clear',
    underJointPunishment,
    measures: measures.filter((m) => applied.has(m.id)).map((m) => m.id),
    records: sorted,
  };
}
