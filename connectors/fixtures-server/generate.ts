/**
 * Deterministic source rows in each source's own format, for the fixture files, the demo and the
 * benchmark (which asks for row i of 100,000 without ever building the list).
 */
import { syntheticPersonalId } from '../../src/domain/personal-id.js';
import { syntheticUscc } from '../../src/domain/uscc.js';

const day = (n: number, base = Date.UTC(2023, 0, 3)) => new Date(base + (n % 600) * 86_400_000).toISOString().slice(0, 10);
const cnDate = (iso: string) => `${iso.slice(0, 4)}年${iso.slice(5, 7)}月${iso.slice(8, 10)}日`;

/** 失信被执行人 row i: mostly companies, every 7th a natural person (masked number), every 11th a government organ. */
export function dishonestRow(i: number): Record<string, unknown> {
  const person = i % 7 === 3;
  const organ = !person && i % 11 === 5;
  const uscc = organ ? syntheticUscc(i % 100_000_000, { kindCode: '11', region: '320583' }) : syntheticUscc(i % 100_000_000);
  const id = syntheticPersonalId(i % 1_000_000);
  const published = day(i);
  return {
    id: 900_000 + i,
    iname: person ? `张某${i}` : organ ? `昆山市样例镇人民政府${i}` : `样例建设工程有限公司${i}`,
    caseCode: `（${published.slice(0, 4)}）苏0583执${1000 + i}号`,
    age: person ? 41 : 0,
    sexy: person ? '男' : '',
    cardNum: person ? `${id.slice(0, 10)}****${id.slice(14)}` : uscc,
    businessEntity: person ? '' : `李某${i % 100}`,
    courtName: '昆山市人民法院',
    areaName: '江苏',
    partyTypeName: person ? '0' : '580',
    gistId: `（${Number(published.slice(0, 4)) - 1}）苏0583民初${2000 + i}号`,
    regDate: cnDate(day(i + 500)),
    gistUnit: '昆山市人民法院',
    duty: `被执行人于判决生效之日起十日内支付申请执行人货款人民币${10_000 + (i % 90_000)}元。`,
    performance: i % 2 === 0 ? '全部未履行' : '部分未履行',
    performedPart: i % 2 === 0 ? '' : '已支付人民币5000元',
    unperformPart: i % 2 === 0 ? '' : '剩余货款',
    disruptTypeName: '有履行能力而拒不履行生效法律文书确定义务',
    publishDate: cnDate(published),
  };
}

/** 裁判文书 metadata row i: administrative cases against organs, plus every 4th a civil case between companies (out of scope). */
export function judgmentRow(i: number): Record<string, unknown> {
  const civil = i % 4 === 2;
  const organ = { mc: `昆山市样例管理局${i}`, ssdw: '被告', tyshxydm: syntheticUscc(i, { kindCode: '11', region: '320583' }) };
  const company = { mc: `样例科技有限公司${i}`, ssdw: '原告', tyshxydm: syntheticUscc(50_000_000 + i) };
  const judged = day(i * 3);
  return {
    wsid: `${(0xa1b2c3 + i).toString(16)}f0e1d2c3b4a5968778695a4b3c2d1e0f`.slice(0, 32),
    ajmc: civil ? `${company.mc}与样例贸易有限公司${i}买卖合同纠纷一审民事判决书` : `${company.mc}与${organ.mc}行政处罚一审行政判决书`,
    fymc: '昆山市人民法院',
    wslx: '判决书',
    ah: civil ? `（${judged.slice(0, 4)}）苏0583民初${3000 + i}号` : `（${judged.slice(0, 4)}）苏0583行初${100 + i}号`,
    ajlx: civil ? '民事案件' : '行政案件',
    spcx: '一审',
    ay: civil ? '买卖合同纠纷' : '行政处罚',
    dsr: civil ? [company, { mc: `样例贸易有限公司${i}`, ssdw: '被告', tyshxydm: syntheticUscc(60_000_000 + i) }] : [company, organ],
    cprq: judged,
    fbrq: day(i * 3 + 20),
  };
}

