/** Turns any thrown error into an RFC 9457 problem+json answer with a stable code. */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError, pickLanguage, toProblem, type ErrorCode } from '../errors.js';
import { isStoreUnavailable } from '../store/db.js';
import { describeAjvErrors } from '../validation/messages.js';

/** what a 503 for an unavailable database tells the client to wait before trying again */
const STORE_RETRY_AFTER_SECONDS = 5;

/** fastify's own error codes and the gateway code each one becomes. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'GW_BODY_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'GW_REQUEST_INVALID',
  FST_ERR_CTP_BODY_TOO_LARGE: 'GW_BODY_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'GW_BODY_EMPTY',
  FST_ERR_CTP_INVALID_JSON_BODY: 'GW_BODY_MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_TYPE: 'GW_BODY_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_TYPE: 'GW_BODY_UNSUPPORTED_MEDIA_TYPE',
};

export function asGatewayError(err: FastifyError | Error): GatewayError {
  if (err instanceof GatewayError) return err;
  const fe = err as FastifyError & { validation?: Parameters<typeof describeAjvErrors>[0]; validationContext?: string };
  if (fe.validation) {
    const prefix = fe.validationContext === 'querystring' ? '/query' : fe.validationContext === 'params' ? '/path' : '';
    return new GatewayError('GW_REQUEST_INVALID', { errors: describeAjvErrors(fe.validation, undefined, prefix) });
  }
  const mapped = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped) return new GatewayError(mapped, { en: fe.message, cause: err });
  if (isStoreUnavailable(err)) {
    return new GatewayError('GW_STORE_UNAVAILABLE', { headers: { 'retry-after': String(STORE_RETRY_AFTER_SECONDS) }, cause: err });
  }
  if (fe.statusCode === 413) return new GatewayError('GW_BODY_TOO_LARGE', { cause: err });
  if (fe.statusCode === 415) return new GatewayError('GW_BODY_UNSUPPORTED_MEDIA_TYPE', { cause: err });
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new GatewayError('GW_REQUEST_INVALID', { en: fe.message, zh: fe.message, cause: err });
  }
  return new GatewayError('GW_INTERNAL', { cause: err });
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, err: GatewayError): FastifyReply {
  const lang = pickLanguage(request.headers['accept-language']);
  if (err.headers) reply.headers(err.headers);
  return reply
    .code(err.status)
    .header('content-language', lang === 'en' ? 'en' : 'zh-CN')
    .type('application/problem+json; charset=utf-8')
    .send(toProblem(err, lang, request.url.split('?')[0]));
}
