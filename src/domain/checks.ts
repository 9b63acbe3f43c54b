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

const triggersByMeasures = new WeakMap<readonly MeasureConfig[], (category: string, severity: Severity) => readonly string[]>();

/**
 * measuresFor's ids as a lookup, computed once per category and severity for a given (immutable) list
 * of configured measures: a check of 1,000 codes asks it for every record of every code.
 */
function measureIdsByTrigger(measures: readonly MeasureConfig[]): (category: string, severity: Severity) => readonly string[] {
  let lookup = triggersByMeasures.get(measures);
  if (!lookup) {
    const known = new Map<string, readonly string[]>();
    lookup = (category, severity) => {
      const key = `${category}\u0000${severity}`;
      let ids = known.get(key);
      if (!ids) known.set(key, (ids = measuresFor(measures, category, severity).map((m) => m.id)));
      return ids;
    };
    triggersByMeasures.set(measures, lookup);
  }
  return lookup;
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
  const errors = code.errors.map(issue);
  const warnings = code.warnings.map(issue);
  const kind = code.kind ?? null;
  const kindZh = code.kindZh ?? null;
  // Every answer is built by one object literal with the same properties in the same order (no spread):
  // a thousand answers then share one hidden class, which keeps building and serialising them fast.
  if (!code.ok) {
    return { input, uscc: code.code, valid: false, verdict: 'invalid', errors, warnings, kind, kindZh, underJointPunishment: false, measures: [], records: [] };
  }
  const sorted = [...records].sort((a, b) => (a.recordId < b.recordId ? -1 : a.recordId > b.recordId ? 1 : 0));
  const applied = new Set<string>();
  const triggered = measureIdsByTrigger(measures);
  for (const r of sorted) for (const id of triggered(r.category, r.severity)) applied.add(id);
  const underJointPunishment = sorted.some((r) => r.severity === 'severe');
  return {
    input,
    uscc: code.code,
    valid: true,
    verdict: underJointPunishment ? 'punished' : 'clear',
    errors,
    warnings,
    kind,
    kindZh,
    underJointPunishment,
    measures: measures.filter((m) => applied.has(m.id)).map((m) => m.id),
    records: sorted,
  };
}
