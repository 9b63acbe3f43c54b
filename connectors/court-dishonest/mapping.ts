/**
 * 失信被执行人 list (中国执行信息公开网 zxgk.court.gov.cn) → dishonest_debtor records.
 * One source row per (case, debtor). Masked identity numbers are kept exactly as published.
 */
import type { RecordInput } from '../../src/domain/record.js';
import { checkUscc } from '../../src/domain/uscc.js';
import { isMaskedPersonalId } from '../../src/domain/personal-id.js';
import type { FieldError } from '../../src/errors.js';
import {
  badDate, fieldError, isoDate, isRow, missing, text, unknownCode, unknownFields, type SourceRow,
} from '../../src/connectors/mapping-helpers.js';
import type { MapEnv, MapResult, SourceIssue } from '../../src/connectors/types.js';

/** Keys the list publishes; `id`, `age`, `sexy` and `focusNumber` are published too but not kept. */
const KNOWN_FIELDS = new Set([
  'iname', 'caseCode', 'cardNum', 'businessEntity', 'courtName', 'areaName', 'gistId', 'regDate', 'gistUnit', 'duty',
  'performance', 'performedPart', 'unperformPart', 'disruptTypeName', 'publishDate', 'partyTypeName',
  'id', 'age', 'sexy', 'focusNumber',
]);

/** partyTypeName codes: the list uses 0 for natural persons and 580 for legal persons / other organisations. */
const PARTY_TYPES: Record<string, '自然人' | '法人或其他组织'> = {
  '0': '自然人', 自然人: '自然人', '580': '法人或其他组织', 法人或其他组织: '法人或其他组织',
};
const PERFORMANCE = ['全部未履行', '部分未履行'] as const;

export function sourceKeyOf(row: SourceRow): string | undefined {
  const caseCode = text(row, 'caseCode');
  const who = text(row, 'cardNum') ?? text(row, 'iname');
  return caseCode && who ? `${caseCode}|${who}` : undefined;
}

export function mapDishonestRow(raw: unknown, env: MapEnv): MapResult[] {
  if (!isRow(raw)) {
    return [{ ok: false, errors: [fieldError('', 'source.row_shape', '来源行不是 JSON 对象', 'source row is not a JSON object')], issues: [] }];
  }
  const row = raw;
  const issues: SourceIssue[] = unknownFields(row, KNOWN_FIELDS);
  const errors: FieldError[] = [];
  const key = sourceKeyOf(row);

  const need = (field: string, zh: string): string => {
    const v = text(row, field);
    if (v === undefined) errors.push(missing(field, zh));
    return v ?? '';
  };
  const date = (field: string, zh: string): string => {
    const v = row[field];
    if (v === undefined || v === null || v === '') { errors.push(missing(field, zh)); return ''; }
    const d = isoDate(v);
    if (!d) errors.push(badDate(field, v));
    return d ?? '';
  };

  const name = need('iname', '被执行人姓名/名称');
  const caseNumber = need('caseCode', '案号');
  const rawPartyType = need('partyTypeName', '被执行人类型');
  const partyType = PARTY_TYPES[rawPartyType];
  if (rawPartyType && !partyType) {
    issues.push({ kind: 'unknown_code', field: 'partyTypeName', value: rawPartyType });
    errors.push(unknownCode('partyTypeName', rawPartyType, Object.keys(PARTY_TYPES)));
  }
  const performance = need('performance', '履行情况');
  if (performance && !(PERFORMANCE as readonly string[]).includes(performance)) {
    issues.push({ kind: 'unknown_code', field: 'performance', value: performance });
    errors.push(unknownCode('performance', performance, PERFORMANCE));
  }
  const cardNum = text(row, 'cardNum');
  const data: Record<string, unknown> = {
    name,
    partyType: partyType ?? rawPartyType,
    caseNumber,
    court: need('courtName', '执行法院'),
    province: need('areaName', '省份'),
    basisDocumentNumber: need('gistId', '执行依据文号'),
    issuingUnit: need('gistUnit', '做出执行依据单位'),
    filingDate: date('regDate', '立案时间'),
    duty: need('duty', '生效法律文书确定的义务'),
    performance,
    behaviour: need('disruptTypeName', '失信被执行人行为具体情形'),
    publishDate: date('publishDate', '发布时间'),
  };
  const performedPart = text(row, 'performedPart');
  const unperformedPart = text(row, 'unperformPart');
  if (performedPart) data.performedPart = performedPart;
  if (unperformedPart) data.unperformedPart = unperformedPart;

  let subject: RecordInput['subject'] | undefined;
  if (partyType === '自然人') {
    if (!cardNum) errors.push(missing('cardNum', '身份证号码（脱敏）'));
    else if (!isMaskedPersonalId(cardNum)) {
      // the list publishes numbers masked; an unmasked number is not what this source sends
      errors.push(fieldError('cardNum', 'source.masked_id', '自然人的 cardNum 应为脱敏身份证号（如 3205241982****1234）', 'cardNum of a natural person must be a masked identity number (e.g. 3205241982****1234)'));
    } else {
      data.idNumberMasked = cardNum;
      subject = { name, idNumber: cardNum, kind: 'person' };
    }
  } else if (partyType === '法人或其他组织') {
    if (cardNum) data.orgCode = cardNum;
    const legalRepresentative = text(row, 'businessEntity');
    if (legalRepresentative) data.legalRepresentative = legalRepresentative;
    if (cardNum && checkUscc(cardNum).ok) {
      subject = { name, uscc: cardNum };
    } else {
      errors.push(fieldError('cardNum', 'source.subject_uscc',
        `法人或其他组织的 cardNum“${cardNum ?? ''}”不是有效的统一社会信用代码，无法确定信用主体`,
        `cardNum "${cardNum ?? ''}" of a legal person is not a valid USCC, so the credit subject cannot be identified`));
    }
  }

  if (errors.length || !subject || !key) {
    if (!key && !errors.length) errors.push(missing('caseCode', '案号'));
    return [{ ok: false, ...(key ? { key } : {}), errors, issues }];
  }
  const input: RecordInput = {
    category: 'dishonest_debtor',
    severity: 'severe',
    subject,
    // no page URL: a row that moves to another page must not look changed
    source: { system: env.system, key, fetchedAt: env.fetchedAt },
    decidedAt: data.publishDate as string,
    data,
  };
  return [{ ok: true, key, input, issues }];
}
