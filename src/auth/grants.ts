/**
 * What a partner may write and see. A pushed batch is checked before anything is stored: every item's
 * source system must be one registered to the partner, and its category and region inside the
 * partner's grants; otherwise the whole request is refused (403) with one field error per item, so a
 * partner never gets a half-stored batch because of a grant it lacks. Items too malformed to tell are
 * left to record validation. The same grant covers records already stored (src/domain/grant.ts):
 * record routes answer only for records it covers, and an update must be covered for the stored version too.
 */
import type { Principal } from '../context.js';
import { checkPersonalId } from '../domain/personal-id.js';
import { checkUscc } from '../domain/uscc.js';
import { GatewayError, type FieldError } from '../errors.js';

export function grantViolations(principal: Principal, items: unknown[]): FieldError[] {
  const errors: FieldError[] = [];
  items.forEach((item, i) => {
    if (!isObject(item)) return;
    const category = item.category;
    if (principal.categories && typeof category === 'string' && !principal.categories.includes(category)) {
      errors.push({
        pointer: `/records/${i}/category`,
        rule: 'auth.category_not_granted',
        zh: `合作方无权写入类别“${category}”`,
        en: `the partner may not write category "${category}"`,
      });
    }
    const region = regionOf(item.subject);
    if (principal.regions && region && !principal.regions.some((prefix) => region.startsWith(prefix))) {
      errors.push({
        pointer: `/records/${i}/subject/region`,
        rule: 'auth.region_not_granted',
        zh: `合作方无权写入地区 ${region} 的记录`,
        en: `the partner may not write records of region ${region}`,
      });
    }
  });
  return errors;
}

/** Refuses the request (GW_AUTH_SOURCE_NOT_OWNED) when an item names a source system not registered to the principal. */
export function assertOwnsSources(principal: Principal | null, items: unknown[]): void {
  if (!principal) return;
  const errors: FieldError[] = [];
  items.forEach((item, i) => {
    const system = isObject(item) && isObject(item.source) ? item.source.system : undefined;
    if (typeof system !== 'string' || principal.sourceSystems.has(system)) return;
    errors.push({
      pointer: `/records/${i}/source/system`,
      rule: 'auth.source_not_owned',
      zh: `来源系统“${system.slice(0, 64)}”未登记给本合作方`,
      en: `source system "${system.slice(0, 64)}" is not registered to this partner`,
    });
  });
  if (errors.length) throw new GatewayError('GW_AUTH_SOURCE_NOT_OWNED', { errors });
}

/** Refuses the request (GW_AUTH_GRANT_MISSING) when an item is outside the principal's grant; no-op without a principal. */
export function assertWithinGrant(principal: Principal | null, items: unknown[]): void {
  if (!principal) return;
  const errors = grantViolations(principal, items);
  if (errors.length) throw new GatewayError('GW_AUTH_GRANT_MISSING', { errors });
}

/** The region the record will carry: as given, else derived from the USCC or the identity number (as contentOf does). */
function regionOf(subject: unknown): string | undefined {
  if (!isObject(subject)) return undefined;
  if (typeof subject.region === 'string') return subject.region;
  if (typeof subject.uscc === 'string') {
    const region = checkUscc(subject.uscc).region;
    if (region) return region;
  }
  if (typeof subject.idNumber === 'string') return checkPersonalId(subject.idNumber).region;
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
