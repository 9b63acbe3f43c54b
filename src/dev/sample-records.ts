/**
 * Valid record input items for every category, deterministic in n, for tests and benchmarks.
 *
 *   sampleRecordInput('admin_penalty', 7)                          // a valid item
 *   sampleRecordInput('admin_penalty', 7, { subject: { name: 'X' } })  // deep-merged override
 *   sampleRecordInput('admin_penalty', 7, { severity: undefined })     // `undefined` removes a key
 *
 * Every item has subject.uscc = syntheticUscc(n) (an enterprise, region 320583), subject kind and
 * region derived from that code, source.system = `sample-<category>` and source.key = `K<n>`.
 * For procurement_breach the list type rotates with n: n % 3 = 0 serious_dishonesty,
 * 1 contract_default, 2 payment_default.
 */
import { CATEGORY_IDS, type CategoryId } from '../domain/catalogue.js';
import type { RecordInput } from '../domain/record.js';
import { checkUscc, syntheticUscc } from '../domain/uscc.js';

/** Recursively optional; arrays are replaced whole; an explicit `undefined` deletes the key. */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> | undefined }
    : T;

export const PROCUREMENT_LIST_TYPES = ['serious_dishonesty', 'contract_default', 'payment_default'] as const;

const DAY_MS = 86_400_000;
const BASE = Date.UTC(2023, 0, 2);

