/** Category and region grants of a pushed batch: one field error per item outside the grant. */
import { describe, expect, it } from 'vitest';
import { assertOwnsSources, assertWithinGrant, grantViolations } from '../../src/auth/grants.js';
import { grantCovers } from '../../src/domain/grant.js';
import type { Principal } from '../../src/context.js';
import { syntheticUscc } from '../../src/domain/uscc.js';
import { syntheticPersonalId } from '../../src/domain/personal-id.js';

const court: Principal = {
  partnerId: 'x', scopes: new Set(['records:write']), sourceSystems: new Set(['court.kunshan']), categories: ['dishonest_debtor'], regions: ['3205'],
};

describe('grants', () => {
  it('passes items inside the grant, region given or derived from the USCC or the identity number', () => {
    const items = [
      { category: 'dishonest_debtor', subject: { uscc: syntheticUscc(1, { region: '320583' }) } },
      { category: 'dishonest_debtor', subject: { region: '320506', uscc: syntheticUscc(2, { region: '110105' }) } },
      { category: 'dishonest_debtor', subject: { idNumber: syntheticPersonalId(3) } },
    ];
    expect(grantViolations(court, items)).toEqual([]);
  });

  it('names each item outside the grant', () => {
    const items = [
      { category: 'admin_penalty', subject: { uscc: syntheticUscc(1) } },
      { category: 'dishonest_debtor', subject: { uscc: syntheticUscc(2, { region: '110105' }) } },
    ];
    expect(grantViolations(court, items).map((e) => [e.pointer, e.rule])).toEqual([
      ['/records/0/category', 'auth.category_not_granted'],
      ['/records/1/subject/region', 'auth.region_not_granted'],
    ]);
    expect(() => assertWithinGrant(court, items)).toThrow(expect.objectContaining({ code: 'GW_AUTH_GRANT_MISSING', status: 403 }));
  });

  it('"*" grants (null) allow everything; no principal (auth off) checks nothing', () => {
    const all: Principal = { ...court, categories: null, regions: null };
    expect(grantViolations(all, [{ category: 'admin_penalty', subject: { region: '110105' } }])).toEqual([]);
    expect(() => assertWithinGrant(null, [{ category: 'anything' }])).not.toThrow();
  });

  it('leaves malformed items to record validation', () => {
    expect(grantViolations(court, [null, 'x', { subject: 'no' }])).toEqual([]);
  });

  it('refuses items under a source system not registered to the partner, naming each, and lets its own pass', () => {
    const own = { source: { system: 'court.kunshan', key: 'a' } };
    const other = { source: { system: 'zxgk.court', key: 'b' } };
    expect(() => assertOwnsSources(court, [own, { category: 'x' }, 'not an object'])).not.toThrow();
    expect(() => assertOwnsSources(court, [own, other, other])).toThrow(expect.objectContaining({
      code: 'GW_AUTH_SOURCE_NOT_OWNED',
      status: 403,
      errors: [
        expect.objectContaining({ pointer: '/records/1/source/system', rule: 'auth.source_not_owned' }),
        expect.objectContaining({ pointer: '/records/2/source/system', rule: 'auth.source_not_owned' }),
      ],
    }));
    expect(() => assertOwnsSources(null, [other])).not.toThrow();
  });

  it('covers a stored record by category and region prefix; a null grant or null member covers all', () => {
    expect(grantCovers(court, 'dishonest_debtor', '320583')).toBe(true);
    expect(grantCovers(court, 'dishonest_debtor', '110105')).toBe(false);
    expect(grantCovers(court, 'admin_penalty', '320583')).toBe(false);
    expect(grantCovers({ categories: null, regions: ['32'] }, 'admin_penalty', '320583')).toBe(true);
    expect(grantCovers({ categories: ['admin_penalty'], regions: null }, 'admin_penalty', '110105')).toBe(true);
    expect(grantCovers(null, 'anything', '000000')).toBe(true);
  });
});
