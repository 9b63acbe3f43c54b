/**
 * Recognising government organs (机关) and public institutions (事业单位) by name, for source rows
 * that carry no USCC. A name counts only when it ENDS with an organ or institution form and contains
 * no business-entity marker: "昆山市住房和城乡建设局" is an organ, "昆山建设局有限公司" is a company,
 * "XX村民委员会" is a grass-roots self-governing body (USCC kind 54/55), not an organ.
 * Pure functions only.
 */
import { isGovernmentKind, type SubjectKind } from './uscc.js';

export type GovernmentNameKind = 'organ' | 'public_institution';

/** Words that make a name a business or a non-government body, wherever they appear. */
const NOT_GOVERNMENT_MARKERS = [
  '公司', '有限责任', '股份', '集团', '合作社', '企业', '商行', '经营部', '门市部', '销售部', '工作室',
  '事务所', '个体', '工厂', '商店', '超市', '酒店', '饭店', '村民委员会', '居民委员会', '业主委员会',
  '协会', '商会', '基金会',
];

/** Endings of organ names (most specific first is not needed: any match counts). */
const ORGAN_ENDINGS = [
  '人民政府', '人民代表大会常务委员会', '人大常委会', '政协', '委员会', '管委会', '管理委员会', '办公室', '办公厅',
  '街道办事处', '办事处', '人民法院', '法院', '人民检察院', '检察院', '公安局', '分局', '派出所', '看守所', '监狱',
  '局', '厅', '署', '委', '人民武装部', '司法所', '财政所', '税务所', '市场监督管理所', '海关', '边检站',
];

/** Endings of public-institution names (事业单位). */
const INSTITUTION_ENDINGS = [
  '医院', '卫生院', '卫生服务中心', '疾病预防控制中心', '大学', '学院', '中学', '小学', '幼儿园', '学校',
  '研究院', '研究所', '档案馆', '图书馆', '博物馆', '文化馆', '纪念馆', '公共资源交易中心', '政务服务中心',
  '政务服务管理办公室', '不动产登记中心', '住房公积金管理中心', '社会保险基金管理中心', '广播电视台', '电视台',
];

/** Strips spaces and a trailing parenthesised remark such as "（原XX局）" before matching. */
function normalisedName(name: string): string {
  return name
    .normalize('NFKC')
    .replace(/\s+/g, '')
    .replace(/[(（][^()（）]*[)）]$/u, '');
}

/** 'organ' / 'public_institution' when the name reads as one, else undefined. */
export function governmentKindByName(name: string): GovernmentNameKind | undefined {
  const n = normalisedName(name);
  if (n.length < 3) return undefined;
  if (NOT_GOVERNMENT_MARKERS.some((m) => n.includes(m))) return undefined;
  if (INSTITUTION_ENDINGS.some((e) => n.endsWith(e))) return 'public_institution';
  if (ORGAN_ENDINGS.some((e) => n.endsWith(e))) return 'organ';
  return undefined;
}

/**
 * Whether a subject is a government organ or public institution: by its USCC kind when it has a
 * code (the code is authoritative), by name only when it has none.
 */
export function isGovernmentSubject(subject: { name: string; kind?: SubjectKind | 'person' | undefined; hasUscc: boolean }): boolean {
  if (subject.kind === 'person') return false;
  if (subject.hasUscc) return isGovernmentKind(subject.kind as SubjectKind | undefined);
  return governmentKindByName(subject.name) !== undefined;
}
