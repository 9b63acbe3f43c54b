// 统一社会信用代码 (USCC) rules, GB 32100-2015, including the embedded GB 11714 organisation code.
// Pure functions only: no I/O, no clock.

/** The 31 characters a USCC may contain: digits and upper-case letters without I, O, Z, S, V. */
export const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

export type SubjectKind =
  | 'organ'
  | 'public_institution'
  | 'mass_organization'
  | 'other_institution'
  | 'social_organization'
  | 'private_non_enterprise'
  | 'foundation'
  | 'enterprise'
  | 'individual_business'
  | 'cooperative'
  | 'other';

export interface IdentifierIssue {
  /** Stable machine-readable code, e.g. `uscc.check_digit`. */
  rule: string;
  zh: string;
  en: string;
  /** 1-based character position in the normalised identifier, when the issue is about one place. */
  position?: number;
}

export interface UsccResult {
  ok: boolean;
  /** The normalised input (see normalizeIdentifier). */
  code: string;
  errors: IdentifierIssue[];
  warnings: IdentifierIssue[];
  authorityCode?: string;
  authorityZh?: string;
  /** Positions 1-2, e.g. `91`. */
  kindCode?: string;
  kind?: SubjectKind;
  kindZh?: string;
  region?: string;
  orgCode?: string;
}

// ---------------------------------------------------------------------------
// Registration authority (position 1) and entity kind (position 2) table.
// GB 32100-2015 表 1 plus two later, nationally issued additions that appear in real data:
// 民政 54/55 (村民委员会/居民委员会, 基层群众性自治组织特别法人) and 公安 G1/G9 (境外非政府组织代表机构).
// ---------------------------------------------------------------------------

interface KindEntry {
  zh: string;
  kind: SubjectKind;
}

interface AuthorityEntry {
  zh: string;
  en: string;
  kinds: Readonly<Record<string, KindEntry>>;
}

const other = (zh: string): KindEntry => ({ zh, kind: 'other' });

const AUTHORITIES: Readonly<Record<string, AuthorityEntry>> = {
  '1': {
    zh: '机构编制',
    en: 'institutional establishment (机构编制)',
    kinds: {
      '1': { zh: '机关', kind: 'organ' },
      '2': { zh: '事业单位', kind: 'public_institution' },
      '3': { zh: '中央编办直接管理机构编制的群众团体', kind: 'mass_organization' },
      '9': { zh: '其他', kind: 'other_institution' },
    },
  },
  '2': {
    zh: '外交',
    en: 'foreign affairs (外交)',
    kinds: { '1': other('外国常驻新闻机构'), '9': other('其他') },
  },
  '3': {
    zh: '司法行政',
    en: 'judicial administration (司法行政)',
    kinds: {
      '1': other('律师执业机构'),
      '2': other('公证处'),
      '3': other('基层法律服务所'),
      '4': other('司法鉴定机构'),
      '5': other('仲裁委员会'),
      '9': other('其他'),
    },
  },
  '4': {
    zh: '文化',
    en: 'culture (文化)',
    kinds: { '1': other('外国在华文化中心'), '9': other('其他') },
  },
  '5': {
    zh: '民政',
    en: 'civil affairs (民政)',
    kinds: {
      '1': { zh: '社会团体', kind: 'social_organization' },
      '2': { zh: '民办非企业单位', kind: 'private_non_enterprise' },
      '3': { zh: '基金会', kind: 'foundation' },
      '4': other('村民委员会'),
      '5': other('居民委员会'),
      '9': other('其他'),
    },
  },
  '6': {
    zh: '旅游',
    en: 'tourism (旅游)',
    kinds: {
      '1': other('外国旅游部门常驻代表机构'),
      '2': other('港澳台地区旅游部门常驻内地（大陆）代表机构'),
      '9': other('其他'),
    },
  },
  '7': {
    zh: '宗教',
    en: 'religious affairs (宗教)',
    kinds: { '1': other('宗教活动场所'), '2': other('宗教院校'), '9': other('其他') },
  },
  '8': {
    zh: '工会',
    en: 'trade unions (工会)',
    kinds: { '1': other('基层工会'), '9': other('其他') },
  },
  '9': {
    zh: '工商',
    en: 'industry and commerce / market regulation (工商/市场监管)',
    kinds: {
      '1': { zh: '企业', kind: 'enterprise' },
      '2': { zh: '个体工商户', kind: 'individual_business' },
      '3': { zh: '农民专业合作社', kind: 'cooperative' },
    },
  },
  A: {
    zh: '中央军委改革和编制办公室',
    en: 'CMC reform and establishment office (中央军委改革和编制办公室)',
    kinds: { '1': other('军队事业单位'), '9': other('其他') },
  },
  G: {
    zh: '公安',
    en: 'public security (公安)',
    kinds: { '1': other('境外非政府组织代表机构'), '9': other('其他') },
  },
  N: {
    zh: '农业',
    en: 'agriculture (农业)',
    kinds: {
      '1': other('组级集体经济组织'),
      '2': other('村级集体经济组织'),
      '3': other('乡镇级集体经济组织'),
      '9': other('其他'),
    },
  },
  Y: {
    zh: '其他',
    en: 'other (其他)',
    kinds: { '1': other('其他') },
  },
};