export function seriousDishonestyRow(i: number): Record<string, unknown> {
  const d = day(i * 5);
  return {
    jlbh: `CCGP-YZSX-${String(i).padStart(6, '0')}`,
    qymc: `样例信息技术有限公司${i}`,
    qydz: `江苏省昆山市样例路${i + 1}号`,
    tyshxydm: syntheticUscc(70_000_000 + i),
    sxqx: '提供虚假材料谋取中标、成交',
    cfjg: '列入不良行为记录名单，一年内禁止参加政府采购活动，并处采购金额千分之五的罚款',
    cfyj: '《中华人民共和国政府采购法》第七十七条第一款第（一）项',
    cfrq: d,
    gbrq: day(i * 5 + 7),
    zfdw: '昆山市财政局',
    jzqsrq: d,
    jzjzrq: `${Number(d.slice(0, 4)) + 1}${d.slice(4)}`,
  };
}

export function purchaserDefaultRow(i: number): Record<string, unknown> {
  const payment = i % 2 === 0;
  const d = day(i * 4);
  return {
    jlbh: `CCGP-CGRWY-${String(i).padStart(6, '0')}`,
    wylx: payment ? '拖欠账款' : '合同违约',
    cgr: i % 3 === 0 ? `昆山市样例中学${i}` : `昆山市样例局${i}`,
    cgrdm: syntheticUscc(i, { kindCode: i % 3 === 0 ? '12' : '11', region: '320583' }),
    xmmc: `昆山市样例信息化采购项目${i}`,
    xmbh: `KSCG${d.slice(0, 4)}-${i}`,
    htbh: `HT${d.slice(0, 4)}${String(i).padStart(6, '0')}`,
    htje: String(100_000 + i * 100),
    gysmc: `样例供应商${i}有限公司`,
    gysdm: syntheticUscc(80_000_000 + i),
    wyqx: payment ? '验收合格后逾期未支付合同款项' : '无正当理由拖延履约验收超过合同约定期限',
    qkje: payment ? String(30_000 + i * 10) : '',
    ydfkrq: payment ? day(i * 4 - 60) : '',
    yqts: payment ? '60' : '',
    sfjj: '否',
    jjrq: '',
    jlrq: d,
  };
}

/** 不良行为记录 row i, keyed by the table's column headings. */
export function biddingRow(i: number): Record<string, string> {
  const d = day(i * 2);
  return {
    序号: String(i + 1),
    项目名称: `昆山市样例道路改造工程施工${(i % 9) + 1}标段`,
    项目编号: `E3205830${d.slice(0, 4)}${String(i).padStart(6, '0')}`,
    当事人: `样例建筑工程有限公司${i}`,
    统一社会信用代码: syntheticUscc(90_000_000 + i),
    当事人类型: '投标人',
    不良行为: '以他人名义投标',
    处理决定: '记不良行为记录一次，暂停投标资格六个月',
    处理文号: `昆建招处〔${d.slice(0, 4)}〕${i + 1}号`,
    处理机关: '昆山市住房和城乡建设局',
    处理日期: d,
    公示期限: `${d}至${day(i * 2 + 182)}`,
  };
}

/** 双公示 行政处罚 row i in the national data standard's CF_* fields, as a feed publishes them. */
export function penaltyRow(i: number): Record<string, unknown> {
  const d = day(i * 2);
  const organ = syntheticUscc(7, { kindCode: '11', region: '320583' });
  return {
    CF_XDR_MC: `样例餐饮管理有限公司${i}`,
    CF_XDR_LB: '法人及非法人组织',
    CF_XDR_SHXYM: syntheticUscc(95_000_000 + i),
    CF_FRDB: `王某${i % 50}`,
    CF_WSH: `昆市监处罚〔${d.slice(0, 4)}〕${i + 1}号`,
    CF_WFXW: '经营超过保质期的食品',
    CF_SY: `当事人于${d.slice(0, 7)}销售超过保质期的预包装食品。`,
    CF_YJ: '《中华人民共和国食品安全法》第一百二十四条第一款',
    CF_CFLB: '罚款',
    CF_NR: '罚款人民币5万元。',
    CF_NR_FK: '5',
    CF_JDRQ: d.replaceAll('-', '/'),
    CF_YXQ: `${Number(d.slice(0, 4)) + 1}${d.slice(4)}`,
    CF_GSJZQ: `${Number(d.slice(0, 4)) + 1}${d.slice(4)}`,
    CF_CFJG: '昆山市市场监督管理局',
    CF_CFJGDM: organ,
    CF_SJLY: '昆山市市场监督管理局',
    CF_SJLYDM: organ,
  };
}
