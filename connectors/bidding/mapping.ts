/**
 * 公共资源交易 不良行为记录 (HTML tables) → bidding_misconduct records. The page parser (parse.ts)
 * turns each table row into an object keyed by the column headings; this maps those headings.
 */
import type { RecordInput } from '../../src/domain/record.js';
import { checkUscc } from '../../src/domain/uscc.js';
import type { FieldError } from '../../src/errors.js';
import { badDate, fieldError, isoDate, isRow, missing, text, unknownCode, unknownFields } from '../../src/connectors/mapping-helpers.js';
import type { MapEnv, MapResult } from '../../src/connectors/types.js';

/** Column headings as the trading centres publish them ("序号" is the running number, not kept). */
export const COLUMNS = {
  项目名称: 'projectName',
  项目编号: 'projectCode',
  当事人: 'party',
  统一社会信用代码: 'uscc',
  当事人类型: 'partyRole',
  不良行为: 'behaviour',
  处理决定: 'handlingDecision',
  处理文号: 'decisionNumber',
  处理机关: 'decisionAuthority',
  处理日期: 'decisionDate',
  公示期限: 'publishPeriod',
  交易中心: 'tradingCenter',
} as const;
const KNOWN = new Set([...Object.keys(COLUMNS), '序号']);
const ROLES = ['招标人', '投标人', '招标代理机构', '评标专家', '其他'];

export function mapBiddingRow(raw: unknown, env: MapEnv): MapResult[] {
  if (!isRow(raw)) return [{ ok: false, errors: [fieldError('', 'source.row_shape', '来源行不是表格行', 'source row is not a table row')], issues: [] }];
  const row = raw;
  const issues = unknownFields(row, KNOWN);
  const errors: FieldError[] = [];
  const need = (col: string): string => {
    const v = text(row, col);
    if (v === undefined) errors.push(missing(col, col));
    return v ?? '';
  };
  const party = need('当事人');
  const decisionNumber = text(row, '处理文号');
  const code = need('统一社会信用代码');
  const key = decisionNumber && (code || party) ? `${decisionNumber}|${code || party}` : undefined;
  const role = need('当事人类型');
  if (role && !ROLES.includes(role)) {
    issues.push({ kind: 'unknown_code', field: '当事人类型', value: role });
    errors.push(unknownCode('当事人类型', role, ROLES));
  }
  const data: Record<string, unknown> = {
    projectName: need('项目名称'),
    party,
    partyRole: role,
    behaviour: need('不良行为'),
    handlingDecision: need('处理决定'),
    decisionAuthority: need('处理机关'),
  };
  const decisionDate = isoDate(row['处理日期']);
  if (!decisionDate) errors.push(text(row, '处理日期') ? badDate('处理日期', row['处理日期']) : missing('处理日期', '处理日期'));
  else data.decisionDate = decisionDate;
  for (const [col, field] of [['项目编号', 'projectCode'], ['处理文号', 'decisionNumber'], ['交易中心', 'tradingCenter']] as const) {
    const v = text(row, col);
    if (v) data[field] = v;
  }
  const period = text(row, '公示期限');
  if (period) {
    // "2024-01-05至2024-07-04" (also 至 / ~ / - between two dates)
    const m = /^(.+?)\s*(?:至|~|～|—)\s*(.+)$/.exec(period);
    const from = m ? isoDate(m[1]) : undefined;
    const until = m ? isoDate(m[2]) : undefined;
    if (!from || !until) errors.push(fieldError('公示期限', 'source.period', `公示期限“${period}”无法识别`, `unreadable announcement period "${period}"`));
    else { data.publishFrom = from; data.publishUntil = until; }
  }
  let uscc: string | undefined;
  if (code) {
    const checked = checkUscc(code);
    if (checked.ok) uscc = checked.code;
    else errors.push(fieldError('统一社会信用代码', 'source.uscc', `统一社会信用代码“${code}”不合法`, `USCC "${code}" is invalid`));
  }
  if (!decisionNumber) errors.push(missing('处理文号', '处理文号'));
  if (errors.length || !key || !uscc) return [{ ok: false, ...(key ? { key } : {}), errors, issues }];
  const input: RecordInput = {
    category: 'bidding_misconduct',
    subject: { name: party, uscc },
    source: { system: env.system, key, fetchedAt: env.fetchedAt },
    decidedAt: decisionDate!,
    data,
  };
  if (data.publishFrom) input.publishFrom = data.publishFrom as string;
  if (data.publishUntil) input.publishUntil = data.publishUntil as string;
  return [{ ok: true, key, input, issues }];
}
