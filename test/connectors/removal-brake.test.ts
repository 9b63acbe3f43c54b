import { describe, expect, it } from 'vitest';
import { removalHeld } from '../../src/connectors/removal-sweep.js';

const brake = { afterPasses: 2, maxShare: 0.3, minRecords: 10 };

describe('removal brake', () => {
  it('holds when more than maxShare of the listing, and more than minRecords records, would go', () => {
    expect(removalHeld(31, 69, brake)).toEqual({ missing: 31, listed: 69, share: 0.31, maxShare: 0.3 });
    expect(removalHeld(600, 400, brake)?.share).toBe(0.6);
  });

  it('lets exactly maxShare through, and never holds minRecords or fewer', () => {
    expect(removalHeld(30, 70, brake)).toBeNull();
    expect(removalHeld(10, 0, brake)).toBeNull(); // the whole (small) listing gone: 10 is not more than minRecords
    expect(removalHeld(11, 0, brake)).not.toBeNull();
  });

  it('maxShare 1 never holds; 0 holds any removal above minRecords', () => {
    expect(removalHeld(1000, 0, { ...brake, maxShare: 1 })).toBeNull();
    expect(removalHeld(11, 1_000_000, { ...brake, maxShare: 0 })).not.toBeNull();
  });
});
