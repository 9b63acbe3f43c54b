/**
 * What a source file cannot say, in code — one small function per need, named by a file's `hook`.
 * A hook gets the row and the file's own mapping (`mapRow`), and returns the records the row yields.
 *
 * government-parties: a 裁判文书 row names its parties in free text (当事人, or only in the case name);
 * the credit file is a government party's, so the row yields one record per party whose name reads as
 * a government organ or public institution (src/domain/government-name.ts), and none when there is no
 * such party (the row is skipped). The party's name is handed to the mapping as the field `__party`.
 */
import { governmentKindByName } from '../../domain/government-name.js';
import type { MapResult } from '../types.js';
import type { SourceRow } from './read-value.js';

export type Hook = (row: SourceRow, mapRow: (row: SourceRow) => MapResult[]) => MapResult[];

const CASE_WORDS = /(?:一案|二审|再审|纠纷|案件|案$)/u;

/**
 * The government organ or institution a case-name fragment begins with, when it does: the longest
 * prefix that reads as one (某某市人民政府土地行政登记 → 某某市人民政府).
 */
function organAtStart(fragment: string): string | undefined {
  for (let end = fragment.length; end >= 3; end--) {
    const prefix = fragment.slice(0, end);
    if (governmentKindByName(prefix)) return prefix;
  }
  return undefined;
}

/**
 * Party names in a 当事人 text or a case name: the text split at list and role punctuation and at the
 * words that join parties (与, 诉, 因, 不服); a fragment that begins with an organ's name is that name
 * (the matter that follows is cut off); fragments that are case words, not names, are left out.
 */
export function partyNamesIn(text: string): string[] {
  const cleaned = text
    .replace(/[（(][^）)]*[）)]/g, ' ')
    .replace(/(?:原告|被告|上诉人|被上诉人|申请人|被申请人|再审申请人|第三人|申诉人|被执行人|申请执行人|复议机关|法定代表人|委托诉讼代理人)[:：]?/g, '、');
  const names: string[] = [];
  for (const part of cleaned.split(/[、，,；;\s]|与|诉|因|不服/)) {
    const fragment = part.trim();
    if (fragment.length < 2) continue;
    const organ = organAtStart(fragment);
    if (organ) names.push(organ);
    else if (!CASE_WORDS.test(fragment) && fragment.length >= 2 && fragment.length <= 40) names.push(fragment);
  }
  return [...new Set(names)];
}

function governmentParties(row: SourceRow, mapRow: (row: SourceRow) => MapResult[]): MapResult[] {
  const text = [row['当事人'], row['案件名称'], row['1']].filter((v): v is string => typeof v === 'string').join('、');
  const parties = partyNamesIn(text);
  const government = parties.filter((name) => governmentKindByName(name) !== undefined);
  return government.flatMap((party) => mapRow({ ...row, __party: party }).map((result) => {
    if (!result.ok) return result;
    // the parties as the text names them (no roles: free text does not give them reliably)
    result.input.data = { ...result.input.data, parties: parties.map((name) => ({ name })), governmentParty: true };
    return result;
  }));
}

export const HOOKS: Readonly<Record<string, Hook>> = Object.freeze({
  'government-parties': governmentParties,
});
