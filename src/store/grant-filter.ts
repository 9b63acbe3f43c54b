/**
 * A partner's grant as a SQL condition on the `records` table, so lists and reads leave out what the
 * partner may not see. Two parameters: the category ids and the region LIKE patterns (null = all).
 */
import type { RecordGrant } from '../domain/grant.js';

export function grantParams(grant: RecordGrant | null): [string[] | null, string[] | null] {
  // region prefixes are digits only (config schema), so they are safe as LIKE patterns
  return [grant?.categories ? [...grant.categories] : null, grant?.regions ? grant.regions.map((prefix) => `${prefix}%`) : null];
}

/** The condition on `alias` (a records row) with the two grant parameters at $`first` and $`first + 1`. */
export function grantCondition(alias: string, first: number): string {
  return `($${first}::text[] IS NULL OR ${alias}.category = ANY($${first}::text[]))`
    + ` AND ($${first + 1}::text[] IS NULL OR ${alias}.region LIKE ANY($${first + 1}::text[]))`;
}
