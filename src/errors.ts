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
  GW_BODY_EMPTY: { status: 400, zh: '请求体为空', en: 'Request body is empty' },
  GW_BATCH_EMPTY: { status: 422, zh: '批次中没有记录', en: 'The batch contains no records' },
  GW_BATCH_TOO_LARGE: { status: 413, zh: '批次记录数超过上限', en: 'The batch has more records than allowed' },
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

  // dependencies and internals (9xx)
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

  constructor(
    code: ErrorCode,
    opts: { zh?: string; en?: string; errors?: FieldError[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(opts.en ?? ERRORS[code].en, { cause: opts.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.detailZh = opts.zh;
    this.detailEn = opts.en;
    this.errors = opts.errors;
    this.headers = opts.headers;
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
  return problem;
}