// ---------------------------------------------------------------------------
// Normalisation
// ---------------------------------------------------------------------------

// \p{Cf} covers zero-width space/joiners, word joiner, BOM, soft hyphen and bidi marks.
// The dash class covers ASCII hyphen-minus plus the Unicode hyphens/dashes NFKC leaves alone.
const STRIP = /[\s\p{Cf}\-\u2010-\u2015\u2212]/gu;

/** Digits and upper-case Latin letters only: what normalizeOnce leaves as it is (NFKC keeps ASCII letters and digits). */
const ALREADY_NORMAL = /^[0-9A-Z]*$/;

function normalizeOnce(s: string): string {
  return s.normalize('NFKC').replace(STRIP, '').toUpperCase();
}

/**
 * NFKC, drop all whitespace (incl. U+3000), zero-width/format characters and hyphens, upper-case.
 * Shared by USCCs and personal ID numbers.
 */
export function normalizeIdentifier(input: string): string {
  if (ALREADY_NORMAL.test(input)) return input; // most identifiers, as registries write them
  // A few exotic characters upper-case into sequences NFKC would recompose, so repeat until
  // stable; that makes the function idempotent for every input (real identifiers settle at once).
  let current = input;
  for (let i = 0; i < 5; i++) {
    const next = normalizeOnce(current);
    if (next === current) return next;
    current = next;
  }
  return current;
}

// ---------------------------------------------------------------------------
// Check characters
// ---------------------------------------------------------------------------

const USCC_WEIGHTS = Array.from({ length: 17 }, (_, i) => {
  let w = 1;
  for (let k = 0; k < i; k++) w = (w * 3) % 31;
  return w;
});

/** GB 32100 mod-31 check character for the first 17 characters of a USCC. */
export function usccCheckChar(first17: string): string {
  if (first17.length !== 17) {
    throw new RangeError(`usccCheckChar needs 17 characters, got ${first17.length}`);
  }
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const value = USCC_ALPHABET.indexOf(first17.charAt(i));
    if (value < 0) {
      throw new RangeError(`usccCheckChar: "${first17.charAt(i)}" at position ${i + 1} is not a USCC character`);
    }
    sum += value * (USCC_WEIGHTS[i] ?? 0);
  }
  return USCC_ALPHABET.charAt((31 - (sum % 31)) % 31);
}

const ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2];
const ORG_BODY_CHARS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'; // index = value (A=10 … Z=35)

/** GB 11714 mod-11 check character for the 8-character body of an organisation code. */
export function orgCodeCheckChar(first8: string): string {
  if (first8.length !== 8) {
    throw new RangeError(`orgCodeCheckChar needs 8 characters, got ${first8.length}`);
  }
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    const value = ORG_BODY_CHARS.indexOf(first8.charAt(i));
    if (value < 0) {
      throw new RangeError(`orgCodeCheckChar: "${first8.charAt(i)}" at position ${i + 1} is not a digit or upper-case letter`);
    }
    sum += value * (ORG_WEIGHTS[i] ?? 0);
  }
  const check = 11 - (sum % 11);
  if (check === 10) return 'X';
  if (check === 11) return '0';
  return String(check);
}

/** True for a 组织机构代码 (GB 11714) in normalised form: 8 digits or upper-case letters and the right check character. */
export function isOrgCode(code: string): boolean {
  return /^[0-9A-Z]{8}[0-9X]$/.test(code) && orgCodeCheckChar(code.slice(0, 8)) === code.charAt(8);
}

