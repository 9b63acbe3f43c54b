/**
 * The category catalogue (GET /v1/catalog): what each category is, where it comes from, its polarity,
 * the severities it admits and how long it is published. Pure data plus small accessors.
 *
 * Each category's `data` object is described by `schemas/<schema>.schema.json`; the severities listed
 * here are also enforced by `schemas/record-input.schema.json` (test/validation/schemas.test.ts keeps the two
 * in step).
 */

export type CategoryId =
  | 'dishonest_debtor'
  | 'court_judgment'
  | 'admin_penalty'
  | 'admin_license'
  | 'procurement_breach'
  | 'bidding_misconduct';

export type Polarity = 'negative' | 'positive' | 'neutral';

export type Severity = 'minor' | 'general' | 'severe';

export interface CategoryInfo {
  id: CategoryId;
  nameZh: string;
  nameEn: string;
  polarity: Polarity;
  /** Used when an input item of a negative category carries no severity. */
  defaultSeverity?: Severity;
  /** Severities an item of this category may carry; empty for non-negative categories. */
  severities: Severity[];
  /** Schema name under schemas/, e.g. 'categories/dishonest_debtor'. */
  schema: string;
  sourceZh: string;
  /** Policy documents the category rests on (number and title). */
  basis: string[];
  /** One-line summary of the publication periods. */
  publicationZh: string;
}

const GOV_INTEGRITY = '国发〔2016〕76号《国务院关于加强政务诚信建设的指导意见》';

export const CATEGORIES: readonly CategoryInfo[] = Object.freeze([
  {
    id: 'dishonest_debtor',
    nameZh: '失信被执行人',
    nameEn: 'Dishonest judgment debtor',
    polarity: 'negative',
    defaultSeverity: 'severe',
    severities: ['severe'],
    schema: 'categories/dishonest_debtor',
    sourceZh: '最高人民法院 中国执行信息公开网 失信被执行人名单',
    basis: [
      '法释〔2017〕7号《最高人民法院关于公布失信被执行人名单信息的若干规定》',
      '中办发〔2016〕64号《关于加快推进失信被执行人信用监督、警示和惩戒机制建设的意见》',
      GOV_INTEGRITY,
    ],
    publicationZh:
      '纳入期限一般 2 年，情节严重的可延长 1–3 年；有履行能力而拒不履行的无固定期限，履行完毕、撤销或期满即删除（法释〔2017〕7号）',
  },
  {
    id: 'court_judgment',
    nameZh: '裁判文书',
    nameEn: 'Court judgment document',
    polarity: 'neutral',
    severities: [],
    schema: 'categories/court_judgment',
    sourceZh: '中国裁判文书网（侧重政府机关为当事人的案件）',
    basis: ['法释〔2016〕19号《最高人民法院关于人民法院在互联网公布裁判文书的规定》', GOV_INTEGRITY],
    publicationZh: '裁判文书依法在中国裁判文书网长期公开，不设固定公示截止日期',
  },
  {
    id: 'admin_penalty',
    nameZh: '行政处罚',
    nameEn: 'Administrative penalty',
    polarity: 'negative',
    defaultSeverity: 'general',
    severities: ['minor', 'general', 'severe'],
    schema: 'categories/admin_penalty',
    sourceZh: '各级行政执法机关“双公示”行政处罚信息（信用中国及地方信用门户）',
    basis: [
      '《中华人民共和国行政处罚法》第四十八条',
      '发改办财金〔2019〕527号（“信用中国”网站及地方信用门户网站行政处罚信息信用修复机制）',
      '国家发展改革委令2023年第58号《失信行为纠正后的信用信息修复管理办法（试行）》',
      '《信用修复管理办法》（2026年4月1日起施行）',
      GOV_INTEGRITY,
    ],
    publicationZh:
      '按失信程度与决定日所适用规则：轻微不超过 3 个月，一般 3 个月–1 年，严重 1–3 年；最短期满可申请信用修复，最长期满停止公示',
  },
  {
    id: 'admin_license',
    nameZh: '行政许可',
    nameEn: 'Administrative licence',
    polarity: 'neutral',
    severities: [],
    schema: 'categories/admin_license',
    sourceZh: '各级行政许可机关“双公示”行政许可信息（信用中国及地方信用门户）',
    basis: ['《中华人民共和国行政许可法》第四十条', GOV_INTEGRITY],
    publicationZh: '作出许可决定后 7 个工作日内公示，许可有效期内持续公示（有效期至 2099-12-31 表示长期）',
  },
  {
    id: 'procurement_breach',
    nameZh: '政府采购失信',
    nameEn: 'Government procurement breach',
    polarity: 'negative',
    defaultSeverity: 'general',
    severities: ['general', 'severe'],
    schema: 'categories/procurement_breach',
    sourceZh: '中国政府采购网 政府采购严重违法失信行为记录名单；财政部门及中小企业款项支付投诉处理中采购人的合同违约、拖欠账款记录',
    basis: [
      '《中华人民共和国政府采购法》第七十七条',
      '财库〔2016〕125号《财政部关于在政府采购活动中查询及使用信用记录有关问题的通知》',
      '《保障中小企业款项支付条例》',
      GOV_INTEGRITY,
    ],
    publicationZh:
      '严重违法失信名单在禁止参加政府采购活动期间（1–3 年）公布；采购人违约、拖欠记录一般 3 个月–1 年、严重 1–3 年，纠正或清偿后可申请信用修复',
  },
  {
    id: 'bidding_misconduct',
    nameZh: '招标投标不良行为',
    nameEn: 'Bidding misconduct',
    polarity: 'negative',
    defaultSeverity: 'general',
    severities: ['minor', 'general', 'severe'],
    schema: 'categories/bidding_misconduct',
    sourceZh: '招标投标行政监督部门及公共资源交易平台 不良行为记录',
    basis: [
      '《中华人民共和国招标投标法》',
      '《中华人民共和国招标投标法实施条例》',
      '发改法规〔2008〕1531号《招标投标违法行为记录公告暂行办法》',
      GOV_INTEGRITY,
    ],
    publicationZh: '公告期 6 个月；限制资格等处理决定的期限长于 6 个月的，从其期限（发改法规〔2008〕1531号）',
  },
] satisfies CategoryInfo[]);

for (const c of CATEGORIES) {
  Object.freeze(c.severities);
  Object.freeze(c.basis);
  Object.freeze(c);
}

export const CATEGORY_IDS: readonly CategoryId[] = Object.freeze(CATEGORIES.map((c) => c.id));

const BY_ID: ReadonlyMap<string, CategoryInfo> = new Map(CATEGORIES.map((c) => [c.id, c]));

/** The catalogue entry for `id`, or undefined for an unknown id. */
export function categoryInfo(id: string): CategoryInfo | undefined {
  return BY_ID.get(id);
}

/** Type guard for category ids coming from requests and sources. */
export function isCategoryId(id: unknown): id is CategoryId {
  return typeof id === 'string' && BY_ID.has(id);
}
