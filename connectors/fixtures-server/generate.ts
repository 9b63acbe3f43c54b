/**
 * Generated rows in the real shapes of the sources (the keys and value formats of the recorded rows),
 * deterministic in i, for load and crash tests and the benchmark, which asks for row i of 100,000
 * without ever building the list. The values are synthetic; people are 某-style names with masked numbers.
 */
import { syntheticPersonalId } from '../../src/domain/personal-id.js';
import { syntheticUscc } from '../../src/domain/uscc.js';

const day = (n: number, base = Date.UTC(2023, 0, 3)) => new Date(base + (n % 600) * 86_400_000).toISOString().slice(0, 10);
const daysAfter = (iso: string, days: number) => new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
const cnDate = (iso: string) => `${iso.slice(0, 4)}年${iso.slice(5, 7)}月${iso.slice(8, 10)}日`;
const masked = (id: string) => `${id.slice(0, 10)}****${id.slice(14)}`;

/** A Baidu 6899 row i (every key a recorded row has): mostly companies with a USCC, every 7th a person, every 11th an organisation code only. */
export function baiduRow(i: number): Record<string, unknown> {
  const person = i % 7 === 3;
  const orgCodeOnly = !person && i % 11 === 5;
  const uscc = syntheticUscc(i % 100_000_000);
  const published = day(i);
  return {
    StdStg: 6899, StdStl: 8, _update_time: '1563185224', cambrian_appid: '0', changefreq: 'always',
    age: person ? '41' : '0', areaName: '江苏', areaNameNew: '江苏',
    businessEntity: person ? '' : `李某${i % 100}`,
    cardNum: person ? masked(syntheticPersonalId(i % 1_000_000)) : orgCodeOnly ? `${uscc.slice(8, 16)}-${uscc.slice(16, 17)}` : uscc,
    caseCode: `(${published.slice(0, 4)})苏0583执${1000 + i}号`,
    courtName: '昆山市人民法院',
    disruptTypeName: '有履行能力而拒不履行生效法律文书确定义务',
    duty: `被执行人于判决生效之日起十日内支付申请执行人货款人民币${10_000 + (i % 90_000)}元。`,
    focusNumber: '0',
    gistId: `(${Number(published.slice(0, 4)) - 1})苏0583民初${2000 + i}号`,
    gistUnit: '昆山市人民法院',
    iname: person ? `张某${i}` : `样例建设工程有限公司${i}`,
    partyTypeName: person ? '0' : '1',
    performance: i % 2 === 0 ? '全部未履行' : '部分未履行',
    performedPart: '暂无', unperformPart: '暂无',
    publishDate: cnDate(published),
    publishDateStamp: '1562947200',
    regDate: day(i + 500).replaceAll('-', ''),
    sexy: person ? '男性' : '',
    sitelink: 'http://zxgk.court.gov.cn/', type: '失信被执行人名单', lastmod: '2019-07-15T03:08:21',
    loc: `http://shixin.court.gov.cn/detail?id=${700_000_000 + i}`, priority: '1.0', SiteId: 2015330, _version: 269, _select_time: 1563179419,
  };
}

/** A trading-centre 不良行为 row i, keyed by the list's headings. */
export function ggzyRow(i: number): Record<string, string> {
  const d = day(i * 2);
  const expert = i % 9 === 4;
  return {
    序号: String(i + 1),
    项目名称: `昆山市样例道路改造工程施工${(i % 9) + 1}标段`,
    当事人: expert ? `王某${i % 50}` : `样例建筑工程有限公司${i}`,
    当事人类型: expert ? '评标专家' : '投标人',
    不良行为内容: expert ? '评标过程中未按招标文件规定的评标标准评审' : '以他人名义投标',
    处理决定: '记不良行为记录一次',
    公示期限: `${d.replaceAll('-', '.')}-${daysAfter(d, 182).replaceAll('-', '.')}`,
    发布部门: '昆山市住房和城乡建设局',
    发布日期: d,
  };
}

/** A ccgp list row i, keyed by the list's headings. */
export function ccgpRow(i: number): Record<string, string> {
  const d = day(i * 3);
  return {
    企业名称: `样例信息技术有限公司${i}`,
    '统一社会信用代码（或组织机构代码）': syntheticUscc(80_000_000 + i),
    企业地址: `江苏省苏州市昆山市样例路${i}号`,
    严重违法失信行为的具体情形: '提供虚假材料谋取中标、成交',
    处罚结果: `处以采购金额千分之五的罚款，列入不良行为记录名单，${i % 3 === 0 ? '一年内' : i % 3 === 1 ? '二年内' : '三年内'}禁止参加政府采购活动`,
    处罚依据: '《中华人民共和国政府采购法》第七十七条第一款第（一）项',
    处罚日期: d,
    公布日期: `${day(i * 3 + 10)} 09:30`,
    执法单位: '昆山市财政局',
  };
}

/** Behaviours as the court site writes them (the recorded rows' and the list's other common ones). */
const ZXGK_BEHAVIOURS = ['其他有履行能力而拒不履行生效法律文书确定义务', '其它规避执行', '违反财产报告制度', '违反限制消费令'];

/**
 * A court-site 失信被执行人 row i (connectors/court-dishonest/fixtures/zxgk: the keys of the detail
 * answers, partyTypeName 580 / 581, dates as 2023年01月03日): every 5th a person with a masked number,
 * no legal representative and no 已履行/未履行 parts; organisations mostly with a USCC, every 9th with
 * the 9-character 组织机构代码 only, as the site publishes older entries. Filing precedes publication.
 */
export function zxgkRow(i: number): Record<string, unknown> {
  const person = i % 5 === 2;
  const orgCodeOnly = !person && i % 9 === 4;
  const uscc = syntheticUscc(30_000_000 + (i % 70_000_000));
  const n = i % 500;
  const filed = day(n);
  const published = day(n + 60);
  const partly = i % 3 === 1;
  const amount = 10_000 + (i % 90_000);
  const row: Record<string, unknown> = {
    id: 700_000_000 + i,
    iname: person ? `张某${i}` : `样例建设工程有限公司${i}`,
    caseCode: `（${filed.slice(0, 4)}）苏0583执${3000 + i}号`,
    age: person ? 30 + (i % 40) : 0,
    ...(person ? { sexy: i % 2 === 0 ? '男' : '女' } : {}),
    focusNumber: i % 100,
    cardNum: person ? masked(syntheticPersonalId(i % 1_000_000)) : orgCodeOnly ? uscc.slice(8, 17) : uscc,
    ...(person ? {} : { businessEntity: `李某${i % 100}` }),
    courtName: '昆山市人民法院',
    areaName: '江苏',
    partyTypeName: person ? '580' : '581',
    gistId: `（${Number(filed.slice(0, 4)) - 1}）苏0583民初${2000 + i}号`,
    regDate: cnDate(filed),
    gistUnit: '昆山市人民法院',
    duty: `被告应于本判决生效之日起十日内支付原告货款人民币${amount}元。\r\n案件受理费${50 + (i % 900)}元由被告负担。`,
    performance: partly ? '部分未履行' : '全部未履行',
    ...(person ? {} : { performedPart: partly ? `已履行${Math.floor(amount / 2)}元` : '暂无', unperformPart: partly ? `未履行${amount - Math.floor(amount / 2)}元` : '暂无' }),
    disruptTypeName: ZXGK_BEHAVIOURS[i % ZXGK_BEHAVIOURS.length],
    publishDate: cnDate(published),
  };
  return row;
}