/** A calendar day (YYYY-MM-DD) that depends only on n, between 2023-01-02 and 2024-05-15. */
function dayOf(n: number): string {
  return isoDay(BASE + (n % 500) * DAY_MS);
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function plusDays(day: string, days: number): string {
  return isoDay(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS);
}

function plusYears(day: string, years: number): string {
  return `${Number(day.slice(0, 4)) + years}${day.slice(4)}`.replace(/-02-29$/, '-02-28');
}

const AUTHORITY_REGION = '320583';
const COURT = '昆山市人民法院';
const MARKET_REGULATOR = '昆山市市场监督管理局';

/** A government organ's USCC (kind 11 机关) for authorities and government parties. */
function organUscc(n: number): string {
  return syntheticUscc(n % 97, { kindCode: '11', region: AUTHORITY_REGION });
}

/** What a category's sample data is made from: the record number, its subject and decision day. */
interface SampleArgs {
  n: number;
  subject: { uscc: string; name: string };
  decidedAt: string;
  year: string;
  seq: number;
}

function dishonestDebtorData({ n, subject, decidedAt, year, seq }: SampleArgs): Record<string, unknown> {
  return {
    name: subject.name,
    partyType: '法人或其他组织',
    orgCode: subject.uscc,
    legalRepresentative: '李某',
    caseNumber: `（${year}）苏0583执${1000 + seq}号`,
    court: COURT,
    province: '江苏',
    basisDocumentNumber: `（${Number(year) - 1}）苏0583民初${2000 + seq}号`,
    issuingUnit: COURT,
    filingDate: plusDays(decidedAt, -90),
    duty: `被告于判决生效之日起十日内支付原告货款人民币${10_000 + (n % 90_000)}元及逾期付款利息。`,
    performance: n % 2 === 0 ? '全部未履行' : '部分未履行',
    ...(n % 2 === 0 ? {} : { performedPart: '已支付人民币5000元', unperformedPart: '剩余货款及利息' }),
    behaviour: '有履行能力而拒不履行生效法律文书确定义务',
    publishDate: decidedAt,
  };
}

function courtJudgmentData({ n, subject, decidedAt, year, seq }: SampleArgs): Record<string, unknown> {
  const organ = `昆山市样例管理局${n % 97}`;
  return {
    caseName: `${subject.name}与${organ}行政处罚纠纷一审行政判决书`,
    court: COURT,
    documentId: n.toString(16).padStart(32, '0'),
    documentType: '判决书',
    caseNumber: `（${year}）苏0583行初${seq}号`,
    caseType: '行政',
    procedure: '一审',
    causes: ['行政处罚'],
    parties: [
      { name: subject.name, role: '原告', uscc: subject.uscc, kind: 'enterprise' },
      { name: organ, role: '被告', uscc: organUscc(n), kind: 'organ' },
    ],
    judgmentDate: decidedAt,
    publishDate: plusDays(decidedAt, 30),
    governmentParty: true,
  };
}

function adminPenaltyData({ n, subject, decidedAt, year, seq }: SampleArgs): Record<string, unknown> {
  return {
    CF_XDR_MC: subject.name,
    CF_XDR_LB: '法人及非法人组织',
    CF_XDR_SHXYM: subject.uscc,
    CF_FRDB: '李某',
    CF_WSH: `昆市监处罚〔${year}〕${seq}号`,
    CF_WFXW: '经营不符合食品安全标准的食品',
    CF_SY: `当事人于${decidedAt.slice(0, 7)}销售超过保质期的预包装食品，货值金额${100 + (n % 900)}元。`,
    CF_YJ: '《中华人民共和国食品安全法》第一百二十四条第一款',
    CF_CFLB: '罚款;没收违法所得',
    CF_NR: '罚款人民币5万元，没收违法所得人民币1200元。',
    CF_NR_FK: 5,
    CF_NR_WFFF: 0.12,
    CF_JDRQ: decidedAt,
    CF_YXQ: plusYears(decidedAt, 1),
    CF_GSJZQ: plusYears(decidedAt, 1),
    CF_CFJG: MARKET_REGULATOR,
    CF_CFJGDM: organUscc(1),
    CF_SJLY: MARKET_REGULATOR,
    CF_SJLYDM: organUscc(1),
  };
}

function adminLicenseData({ n, subject, decidedAt, year, seq }: SampleArgs): Record<string, unknown> {
  return {
    XK_XDR_MC: subject.name,
    XK_XDR_LB: '法人及非法人组织',
    XK_XDR_SHXYM: subject.uscc,
    XK_FRDB: '李某',
    XK_XKWS: '食品经营许可决定书',
    XK_WSH: `昆市监许〔${year}〕${seq}号`,
    XK_XKLB: '普通',
    XK_XKZS: '食品经营许可证',
    XK_XKBH: `JY1320583${String(n % 10_000_000).padStart(7, '0')}`,
    XK_NR: '预包装食品（含冷藏冷冻食品）销售',
    XK_JDRQ: decidedAt,
    XK_YXQZ: decidedAt,
    XK_YXQZI: plusYears(decidedAt, 5),
    XK_XKJG: MARKET_REGULATOR,
    XK_XKJGDM: organUscc(1),
    XK_ZT: '1',
    XK_LYDW: MARKET_REGULATOR,
    XK_LYDWDM: organUscc(1),
  };
}

/** 严重违法失信 on the procurement list; the other two list types concern a purchaser's contract. */
function procurementBreachData(args: SampleArgs): Record<string, unknown> {
  const { n, subject, decidedAt, year, seq } = args;
  const listType = PROCUREMENT_LIST_TYPES[n % 3]!;
  if (listType === 'serious_dishonesty') {
    return {
      listType,
      enterpriseName: subject.name,
      address: `江苏省昆山市样例路${seq}号`,
      behaviour: '提供虚假材料谋取中标、成交',
      penaltyResult: '列入不良行为记录名单，一年内禁止参加政府采购活动，并处采购金额千分之五的罚款',
      penaltyBasis: '《中华人民共和国政府采购法》第七十七条第一款第（一）项',
      penaltyDate: decidedAt,
      publishDate: plusDays(decidedAt, 7),
      enforcementAgency: '昆山市财政局',
      banFrom: decidedAt,
      banUntil: plusDays(plusYears(decidedAt, 1), -1),
    };
  }
  const common = {
    listType,
    purchaser: subject.name,
    projectName: `昆山市样例信息化采购项目${seq}`,
    projectCode: `KSCG${year}-${seq}`,
    contractNumber: `HT${year}${String(seq).padStart(6, '0')}`,
    contractAmount: 100_000 + (n % 1000) * 100,
    supplierName: `样例供应商${seq}有限公司`,
    supplierUscc: syntheticUscc((n + 50_000_000) % 100_000_000),
  };
  if (listType === 'contract_default') {
    return { ...common, description: '无正当理由拖延履约验收超过合同约定期限', resolved: false };
  }
  return {
    ...common,
    amountOverdue: 30_000 + (n % 1000) * 10,
    dueDate: plusDays(decidedAt, -60),
    overdueDays: 60,
    resolved: n % 2 === 0,
    ...(n % 2 === 0 ? { resolvedAt: decidedAt } : {}),
  };
}

function biddingMisconductData({ n, subject, decidedAt, year, seq }: SampleArgs): Record<string, unknown> {
  return {
    projectName: `昆山市样例道路改造工程施工${(n % 9) + 1}标段`,
    projectCode: `E3205830${year}${String(seq).padStart(6, '0')}`,
    party: subject.name,
    partyRole: '投标人',
    behaviour: '以他人名义投标',
    handlingDecision: '记不良行为记录一次，暂停投标资格六个月',
    decisionNumber: `昆建招处〔${year}〕${seq}号`,
    decisionAuthority: '昆山市住房和城乡建设局',
    decisionDate: decidedAt,
    publishFrom: decidedAt,
    publishUntil: plusDays(decidedAt, 182),
    tradingCenter: '昆山市公共资源交易中心',
  };
}

const SAMPLE_DATA: Record<CategoryId, (args: SampleArgs) => Record<string, unknown>> = {
  dishonest_debtor: dishonestDebtorData,
  court_judgment: courtJudgmentData,
  admin_penalty: adminPenaltyData,
  admin_license: adminLicenseData,
  procurement_breach: procurementBreachData,
  bidding_misconduct: biddingMisconductData,
};

function dataFor(category: CategoryId, n: number, subject: { uscc: string; name: string }, decidedAt: string): Record<string, unknown> {
  return SAMPLE_DATA[category]({ n, subject, decidedAt, year: decidedAt.slice(0, 4), seq: n + 1 });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepMerge(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) delete out[key];
    else if (isPlainObject(value) && isPlainObject(out[key])) out[key] = deepMerge(out[key], value);
    else out[key] = structuredClone(value);
  }
  return out;
}

/** The source systems sample records are written under (`sample-<category>`): what a test partner that pushes them registers. */
export const SAMPLE_SOURCE_SYSTEMS: readonly string[] = CATEGORY_IDS.map((category) => `sample-${category}`);

/** A valid input item of `category`, deterministic in n (0 <= n < 100,000,000), with `overrides` deep-merged. */
export function sampleRecordInput(category: CategoryId, n: number, overrides?: DeepPartial<RecordInput>): RecordInput {
  const uscc = syntheticUscc(n);
  const code = checkUscc(uscc);
  const name = `样例企业${n}有限公司`;
  const decidedAt = dayOf(n);
  const item: RecordInput = {
    category,
    subject: { uscc, name, kind: code.kind ?? 'enterprise', region: code.region ?? AUTHORITY_REGION },
    source: { system: `sample-${category}`, key: `K${n}` },
    decidedAt,
    data: dataFor(category, n, { uscc, name }, decidedAt),
  };
  if (!overrides) return item;
  return deepMerge(item as unknown as Record<string, unknown>, overrides as Record<string, unknown>) as unknown as RecordInput;
}
