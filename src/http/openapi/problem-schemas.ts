/**
 * Refusals in the OpenAPI document: the RFC 9457 `Problem` component (src/errors.ts `toProblem`), and
 * the error answers of one operation — one response per HTTP status, each naming the stable codes the
 * operation can answer with at that status (`x-error-codes`, the description, and `code` narrowed to
 * them in the schema).
 */
import { ERRORS, type ErrorCode } from '../../errors.js';
import { componentRef, type JsonSchema } from './schema-components.js';

const str = { type: 'string' } as const;

/** One field error of a problem: where (JSON pointer), which rule, and the message in the answer's language and in both. */
export const PROBLEM_FIELD_ERROR: JsonSchema = {
  type: 'object',
  required: ['pointer', 'rule', 'message', 'zh', 'en'],
  properties: {
    pointer: { type: 'string', description: 'JSON pointer into the body (`/records/3/subject/uscc`), or `/query/…`, `/path/…`' },
    rule: { type: 'string', description: 'the rule that failed, e.g. `uscc.check_digit`, `required`, `maxLength`' },
    message: { type: 'string', description: 'zh or en, as the answer language' },
    zh: str,
    en: str,
  },
};

const TRANSITION = {
  type: 'object',
  required: ['action', 'to', 'zh', 'en'],
  properties: { action: str, to: str, zh: str, en: str },
} as const;

/** The problem document; members after `instance` are the extensions some codes carry. */
export function problemSchema(): JsonSchema {
  return {
    type: 'object',
    description: 'RFC 9457 problem details. `title` and `detail` are Chinese unless Accept-Language prefers English (Content-Language says which).',
    required: ['type', 'title', 'status', 'code'],
    properties: {
      type: { type: 'string', pattern: '^urn:credit-gateway:problem:GW_[A-Z0-9_]+$', description: '`urn:credit-gateway:problem:<code>`' },
      title: str,
      status: { type: 'integer', minimum: 400, maximum: 599 },
      code: { type: 'string', enum: Object.keys(ERRORS), description: 'the stable error code (src/errors.ts)' },
      detail: str,
      errors: { type: 'array', items: componentRef('ProblemFieldError') },
      instance: { type: 'string', description: 'the request path' },
      recordId: { type: 'string', format: 'uuid', description: 'GW_TRANSITION_NOT_ALLOWED, GW_REPAIR_TOO_EARLY' },
      currentStatus: { type: 'string', description: 'GW_TRANSITION_NOT_ALLOWED: the record status now' },
      requestedAction: { type: 'string', description: 'GW_TRANSITION_NOT_ALLOWED: the lifecycle action refused' },
      allowedTransitions: { type: 'array', items: TRANSITION, description: 'GW_TRANSITION_NOT_ALLOWED: what is possible from the current status' },
      earliestRepairAt: { type: 'string', format: 'date', description: 'GW_REPAIR_TOO_EARLY: the first day a repair may be requested' },
      objection: { ...componentRef('Objection'), description: 'GW_OBJECTION_ALREADY_DECIDED: the objection as decided' },
      repair: { ...componentRef('Repair'), description: 'GW_REPAIR_ALREADY_DECIDED: the repair request as decided' },
    },
  };
}

/** The response headers of an error answer at `status`. */
function errorHeaders(status: number, signed: boolean): Record<string, unknown> {
  const headers: Record<string, unknown> = { 'Content-Language': { $ref: '#/components/headers/Content-Language' } };
  if (signed) headers['X-Response-Signature'] = { $ref: '#/components/headers/X-Response-Signature' };
  if (status === 429 || status === 503) headers['Retry-After'] = { $ref: '#/components/headers/Retry-After' };
  return headers;
}

/** The codes, grouped by their HTTP status, each group in ERRORS order. */
function byStatus(codes: Iterable<ErrorCode>): Map<number, ErrorCode[]> {
  const wanted = new Set(codes);
  const groups = new Map<number, ErrorCode[]>();
  for (const code of Object.keys(ERRORS) as ErrorCode[]) {
    if (!wanted.has(code)) continue;
    const status = ERRORS[code].status;
    groups.set(status, [...(groups.get(status) ?? []), code]);
  }
  return new Map([...groups].sort(([a], [b]) => a - b));
}

/** One response per status for `codes`; `signed`: a /v1 answer, carrying X-Response-Signature. */
export function errorResponses(codes: Iterable<ErrorCode>, signed: boolean): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [status, group] of byStatus(codes)) {
    responses[String(status)] = {
      description: group.map((code) => `\`${code}\` ${ERRORS[code].en}`).join('; '),
      'x-error-codes': group,
      headers: errorHeaders(status, signed),
      content: {
        'application/problem+json': {
          schema: { allOf: [componentRef('Problem')], properties: { code: { type: 'string', enum: group } } },
        },
      },
    };
  }
  return responses;
}
