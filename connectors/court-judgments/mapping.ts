/**
 * 裁判文书 metadata → court_judgment records, one per government organ / public institution that is a
 * party (the credit file is the organ's). Cases without a government party are out of scope and skipped.
 * Source keys are the pinyin initials used by the court data-exchange interface (see README).
 */
import type { RecordInput } from '../../src/domain/record.js';
import { governmentKindByName, isGovernmentSubject } from '../../src/domain/government-name.js';
import { checkUscc } from '../../src/domain/uscc.js';
import type { FieldError } from '../../src/errors.js';
import {
  badDate, fieldError, isoDate, isRow, missing, text, unknownCode, unknownFields, type SourceRow,
} from '../../src/connectors/mapping-helpers.js';
import type { MapEnv, MapResult, SourceIssue } from '../../src/connectors/types.js';

const KNOWN_FIELDS = new Set(['wsid', 'ajmc', 'fymc', 'wslx', 'ah', 'ajlx', 'spcx', 'ay', 'dsr', 'cprq', 'fbrq']);
const KNOWN_PARTY_FIELDS = new Set(['mc', 'ssdw', 'tyshxydm']);

const DOCUMENT_TYPES = ['判决书', '裁定书', '调解书', '决定书', '通知书', '令', '其他'];
const CASE_TYPES: Record<string, string> = {
  民事案件: '民事', 民事: '民事', 刑事案件: '刑事', 刑事: '刑事', 行政案件: '行政', 行政: '行政',
  执行案件: '执行', 执行: '执行', 国家赔偿案件: '国家赔偿', 国家赔偿: '国家赔偿', 其他: '其他',
};
const PROCEDURES = ['一审', '二审', '再审', '复核', '刑罚变更', '再审审查与审判监督', '非诉执行审查', '执行实施', '执行审查', '其他'];

interface Party { name: string; role: string; uscc?: string; kind?: string; government: boolean }

function partiesOf(row: SourceRow, errors: FieldError[], issues: SourceIssue[]): Party[] {
  const list = row.dsr;
  if (!Array.isArray(list) || list.length === 0) {
    errors.push(missing('dsr', '当事人'));
    return [];
  }
  const parties: Party[] = [];
  list.forEach((p, i) => {
    if (!isRow(p)) { errors.push(fieldError(`dsr/${i}`, 'source.row_shape', '当事人不是对象', 'party is not an object')); return; }
    for (const f of unknownFields(p, KNOWN_PARTY_FIELDS)) issues.push({ ...f, field: `dsr.${f.field}` });
    const name = text(p, 'mc');
    const role = text(p, 'ssdw');
    if (!name || !role) { errors.push(missing(`dsr/${i}/${name ? 'ssdw' : 'mc'}`, name ? '诉讼地位' : '当事人名称')); return; }
    const code = text(p, 'tyshxydm');
    const party: Party = { name, role, government: false };
    if (code) {
      const checked = checkUscc(code);
      if (!checked.ok) {
        errors.push(fieldError(`dsr/${i}/tyshxydm`, 'source.uscc', `当事人“${name}”的统一社会信用代码“${code}”不合法`, `party "${name}": USCC "${code}" is invalid`));
        return;
      }
      party.uscc = checked.code;
      if (checked.kind) party.kind = checked.kind;
    } else if (governmentKindByName(name)) {
      party.kind = governmentKindByName(name)!;
    }
    party.government = isGovernmentSubject({ name, kind: party.kind as never, hasUscc: party.uscc !== undefined });
    parties.push(party);
  });
  return parties;
}

export function mapJudgmentRow(raw: unknown, env: MapEnv): MapResult[] {
  if (!isRow(raw)) return [{ ok: false, errors: [fieldError('', 'source.row_shape', '来源行不是 JSON 对象', 'source row is not a JSON object')], issues: [] }];
  const row = raw;
  const issues = unknownFields(row, KNOWN_FIELDS);
  const errors: FieldError[] = [];
  const need = (field: string, zh: string): string => {
    const v = text(row, field);
    if (v === undefined) errors.push(missing(field, zh));
    return v ?? '';
  };
  const code = (field: string, zh: string, value: string, known: readonly string[], canonical = value): string => {
    if (value && !known.includes(value)) {
      issues.push({ kind: 'unknown_code', field, value });
      errors.push(unknownCode(field, value, known));
    }
    return canonical;
  };
  const documentId = need('wsid', '文书ID');
  const caseType = need('ajlx', '案件类型');
  const procedure = text(row, 'spcx');
  const data: Record<string, unknown> = {
    caseName: need('ajmc', '案件名称'),
    court: need('fymc', '法院名称'),
    documentId,
    documentType: code('wslx', '文书类型', need('wslx', '文书类型'), DOCUMENT_TYPES),
    caseNumber: need('ah', '案号'),
    caseType: code('ajlx', '案件类型', caseType, Object.keys(CASE_TYPES), CASE_TYPES[caseType] ?? caseType),
  };
  if (procedure) data.procedure = code('spcx', '审判程序', procedure, PROCEDURES);
  const causes = text(row, 'ay');
  if (causes) data.causes = [...new Set(causes.split(/[、;；,，]/).map((c) => c.trim()).filter(Boolean))];
  const judgmentDate = isoDate(row.cprq);
  if (!judgmentDate) errors.push(row.cprq ? badDate('cprq', row.cprq) : missing('cprq', '裁判日期'));
  else data.judgmentDate = judgmentDate;
  const publishDate = row.fbrq ? isoDate(row.fbrq) : undefined;
  if (row.fbrq && !publishDate) errors.push(badDate('fbrq', row.fbrq));
  if (publishDate) data.publishDate = publishDate;

  const parties = partiesOf(row, errors, issues);
  data.parties = parties.map((p) => ({ name: p.name, role: p.role, ...(p.uscc ? { uscc: p.uscc } : {}), ...(p.kind ? { kind: p.kind } : {}) }));
  const government = parties.filter((p) => p.government);
  data.governmentParty = government.length > 0;

  if (errors.length) return [{ ok: false, ...(documentId ? { key: documentId } : {}), errors, issues }];
  if (!government.length) return []; // no government organ or institution is a party: out of scope

  return government.map((party): MapResult => {
    const key = `${documentId}|${party.uscc ?? party.name}`;
    if (!party.uscc) {
      return {
        ok: false, key, issues,
        errors: [fieldError('dsr', 'source.subject_uscc',
          `政府机关当事人“${party.name}”没有统一社会信用代码，无法归入其信用档案`,
          `government party "${party.name}" has no USCC, so the record cannot be filed under it`)],
      };
    }
    const input: RecordInput = {
      category: 'court_judgment',
      subject: { name: party.name, uscc: party.uscc },
      source: { system: env.system, key, fetchedAt: env.fetchedAt },
      decidedAt: judgmentDate!,
      data,
    };
    if (publishDate) input.publishFrom = publishDate;
    return { ok: true, key, input, issues };
  });
}
