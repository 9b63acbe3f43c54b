import { describe, expect, it } from 'vitest';
import { SharedStringTable } from '../../src/uploads/shared-strings.js';
import { cellText } from '../../src/uploads/xlsx-rows.js';

describe('SharedStringTable', () => {
  it('gives back every string at its index, whatever its script or length, past its first capacities', () => {
    const table = new SharedStringTable();
    const strings = ['', 'A', '某某商贸有限公司', '𠮷野家 😀', 'x'.repeat(70_000)];
    for (let i = 0; i < 3000; i++) strings.push(`某市监罚〔2024〕${i}号`);
    for (const s of strings) table.add(s);
    expect(table.size).toBe(strings.length);
    strings.forEach((s, i) => expect(table.get(i)).toBe(s));
  });

  it('has nothing at an index it was not given', () => {
    const table = new SharedStringTable();
    table.add('只有一个');
    expect(table.get(1)).toBeUndefined();
    expect(table.get(-1)).toBeUndefined();
    expect(table.get(0.5)).toBeUndefined();
    expect(table.get(Number.NaN)).toBeUndefined();
  });

  it('resolves a cell that points at a shared string, and an unknown index to an empty cell', () => {
    const table = new SharedStringTable();
    table.add('行政处罚');
    table.add('某公司');
    expect(cellText({ sharedString: 1 }, table)).toBe('某公司');
    expect(cellText({ sharedString: 7 }, table)).toBe('');
    expect(cellText({ sharedString: 0 })).toBe('');
  });
});