/** The organisation code inside a USCC (positions 9–17). */
export function orgCodeOfUscc(uscc: string): string {
  return uscc.slice(8, 17);
}

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

const EXCLUDED_LETTERS = new Set(['I', 'O', 'Z', 'S', 'V']);

function issue(rule: string, zh: string, en: string, position?: number): IdentifierIssue {
  return position === undefined ? { rule, zh, en } : { rule, zh, en, position };
}

/**
 * Checks a USCC in steps: its structure, then the registration authority and kind, the region, the
 * embedded organisation code's check character (a warning only) and the check character.
 */
export function checkUscc(input: string): UsccResult {
  const code = normalizeIdentifier(input);
  const errors: IdentifierIssue[] = [];
  const warnings: IdentifierIssue[] = [];
  const result: UsccResult = { ok: false, code, errors, warnings };

  // Structure first: without 18 valid characters nothing else can be checked meaningfully.
  errors.push(...structureIssues(code));
  if (errors.length > 0) return result;

  const region = code.slice(2, 8);
  const orgCode = code.slice(8, 17);
  result.region = region;
  result.orgCode = orgCode;
  const registration = readRegistration(code);
  Object.assign(result, registration.found);
  errors.push(...registration.errors);
  errors.push(...regionIssues(region));
  warnings.push(...orgCodeCheckIssues(orgCode));
  errors.push(...checkCharIssues(code));

  result.ok = errors.length === 0;
  return result;
}

/** Length and characters: an 18-character code in the USCC alphabet. */
function structureIssues(code: string): IdentifierIssue[] {
  const issues: IdentifierIssue[] = [];
  if (code.length !== 18) {
    issues.push(
      issue(
        'uscc.length',
        `统一社会信用代码应为18位（GB 32100），实际为${code.length}位`,
        `USCC must be 18 characters long (GB 32100): expected 18, found ${code.length}`,
      ),
    );
  }
  issues.push(...charsetIssues(code));
  return issues;
}

function charsetIssues(code: string): IdentifierIssue[] {
  const issues: IdentifierIssue[] = [];
  for (let i = 0; i < code.length; i++) {
    const ch = code.charAt(i);
    if (USCC_ALPHABET.includes(ch)) continue;
    const pos = i + 1;
    if (EXCLUDED_LETTERS.has(ch)) {
      issues.push(
        issue(
          'uscc.charset',
          `统一社会信用代码第${pos}位为“${ch}”，GB 32100 不使用字母 I、O、Z、S、V`,
          `USCC character at position ${pos} is "${ch}"; GB 32100 does not use the letters I, O, Z, S, V`,
          pos,
        ),
      );
    } else {
      issues.push(
        issue(
          'uscc.charset',
          `统一社会信用代码第${pos}位为非法字符“${ch}”，只允许数字和除 I、O、Z、S、V 外的大写字母`,
          `USCC character at position ${pos} is "${ch}", which is not allowed: only digits and upper-case letters except I, O, Z, S, V`,
          pos,
        ),
      );
    }
  }
  return issues;
}

type Registration = Pick<UsccResult, 'authorityCode' | 'authorityZh' | 'kindCode' | 'kind' | 'kindZh'>;

/**
 * Positions 1-2: the registration authority, then the entity kind, which each authority defines for
 * itself. A known authority is reported even when its kind is not.
 */
function readRegistration(code: string): { found: Registration; errors: IdentifierIssue[] } {
  const authorityCode = code.charAt(0);
  const kindChar = code.charAt(1);
  const authority = AUTHORITIES[authorityCode];
  if (authority === undefined) {
    const allowed = Object.keys(AUTHORITIES).join(', ');
    const error = issue(
      'uscc.authority',
      `统一社会信用代码第1位登记管理部门代码“${authorityCode}”不存在，应为 ${allowed} 之一`,
      `USCC registration authority code (position 1) "${authorityCode}" is not defined in GB 32100: expected one of ${allowed}`,
      1,
    );
    return { found: {}, errors: [error] };
  }
  const found: Registration = { authorityCode, authorityZh: authority.zh };
  const kind = authority.kinds[kindChar];
  if (kind === undefined) {
    const allowed = Object.keys(authority.kinds).join(', ');
    const error = issue(
      'uscc.kind',
      `统一社会信用代码第2位机构类别代码“${kindChar}”不属于登记管理部门“${authorityCode}”（${authority.zh}），应为 ${allowed} 之一`,
      `USCC entity kind code (position 2) "${kindChar}" is not defined for registration authority "${authorityCode}" (${authority.en}): expected one of ${allowed}`,
      2,
    );
    return { found, errors: [error] };
  }
  found.kindCode = authorityCode + kindChar;
  found.kind = kind.kind;
  found.kindZh = kind.zh;
  return { found, errors: [] };
}

