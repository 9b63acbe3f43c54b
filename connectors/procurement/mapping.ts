/**
 * 政府采购 (ccgp-style) → procurement_breach records, from two lists of the source:
 * the 严重违法失信行为记录名单 (suppliers) and purchasers' 合同违约 / 拖欠账款 records.
 */
import type { RecordInput } from '../../src/domain/record.js';
import { checkUscc } from '../../src/domain/uscc.js';
import type { FieldError } from '../../src/errors.js';
import {
  badDate, fieldError, isoDate, isRow, missing, numberOf, text, unknownCode, unknownFields, type SourceRow,
} from '../../src/connectors/mapping-helpers.js';
import type { MapEnv, MapResult, SourceIssue } from '../../src/connectors/types.js';

export type ProcurementList = 'serious' | 'defaults';

const SERIOUS_FIELDS = new Set(['jlbh', 'qymc', 'qydz', 'tyshxydm', 'sxqx', 'cfjg', 'cfyj', 'cfrq', 'gbrq', 'zfdw', 'jzqsrq', 'jzjzrq']);
const DEFAULT_FIELDS = new Set([
  'jlbh', 'wylx', 'cgr', 'cgrdm', 'xmmc', 'xmbh', 'htbh', 'htje', 'gysmc', 'gysdm', 'wyqx', 'qkje', 'ydfkrq', 'yqts', 'sfjj', 'jjrq', 'jlrq',
]);
const DEFAULT_TYPES: Record<string, 'contract_default' | 'payment_default'> = { 合同违约: 'contract_default', 拖欠账款: 'payment_default' };
const YES_NO: Record<string, boolean> = { 是: true, 否: false };

class RowReader {
  readonly errors: FieldError[] = [];
  constructor(private readonly row: SourceRow, readonly issues: SourceIssue[]) {}
  need(field: string, zh: string): string {
    const v = text(this.row, field);
    if (v === undefined) this.errors.push(missing(field, zh));
    return v ?? '';
  }
  optional(field: string): string | undefined {
    return text(this.row, field);
  }
  date(field: string, zh: string, required = true): string | undefined {
    const v = this.row[field];
    if (v === undefined || v === null || v === '') { if (required) this.errors.push(missing(field, zh)); return undefined; }
    const d = isoDate(v);
    if (!d) this.errors.push(badDate(field, v));
    return d;
  }
  amount(field: string, zh: string, required = false): number | undefined {
    const v = this.row[field];
    if (v === undefined || v === null || v === '') { if (required) this.errors.push(missing(field, zh)); return undefined; }
    const n = numberOf(v);
    if (n === undefined) this.errors.push(fieldError(field, 'source.number', `来源字段 ${field}（${zh}）不是数字：“${String(v)}”`, `source field ${field} (${zh}) is not a number: "${String(v)}"`));
    return n;
  }
  uscc(field: string, zh: string, required: boolean): string | undefined {
    const v = text(this.row, field);
    if (!v) { if (required) this.errors.push(missing(field, zh)); return undefined; }
    const checked = checkUscc(v);
    if (!checked.ok) {
      this.errors.push(fieldError(field, 'source.uscc', `来源字段 ${field}（${zh}）不是有效的统一社会信用代码：${checked.errors.map((e) => e.zh).join('；')}`, `source field ${field} (${zh}) is not a valid USCC: ${checked.errors.map((e) => e.en).join('; ')}`));
      return undefined;
    }
    return checked.code;
  }
  code<T>(field: string, zh: string, table: Record<string, T>): T | undefined {
    const v = this.need(field, zh);
    if (!v) return undefined;
    if (!(v in table)) {
      this.issues.push({ kind: 'unknown_code', field, value: v });
      this.errors.push(unknownCode(field, v, Object.keys(table)));
      return undefined;
    }
    return table[v];
  }
}

function fail(key: string | undefined, r: RowReader): MapResult[] {
  return [{ ok: false, ...(key ? { key } : {}), errors: r.errors, issues: r.issues }];
}

