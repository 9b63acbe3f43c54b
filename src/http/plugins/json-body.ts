/**
 * JSON bodies and route schemas, for the whole application: a JSON body is kept as raw bytes (for the
 * content digest and the audit row) and parsed strictly — valid UTF-8 (400 GW_BODY_INVALID_UTF8, never
 * silently replaced by U+FFFD), valid JSON, and unless the route checks each item itself, text without
 * control characters or unpaired surrogates (400 GW_REQUEST_INVALID naming the field). Route schemas
 * are draft 2020-12: query strings and path parameters arrive as text and are coerced; JSON bodies are
 * checked as sent, never coerced.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import fp from 'fastify-plugin';
import { GatewayError } from '../../errors.js';
import { addIdentifierFormats } from '../../validation/formats.js';
import { textFaults } from '../../validation/text.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** the route checks the text of each item itself (a batch: one bad item is rejected, the others stored) */
    textCheckedPerItem?: boolean;
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** JSON is UTF-8 (RFC 8259): a charset parameter, if any, must say so. */
function assertUtf8Charset(contentType: string | undefined): void {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new GatewayError('GW_BODY_UNSUPPORTED_MEDIA_TYPE', { zh: `JSON 须为 UTF-8 编码，不支持 charset=${charset.slice(0, 40)}`, en: `JSON must be UTF-8; charset=${charset.slice(0, 40)} is not supported` });
  }
}

function parseJsonBody(raw: Buffer, textCheckedPerItem: boolean): unknown {
  if (raw.length === 0) throw new GatewayError('GW_BODY_EMPTY');
  let text: string;
  try {
    text = UTF8.decode(raw);
  } catch {
    throw new GatewayError('GW_BODY_INVALID_UTF8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new GatewayError('GW_BODY_MALFORMED_JSON', {
      zh: `JSON 解析失败：${(err as Error).message}`,
      en: `JSON parse error: ${(err as Error).message}`,
    });
  }
  const faults = textCheckedPerItem ? [] : textFaults(parsed);
  if (faults.length) throw new GatewayError('GW_REQUEST_INVALID', { errors: faults });
  return parsed;
}

export const jsonBody = fp(async (app) => {
  const paramsAjv = new Ajv2020({ coerceTypes: 'array', useDefaults: true, allErrors: true, strict: false });
  const bodyAjv = new Ajv2020({ useDefaults: true, allErrors: true, strict: false });
  addIdentifierFormats(paramsAjv);
  addIdentifierFormats(bodyAjv);
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : paramsAjv).compile(schema));

  app.decorateRequest('principal', null);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(/^application\/([a-z0-9.+-]+\+)?json(\s*;.*)?$/i, { parseAs: 'buffer' }, (request, body, done) => {
    const raw = body as Buffer;
    request.rawBody = raw;
    try {
      assertUtf8Charset(request.headers['content-type']);
      done(null, parseJsonBody(raw, request.routeOptions.config.textCheckedPerItem === true));
    } catch (err) {
      done(err as GatewayError, undefined);
    }
  });
}, { name: 'json-body', fastify: '5.x' });