/** Positions 3-8: a GB/T 2260 region code, six digits (whether the region exists is not checked here). */
function regionIssues(region: string): IdentifierIssue[] {
  const regionBad = /[^0-9]/.exec(region);
  if (regionBad === null) return [];
  const pos = regionBad.index + 3;
  return [
    issue(
      'uscc.region',
      `统一社会信用代码第3-8位行政区划码（GB/T 2260）应为6位数字，实际为“${region}”（第${pos}位不是数字）`,
      `USCC region code (positions 3-8, GB/T 2260) must be 6 digits: found "${region}" (position ${pos} is not a digit)`,
      pos,
    ),
  ];
}

/** Position 17: the check character of the embedded organisation code. */
function orgCodeCheckIssues(orgCode: string): IdentifierIssue[] {
  // Some legally issued pilot codes fail the GB 11714 check, so this is only a warning.
  const expectedOrgCheck = orgCodeCheckChar(orgCode.slice(0, 8));
  const foundOrgCheck = orgCode.charAt(8);
  if (expectedOrgCheck === foundOrgCheck) return [];
  return [
    issue(
      'uscc.org_code_check_digit',
      `组织机构代码校验码（GB 11714 模11，第17位）不符：应为“${expectedOrgCheck}”，实际为“${foundOrgCheck}”`,
      `organisation code check digit (GB 11714 mod-11, position 17) is wrong: expected "${expectedOrgCheck}", found "${foundOrgCheck}"`,
      17,
    ),
  ];
}

/** Position 18: the GB 32100 check character of the whole code. */
function checkCharIssues(code: string): IdentifierIssue[] {
  const expectedCheck = usccCheckChar(code.slice(0, 17));
  const foundCheck = code.charAt(17);
  if (expectedCheck === foundCheck) return [];
  return [
    issue(
      'uscc.check_digit',
      `统一社会信用代码校验码（GB 32100 模31，第18位）错误：应为“${expectedCheck}”，实际为“${foundCheck}”`,
      `USCC check digit (GB 32100 mod-31) is wrong: expected "${expectedCheck}", found "${foundCheck}"`,
      18,
    ),
  ];
}

const GOVERNMENT_KINDS: ReadonlySet<SubjectKind> = new Set<SubjectKind>([
  'organ',
  'public_institution',
  'mass_organization',
  'other_institution',
]);

/** True for the 机构编制 kinds (USCC 11, 12, 13, 19). */
export function isGovernmentKind(kind: SubjectKind | undefined): boolean {
  return kind !== undefined && GOVERNMENT_KINDS.has(kind);
}

// ---------------------------------------------------------------------------
// Synthetic codes for tests and benchmarks
// ---------------------------------------------------------------------------

const SYNTHETIC_MAX = 100_000_000;

/**
 * A valid USCC built deterministically from n (0 <= n < 100,000,000): the organisation-code body
 * is n as 8 decimal digits, followed by its GB 11714 check char, then the GB 32100 check char.
 * Distinct n give distinct codes. For test data only: a synthetic code may coincide with a real one.
 */
export function syntheticUscc(n: number, opts: { kindCode?: string; region?: string } = {}): string {
  const kindCode = opts.kindCode ?? '91';
  const region = opts.region ?? '320583';
  if (!Number.isSafeInteger(n) || n < 0 || n >= SYNTHETIC_MAX) {
    throw new RangeError(`syntheticUscc: n must be an integer in [0, ${SYNTHETIC_MAX}), got ${n}`);
  }
  const authority = AUTHORITIES[kindCode.charAt(0)];
  if (kindCode.length !== 2 || authority?.kinds[kindCode.charAt(1)] === undefined) {
    throw new RangeError(`syntheticUscc: unknown kind code "${kindCode}"`);
  }
  if (!/^\d{6}$/.test(region)) {
    throw new RangeError(`syntheticUscc: region must be 6 digits, got "${region}"`);
  }
  const body = String(n).padStart(8, '0');
  const first17 = kindCode + region + body + orgCodeCheckChar(body);
  return first17 + usccCheckChar(first17);
}
