/**
 * The example rows of each category's template, as push items (pure data; the template turns them
 * into rows). Fictitious subjects with valid codes; test/templates/ pushes every one of them and
 * expects it accepted. procurement_breach has one per list type.
 */
import type { CategoryId } from '../domain/catalogue.js';
import { syntheticUscc } from '../domain/uscc.js';

const ENTERPRISE = { name: '示例科技有限公司', uscc: syntheticUscc(20_240_315), region: '320583' };
const ORGAN_USCC = syntheticUscc(1, { kindCode: '11', region: '320583' });
const REGULATOR = '昆山市市场监督管理局';
const COURT = '昆山市人民法院';

function item(key: string, decidedAt: string, data: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { subject: { name: ENTERPRISE.name, uscc: ENTERPRISE.uscc, region: ENTERPRISE.region }, source: { key }, decidedAt, ...extra, data };
}

const counterpart = (prefix: 'CF' | 'XK') => ({
  [`${prefix}_XDR_MC`]: ENTERPRISE.name, [`${prefix}_XDR_LB`]: '法人及非法人组织', [`${prefix}_XDR_SHXYM`]: ENTERPRISE.uscc, [`${prefix}_FRDB`]: '张某',
});

const procurementCommon = {
  purchaser: ENTERPRISE.name, projectName: '示例信息化采购项目', projectCode: 'KSCG2024-018', contractNumber: 'HT2024000018',
  contractAmount: 1_200_000, supplierName: '示例供应商有限公司', supplierUscc: syntheticUscc(30_240_315),
};

const EXAMPLES: Record<CategoryId, Array<Record<string, unknown>>> = {
  dishonest_debtor: [item('（2024）苏0583执1018号-示例科技有限公司', '2024-03-15', {
    name: ENTERPRISE.name, partyType: '法人或其他组织', orgCode: ENTERPRISE.uscc, legalRepresentative: '张某',
    caseNumber: '（2024）苏0583执1018号', court: COURT, province: '江苏', basisDocumentNumber: '（2023）苏0583民初2018号',
    issuingUnit: COURT, filingDate: '2024-01-10', duty: '被告于判决生效之日起十日内支付原告货款人民币50000元。',
    performance: '全部未履行', behaviour: '有履行能力而拒不履行生效法律文书确定义务', publishDate: '2024-03-15',
  })],
  court_judgment: [item('（2024）苏0583行初18号', '2024-03-15', {
    caseName: '示例科技有限公司与昆山市示例管理局行政处罚纠纷一审行政判决书', court: COURT, documentType: '判决书',
    caseNumber: '（2024）苏0583行初18号', caseType: '行政', procedure: '一审', causes: ['行政处罚'],
    parties: [
      { name: ENTERPRISE.name, role: '原告', uscc: ENTERPRISE.uscc, kind: 'enterprise' },
      { name: '昆山市示例管理局', role: '被告', uscc: ORGAN_USCC, kind: 'organ' },
    ],
    judgmentDate: '2024-03-15', publishDate: '2024-04-15', governmentParty: true,
  })],
  admin_penalty: [item('昆市监处罚〔2024〕18号', '2024-03-15', {
    ...counterpart('CF'), CF_WSH: '昆市监处罚〔2024〕18号', CF_WFXW: '经营不符合食品安全标准的食品',
    CF_SY: '当事人于2024年1月销售超过保质期的预包装食品。', CF_YJ: '《中华人民共和国食品安全法》第一百二十四条第一款',
    CF_CFLB: '罚款', CF_NR: '罚款人民币5万元。', CF_NR_FK: 5, CF_JDRQ: '2024-03-15', CF_CFJG: REGULATOR, CF_CFJGDM: ORGAN_USCC,
    CF_SJLY: REGULATOR, CF_SJLYDM: ORGAN_USCC,
  }, { severity: 'general' })],
  admin_license: [item('昆市监许〔2024〕18号', '2024-03-15', {
    ...counterpart('XK'), XK_XKWS: '食品经营许可决定书', XK_WSH: '昆市监许〔2024〕18号', XK_XKLB: '普通', XK_XKZS: '食品经营许可证',
    XK_XKBH: 'JY13205830000018', XK_NR: '预包装食品销售', XK_JDRQ: '2024-03-15', XK_YXQZ: '2024-03-15', XK_YXQZI: '2029-03-14',
    XK_XKJG: REGULATOR, XK_XKJGDM: ORGAN_USCC, XK_ZT: '1', XK_LYDW: REGULATOR, XK_LYDWDM: ORGAN_USCC,
  })],
  procurement_breach: [
    item('CCGP-2024-018', '2024-03-15', {
      listType: 'serious_dishonesty', enterpriseName: ENTERPRISE.name, address: '江苏省昆山市示例路18号', behaviour: '提供虚假材料谋取中标、成交',
      penaltyResult: '列入不良行为记录名单，一年内禁止参加政府采购活动', penaltyBasis: '《中华人民共和国政府采购法》第七十七条第一款第（一）项',
      penaltyDate: '2024-03-15', publishDate: '2024-03-22', enforcementAgency: '昆山市财政局', banFrom: '2024-03-15', banUntil: '2025-03-14',
    }, { severity: 'severe' }),
    item('HT2024000018-违约', '2024-03-15', { listType: 'contract_default', ...procurementCommon, description: '无正当理由拖延履约验收超过合同约定期限', resolved: false }),
    item('HT2024000018-拖欠', '2024-03-15', {
      listType: 'payment_default', ...procurementCommon, amountOverdue: 300_000, dueDate: '2024-01-15', overdueDays: 60, resolved: true, resolvedAt: '2024-03-20',
    }),
  ],
  bidding_misconduct: [item('昆建招处〔2024〕18号', '2024-03-15', {
    projectName: '昆山市示例道路改造工程施工1标段', projectCode: 'E3205830202400018', party: ENTERPRISE.name, partyRole: '投标人',
    behaviour: '以他人名义投标', handlingDecision: '记不良行为记录一次，暂停投标资格六个月', decisionNumber: '昆建招处〔2024〕18号',
    decisionAuthority: '昆山市住房和城乡建设局', decisionDate: '2024-03-15', publishFrom: '2024-03-15', publishUntil: '2024-09-14',
    tradingCenter: '昆山市公共资源交易中心',
  }, { severity: 'general' })],
};

/** The example push items of a category (without `category` and `source.system`, which the upload gives). */
export function templateExamples(category: CategoryId): ReadonlyArray<Record<string, unknown>> {
  return EXAMPLES[category];
}
