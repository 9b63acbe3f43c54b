/**
 * The one error table. Every refusal the gateway gives carries a stable `code` from here, an HTTP
 * status and a title in Chinese and English. Answers are RFC 9457 problem+json:
 * `{ type, title, status, detail, code, errors? }`, with `type` = `urn:credit-gateway:problem:<code>`.
 */

export interface ErrorSpec {
  status: number;
  zh: string;
  en: string;
}

export const ERRORS = {
  // request shape (1xx)
  GW_BODY_MALFORMED_JSON: { status: 400, zh: '请求体不是合法的 JSON', en: 'Request body is not valid JSON' },
  GW_BODY_UNSUPPORTED_MEDIA_TYPE: { status: 415, zh: '不支持的内容类型，须为 application/json', en: 'Unsupported content type; send application/json' },
  GW_BODY_TOO_LARGE: { status: 413, zh: '请求体超过大小上限', en: 'Request body exceeds the size limit' },
  GW_BODY_INVALID_UTF8: { status: 400, zh: '请求体不是合法的 UTF-8 编码', en: 'Request body is not valid UTF-8' },
  GW_BODY_EMPTY: { status: 400, zh: '请求体为空', en: 'Request body is empty' },
  GW_BATCH_EMPTY: { status: 422, zh: '批次中没有记录', en: 'The batch contains no records' },
  GW_BATCH_TOO_LARGE: { status: 413, zh: '批次记录数超过上限', en: 'The batch has more records than allowed' },
  GW_URL_TOO_LONG: { status: 414, zh: '请求路径过长', en: 'The request path is too long' },
  GW_REQUEST_INVALID: { status: 400, zh: '请求参数不合法', en: 'Request parameters are invalid' },
  GW_IDEMPOTENCY_KEY_REUSED: { status: 409, zh: '幂等键已用于不同的请求体', en: 'Idempotency-Key was already used with a different body' },
  GW_IDEMPOTENCY_KEY_INVALID: { status: 400, zh: '幂等键格式不合法', en: 'Idempotency-Key is malformed' },
  GW_CURSOR_INVALID: { status: 400, zh: '游标不合法或已损坏', en: 'The cursor is invalid or corrupted' },

  // identifiers and records (2xx)
  GW_USCC_INVALID: { status: 400, zh: '统一社会信用代码不合法', en: 'Unified social credit code is invalid' },
  GW_RECORD_INVALID: { status: 422, zh: '记录不符合数据规范', en: 'Record does not conform to the schema' },
  GW_RECORD_NOT_FOUND: { status: 404, zh: '记录不存在', en: 'Record not found' },
  GW_SCHEMA_NOT_FOUND: { status: 404, zh: '数据规范不存在', en: 'Schema not found' },
  GW_ROUTE_NOT_FOUND: { status: 404, zh: '接口不存在', en: 'No such endpoint' },
  GW_METHOD_NOT_ALLOWED: { status: 405, zh: '不支持的请求方法', en: 'Method not allowed' },

  // partner authentication and authorisation (src/auth); messages name the rule, never key material
  GW_AUTH_TOKEN_MISSING: { status: 401, zh: '缺少访问令牌（Authorization: Bearer）', en: 'Missing access token (Authorization: Bearer)' },
  GW_AUTH_TOKEN_MALFORMED: { status: 401, zh: '访问令牌格式不正确', en: 'The access token is malformed' },
  GW_AUTH_ALG_NOT_ALLOWED: { status: 401, zh: '访问令牌的签名算法不被允许', en: 'The token signature algorithm is not allowed' },
  GW_AUTH_KEY_UNKNOWN: { status: 401, zh: '找不到与令牌 kid 对应的合作方公钥', en: "No registered partner key matches the token's kid" },
  GW_AUTH_SIGNATURE_INVALID: { status: 401, zh: '访问令牌签名无效', en: 'The token signature is invalid' },
  GW_AUTH_ISSUER_UNKNOWN: { status: 401, zh: '令牌签发方不是已登记的合作方', en: 'The token issuer is not a registered partner' },
  GW_AUTH_AUDIENCE_INVALID: { status: 401, zh: '令牌的受众（aud）不是本网关', en: 'The token audience (aud) is not this gateway' },
  GW_AUTH_TOKEN_EXPIRED: { status: 401, zh: '访问令牌已过期', en: 'The access token has expired' },
  GW_AUTH_TOKEN_NOT_YET_VALID: { status: 401, zh: '访问令牌尚未生效', en: 'The access token is not yet valid' },
  GW_AUTH_CLAIMS_INVALID: { status: 401, zh: '访问令牌的声明不完整或不合规', en: 'The token claims are missing or out of bounds' },
  GW_AUTH_TOKEN_REPLAYED: { status: 401, zh: '访问令牌已使用过（jti 重复）', en: 'The access token was already used (jti replay)' },
  GW_AUTH_REQUEST_MISMATCH: { status: 401, zh: '令牌绑定的请求方法或地址与本请求不符', en: 'The token is bound to a different method or URL' },
  GW_AUTH_DIGEST_MISSING: { status: 401, zh: '带请求体的请求须发送 Content-Digest 并在令牌 cdg 中声明', en: 'A request with a body must send Content-Digest and declare it in the cdg claim' },
  GW_AUTH_DIGEST_MISMATCH: { status: 401, zh: '请求体摘要与 Content-Digest 或令牌 cdg 不符', en: 'The body digest does not match Content-Digest or the cdg claim' },
  GW_AUTH_KEYS_UNAVAILABLE: { status: 503, zh: '暂时无法获取合作方公钥', en: "The partner's public keys cannot be fetched right now" },
  GW_AUTH_ADDRESS_NOT_ALLOWED: { status: 403, zh: '请求来源地址不在合作方允许的范围内', en: "The client address is outside the partner's allowed networks" },
  GW_AUTH_SCOPE_MISSING: { status: 403, zh: '合作方未被授予此接口所需的权限', en: 'The partner lacks the scope this endpoint requires' },
  GW_AUTH_ROUTE_NOT_DECLARED: { status: 403, zh: '此接口未声明访问权限，默认拒绝', en: 'This endpoint declares no scope and is denied by default' },
  GW_AUTH_GRANT_MISSING: { status: 403, zh: '合作方无权写入这些类别或地区的记录', en: 'The partner may not write records of these categories or regions' },
  GW_AUTH_SOURCE_NOT_OWNED: { status: 403, zh: '合作方只能以登记给它的来源系统写入记录', en: 'The partner may write only under the source systems registered to it' },
  GW_AUTH_PURPOSE_REQUIRED: { status: 403, zh: '主体查询须说明用途（X-Request-Purpose 或令牌 purpose）', en: 'A subject query must state its purpose (X-Request-Purpose header or purpose claim)' },
  GW_AUTH_RATE_LIMITED: { status: 429, zh: '请求过于频繁，超过合作方限额', en: "Too many requests: over the partner's rate limit" },

  // record lifecycle: objections, repairs, checks (src/lifecycle, src/routes/objections|repairs|checks)
  GW_TRANSITION_NOT_ALLOWED: { status: 409, zh: '记录当前状态不允许此操作', en: 'The record\'s current status does not allow this change' },
  GW_REPAIR_TOO_EARLY: { status: 422, zh: '尚未到最早可申请信用修复日期', en: 'The earliest credit-repair date has not been reached' },
  GW_REPAIR_NOT_APPLICABLE: { status: 422, zh: '只有负面记录可以申请信用修复', en: 'Only negative records can be repaired' },
  GW_OBJECTION_NOT_FOUND: { status: 404, zh: '异议不存在', en: 'Objection not found' },
  GW_OBJECTION_ALREADY_DECIDED: { status: 409, zh: '异议已处理完毕', en: 'The objection has already been decided' },
  GW_REPAIR_NOT_FOUND: { status: 404, zh: '信用修复申请不存在', en: 'Repair request not found' },
  GW_REPAIR_ALREADY_DECIDED: { status: 409, zh: '信用修复申请已处理完毕', en: 'The repair request has already been decided' },
  GW_CHECK_PURPOSE_REQUIRED: { status: 403, zh: '联合惩戒核查须说明用途（X-Request-Purpose 或 purpose）', en: 'A check must state its purpose (X-Request-Purpose header or purpose field)' },
  GW_CHECK_TOO_MANY_CODES: { status: 413, zh: '一次核查的代码数超过上限', en: 'Too many codes in one check' },

  // monitoring reports and the operator console (src/monitoring, src/console, src/routes/reports|alerts|console)
  GW_REPORT_PERIOD_INVALID: { status: 400, zh: '报告期不合法，应为 2026Q3、2026-07 或 2026 形式', en: 'Invalid report period; use the form 2026Q3, 2026-07 or 2026' },
  GW_REPORT_PERIOD_NOT_STARTED: { status: 422, zh: '报告期尚未开始', en: 'The report period has not started yet' },
  GW_CONSOLE_NO_OPERATORS: { status: 403, zh: '未配置运维人员账号，控制台不可登录', en: 'No console operator is configured; sign-in is disabled' },
  GW_CONSOLE_SIGNIN_FAILED: { status: 401, zh: '用户名或密码错误', en: 'Wrong username or password' },
  GW_CONSOLE_SIGNIN_THROTTLED: { status: 429, zh: '登录失败次数过多，请稍后再试', en: 'Too many failed sign-ins; try again later' },
  GW_CONSOLE_CSRF_REFUSED: { status: 403, zh: '跨站请求被拒绝：须来自本控制台页面并携带 X-CSRF-Token', en: 'Cross-site request refused: it must come from the console page and carry X-CSRF-Token' },
  GW_CONSOLE_SIGNIN_REQUIRED: { status: 401, zh: '请先登录运维控制台', en: 'Sign in to the operator console first' },
  GW_CONSOLE_CONNECTORS_UNAVAILABLE: { status: 503, zh: '采集器模块不可用', en: 'The connectors module is not available' },

  // connectors (4xx)
  GW_CONNECTOR_NOT_FOUND: { status: 404, zh: '采集器不存在', en: 'No such connector' },
  GW_CONNECTOR_DISABLED: { status: 409, zh: '采集器未启用', en: 'The connector is disabled' },
  GW_CONNECTOR_BUSY: { status: 409, zh: '采集器正在运行', en: 'The connector is already running' },

  // delivery to platforms (4xx)
  GW_DELIVERY_NOT_FOUND: { status: 404, zh: '该记录尚未向此目的地交付过', en: 'The record has not been delivered to this destination' },
  GW_DELIVERY_EVENT_GONE: { status: 409, zh: '上次交付的事件无法再生成（目的地已不在配置中，或其记录版本不存在），无法重新交付', en: 'The event last delivered can no longer be rendered (its destination is no longer configured, or its record version is not stored) and cannot be delivered again' },

  // file uploads (src/uploads, src/routes/uploads): a refused file stores nothing
  GW_UPLOAD_TYPE_UNSUPPORTED: { status: 415, zh: '上传文件须为 XLSX（application/vnd.openxmlformats-officedocument.spreadsheetml.sheet）或 CSV（text/csv）', en: 'An upload must be XLSX (application/vnd.openxmlformats-officedocument.spreadsheetml.sheet) or CSV (text/csv)' },
  GW_UPLOAD_TYPE_MISMATCH: { status: 415, zh: '文件内容与其声明的类型不符', en: 'The file content is not what its declared type says' },
  GW_UPLOAD_ZIP_INVALID: { status: 422, zh: 'XLSX 文件的压缩包结构损坏或不受支持', en: 'The XLSX zip structure is damaged or not supported' },
  GW_UPLOAD_ZIP_BOMB: { status: 422, zh: 'XLSX 文件解压后过大或压缩比异常（疑似压缩炸弹）', en: 'The XLSX file inflates too much or at an abnormal ratio (zip bomb)' },
  GW_UPLOAD_XML_ENTITY: { status: 422, zh: 'XLSX 文件含 DOCTYPE 或实体声明，已拒收', en: 'The XLSX file contains a DOCTYPE or entity declaration and is refused' },
  GW_UPLOAD_CSV_INVALID: { status: 422, zh: 'CSV 文件无法解析（引号不成对等）', en: 'The CSV file cannot be parsed (unbalanced quotes or the like)' },
  GW_UPLOAD_SHEET_NOT_FOUND: { status: 422, zh: '文件中没有带本类别表头的工作表', en: 'No sheet in the file has the headings of this category' },
  GW_UPLOAD_MERGED_HEADER: { status: 422, zh: '表头含合并单元格，无法对应字段', en: 'The heading rows contain merged cells and cannot be matched to fields' },
  GW_UPLOAD_TOO_MANY_ROWS: { status: 413, zh: '文件行数超过上限', en: 'The file has more rows than allowed' },
  GW_UPLOAD_NOT_FOUND: { status: 404, zh: '上传记录不存在', en: 'No such upload' },
  GW_UPLOAD_NOT_FINISHED: { status: 409, zh: '上传尚未处理完毕，暂无回执文件', en: 'The upload is not finished; its feedback file is not ready' },

  // dependencies and internals (9xx)
  GW_AUDIT_UNAVAILABLE: { status: 503, zh: '审计日志无法写入，请求未完成', en: 'The audit log cannot be written, so the request failed' },
  GW_STORE_UNAVAILABLE: { status: 503, zh: '数据库暂不可用', en: 'The database is unavailable' },
  GW_SHUTTING_DOWN: { status: 503, zh: '网关正在停止', en: 'The gateway is shutting down' },
  GW_INTERNAL: { status: 500, zh: '网关内部错误', en: 'Internal gateway error' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** One precise finding about one place in the input: which field (JSON pointer), which rule, in both languages. */
export interface FieldError {
  pointer: string;
  rule: string;
  zh: string;
  en: string;
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detailZh: string | undefined;
  readonly detailEn: string | undefined;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string> | undefined;
  /** extra members of the problem document (RFC 9457 extensions), e.g. the transitions allowed instead */
  readonly extensions: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    opts: {
      zh?: string; en?: string; errors?: FieldError[]; headers?: Record<string, string>; extensions?: Record<string, unknown>; cause?: unknown;
    } = {},
  ) {
    super(opts.en ?? ERRORS[code].en, { cause: opts.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.detailZh = opts.zh;
    this.detailEn = opts.en;
    this.errors = opts.errors;
    this.headers = opts.headers;
    this.extensions = opts.extensions;
  }
}

export type Language = 'zh' | 'en';

/** Picks the answer language from Accept-Language: English only when English is preferred over Chinese. */
export function pickLanguage(acceptLanguage: string | undefined): Language {
  if (!acceptLanguage) return 'zh';
  const ranked = acceptLanguage
    .split(',')
    .map((part) => {
      const [tag = '', ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag, q: q ? Number(q.slice(2)) || 0 : 1 };
    })
    .filter((entry) => entry.tag.startsWith('zh') || entry.tag.startsWith('en'))
    .sort((a, b) => b.q - a.q);
  return ranked[0]?.tag.startsWith('en') ? 'en' : 'zh';
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail?: string;
  errors?: Array<{ pointer: string; rule: string; message: string; zh: string; en: string }>;
  instance?: string;
  [extension: string]: unknown;
}

export function toProblem(err: GatewayError, lang: Language, instance?: string): Problem {
  const spec = ERRORS[err.code];
  const detail = lang === 'en' ? err.detailEn : err.detailZh ?? err.detailEn;
  const problem: Problem = {
    type: `urn:credit-gateway:problem:${err.code}`,
    title: lang === 'en' ? spec.en : spec.zh,
    status: spec.status,
    code: err.code,
  };
  if (detail) problem.detail = detail;
  if (err.errors) problem.errors = err.errors.map((e) => ({ ...e, message: lang === 'en' ? e.en : e.zh }));
  if (instance) problem.instance = instance;
  return err.extensions ? { ...err.extensions, ...problem } : problem;
}
