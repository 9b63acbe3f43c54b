/**
 * What a run would do with a source's rows, without storing anything: each row mapped and prepared
 * exactly as a run does, and its outcome — stored, pending (an organisation whose USCC the registry
 * must still resolve), quarantined (with the field and rule), or skipped (out of scope). The command
 * `npm run source:try` prints these; an operator onboarding a source variant reads them.
 */
import { isPendingSubject } from '../domain/record.js';
import type { FieldError } from '../errors.js';
import type { RecordPreparer } from '../ingest/prepare.js';
import type { ConnectorSource, MapEnv, SourceIssue } from './types.js';

export type TryOutcome = 'stored' | 'pending' | 'quarantined' | 'skipped';

export interface TriedRow {
  page: number;
  /** the row's source key, when it could be read */
  sourceKey: string | null;
  outcome: TryOutcome;
  /** the rules that quarantined it */
  rules: string[];
  errors: FieldError[];
  issues: SourceIssue[];
  /** the record input the row maps to (before validation) */
  record: unknown;
}

export function tryRows(source: ConnectorSource, rows: unknown[], page: number, preparer: RecordPreparer, env: MapEnv): TriedRow[] {
  const out: TriedRow[] = [];
  for (const row of rows) {
    let results;
    try {
      results = source.mapRow(row, env);
    } catch (err) {
      const error = { pointer: '', rule: 'source.mapping_failed', zh: `映射失败：${(err as Error).message}`, en: `mapping failed: ${(err as Error).message}` };
      out.push({ page, sourceKey: null, outcome: 'quarantined', rules: [error.rule], errors: [error], issues: [], record: null });
      continue;
    }
    if (!results.length) out.push({ page, sourceKey: null, outcome: 'skipped', rules: [], errors: [], issues: [], record: null });
    for (const r of results) {
      if ('withdrawn' in r) {
        // a row the source marks deleted: a run withdraws its record
        out.push({ page, sourceKey: r.key, outcome: 'skipped', rules: ['source.withdrawn'], errors: [], issues: r.issues, record: null });
        continue;
      }
      if (!r.ok) {
        out.push({ page, sourceKey: r.key ?? null, outcome: 'quarantined', rules: [...new Set(r.errors.map((e) => e.rule))], errors: r.errors, issues: r.issues, record: null });
        continue;
      }
      const prepared = preparer.prepare(r.input);
      if (!prepared.ok) {
        out.push({ page, sourceKey: r.key, outcome: 'quarantined', rules: [...new Set(prepared.errors.map((e) => e.rule))], errors: prepared.errors, issues: r.issues, record: r.input });
        continue;
      }
      const outcome = isPendingSubject(prepared.record.content.subject) ? 'pending' : 'stored';
      out.push({ page, sourceKey: r.key, outcome, rules: [], errors: [], issues: r.issues, record: prepared.record.content });
    }
  }
  return out;
}

/** `rows: N stored: N pending: N quarantined: N skipped: N` (rows = source rows read; a row may yield several records). */
export function trySummary(rows: number, tried: readonly TriedRow[]): string {
  const count = (o: TryOutcome) => tried.filter((t) => t.outcome === o).length;
  return `rows: ${rows} stored: ${count('stored')} pending: ${count('pending')} quarantined: ${count('quarantined')} skipped: ${count('skipped')}`;
}