function mapSerious(row: SourceRow, env: MapEnv): MapResult[] {
  const r = new RowReader(row, unknownFields(row, SERIOUS_FIELDS));
  const id = r.need('jlbh', '记录编号');
  const key = id ? `serious|${id}` : undefined;
  const name = r.need('qymc', '企业名称');
  const uscc = r.uscc('tyshxydm', '统一社会信用代码', true);
  const data: Record<string, unknown> = {
    listType: 'serious_dishonesty',
    enterpriseName: name,
    behaviour: r.need('sxqx', '严重违法失信行为的具体情形'),
    penaltyResult: r.need('cfjg', '处罚结果'),
    penaltyBasis: r.need('cfyj', '处罚依据'),
    penaltyDate: r.date('cfrq', '处罚日期'),
    publishDate: r.date('gbrq', '公布日期'),
    enforcementAgency: r.need('zfdw', '执法单位'),
  };
  const address = r.optional('qydz');
  if (address) data.address = address;
  const banFrom = r.date('jzqsrq', '禁止参加政府采购活动起始日', false);
  const banUntil = r.date('jzjzrq', '禁止参加政府采购活动截止日', false);
  if (banFrom) data.banFrom = banFrom;
  if (banUntil) data.banUntil = banUntil;
  if (r.errors.length || !key || !uscc) return fail(key, r);
  const input: RecordInput = {
    category: 'procurement_breach',
    severity: 'severe',
    subject: { name, uscc },
    source: { system: env.system, key, fetchedAt: env.fetchedAt },
    decidedAt: data.penaltyDate as string,
    publishFrom: data.publishDate as string,
    data,
  };
  if (banUntil) input.publishUntil = banUntil;
  return [{ ok: true, key, input, issues: r.issues }];
}

function mapDefault(row: SourceRow, env: MapEnv): MapResult[] {
  const r = new RowReader(row, unknownFields(row, DEFAULT_FIELDS));
  const id = r.need('jlbh', '记录编号');
  const key = id ? `default|${id}` : undefined;
  const listType = r.code('wylx', '违约类型', DEFAULT_TYPES);
  const purchaser = r.need('cgr', '采购人');
  const uscc = r.uscc('cgrdm', '采购人统一社会信用代码', true);
  const resolved = r.code('sfjj', '是否已纠正/清偿', YES_NO);
  const data: Record<string, unknown> = {
    listType,
    purchaser,
    projectName: r.need('xmmc', '项目名称'),
    supplierName: r.need('gysmc', '供应商名称'),
    resolved,
  };
  const optionalText: Array<[string, string]> = [['xmbh', 'projectCode'], ['htbh', 'contractNumber'], ['wyqx', 'description']];
  for (const [from, to] of optionalText) { const v = r.optional(from); if (v) data[to] = v; }
  const contractAmount = r.amount('htje', '合同金额');
  if (contractAmount !== undefined) data.contractAmount = contractAmount;
  const supplierUscc = r.uscc('gysdm', '供应商统一社会信用代码', false);
  if (supplierUscc) data.supplierUscc = supplierUscc;
  const isPayment = listType === 'payment_default';
  const amountOverdue = r.amount('qkje', '逾期未付金额', isPayment);
  if (amountOverdue !== undefined) data.amountOverdue = amountOverdue;
  const dueDate = r.date('ydfkrq', '约定付款日期', isPayment);
  if (dueDate) data.dueDate = dueDate;
  const overdueDays = r.amount('yqts', '逾期天数');
  if (overdueDays !== undefined) data.overdueDays = overdueDays;
  if (listType === 'contract_default' && !data.description) r.errors.push(missing('wyqx', '违约或拖欠情形'));
  const resolvedAt = r.date('jjrq', '纠正/清偿日期', resolved === true);
  if (resolvedAt && resolved) data.resolvedAt = resolvedAt;
  const recordedAt = r.date('jlrq', '记录日期');
  if (r.errors.length || !key || !uscc || !listType) return fail(key, r);
  const input: RecordInput = {
    category: 'procurement_breach',
    severity: 'general',
    subject: { name: purchaser, uscc },
    source: { system: env.system, key, fetchedAt: env.fetchedAt },
    decidedAt: recordedAt!,
    data,
  };
  return [{ ok: true, key, input, issues: r.issues }];
}

export function mapProcurementRow(list: ProcurementList, raw: unknown, env: MapEnv): MapResult[] {
  if (!isRow(raw)) return [{ ok: false, errors: [fieldError('', 'source.row_shape', '来源行不是 JSON 对象', 'source row is not a JSON object')], issues: [] }];
  return list === 'serious' ? mapSerious(raw, env) : mapDefault(raw, env);
}
