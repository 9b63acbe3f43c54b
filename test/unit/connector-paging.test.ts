import { describe, expect, it } from 'vitest';
import { listingContinues } from '../../src/connectors/mapping-helpers.js';

const at = (page: number, received: number, total?: unknown) => listingContinues({ url: 'http://127.0.0.1/x', page, pageSize: 10, received, total });

describe('listingContinues', () => {
  it('with a total: goes on until the pages cover it, and stops on the short last page', () => {
    expect(at(1, 10, 25)).toBe(true);
    expect(at(2, 10, 25)).toBe(true);
    expect(at(3, 5, 25)).toBe(false);
    expect(at(3, 10, 30)).toBe(false);
    expect(at(1, 0, 0)).toBe(false);
  });

  it('a short page before the total means the source caps the page size: an error, never an early end', () => {
    expect(() => at(1, 5, 25)).toThrow(/caps the page size — configure pageSize ≤ 5/);
  });

  it('without a total: only an empty page ends the listing', () => {
    expect(at(1, 3)).toBe(true);
    expect(at(2, 3, null)).toBe(true);
    expect(at(3, 0)).toBe(false);
  });
});
