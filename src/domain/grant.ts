/**
 * A partner's grant over records: the categories and regions (GB/T 2260 prefixes of the subject's
 * region) it may write and see; null in either place = all. Pure.
 */
export interface RecordGrant {
  categories: readonly string[] | null;
  regions: readonly string[] | null;
}

/** True when `grant` covers a record of `category` whose subject is in `region`; a null grant covers everything. */
export function grantCovers(grant: RecordGrant | null, category: string, region: string): boolean {
  if (!grant) return true;
  return (!grant.categories || grant.categories.includes(category))
    && (!grant.regions || grant.regions.some((prefix) => region.startsWith(prefix)));
}
