/**
 * The HTTP headers of the partner API in the OpenAPI document: request headers the gateway reads
 * (components.parameters; `Authorization` is the security scheme, see ./security.ts) and response
 * headers it sets (components.headers).
 */

/** Request headers, by component name. */
export const HEADER_PARAMETERS = {
  ContentDigest: {
    name: 'Content-Digest',
    in: 'header',
    required: true,
    description:
      'RFC 9530 digest of the exact body bytes, `sha-256=:<base64>:`; the same value must be the token\'s `cdg` claim. ' +
      'Missing: 401 `GW_AUTH_DIGEST_MISSING`; not matching the body or the claim: 401 `GW_AUTH_DIGEST_MISMATCH`.',
    schema: { type: 'string', pattern: 'sha-256=:[A-Za-z0-9+/]{43}=:' },
    example: 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:',
  },
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'Makes the push safe to repeat: the first 200 answer is stored with the body\'s SHA-256 (for `idempotency.ttlHours`, 24) and ' +
      'replayed for the same key and body (header `idempotent-replayed: true`); the same key with another body is 409 ' +
      '`GW_IDEMPOTENCY_KEY_REUSED`; a key that is not 1–200 visible ASCII characters is 400 `GW_IDEMPOTENCY_KEY_INVALID`.',
    schema: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7e]{1,200}$' },
  },
  RequestPurpose: {
    name: 'X-Request-Purpose',
    in: 'header',
    required: false,
    description:
      'Why the caller asks (e.g. `bidding:ZB-2024-001`), 1–200 characters without control characters, percent-encoded UTF-8 allowed; ' +
      'written to the audit log. Subject queries and checks need a purpose: this header or the token\'s `purpose` claim ' +
      '(both given and different: 401 `GW_AUTH_REQUEST_MISMATCH`).',
    schema: { type: 'string', minLength: 1 },
    example: 'bidding:ZB-2024-001',
  },
  AcceptLanguage: {
    name: 'Accept-Language',
    in: 'header',
    required: false,
    description: 'The language of problem titles and details: Chinese unless English is preferred (higher q, or first at equal q).',
    schema: { type: 'string' },
    example: 'en, zh-CN;q=0.8',
  },
} as const;

export type HeaderParameter = keyof typeof HEADER_PARAMETERS;

export const headerParameterRef = (name: HeaderParameter) => ({ $ref: `#/components/parameters/${name}` });

/** Response headers, by their header name. */
export const RESPONSE_HEADERS = {
  'X-Response-Signature': {
    description:
      'The gateway\'s signature over the exact response bytes: a compact JWS with a detached payload (RFC 7515 Appendix F, ' +
      '`<protected>..<signature>`); insert base64url(body) between the dots and verify with /.well-known/jwks.json. The ' +
      'protected header carries `kid` and the request token\'s `jti` and `iat`. Every /v1 answer, refusals included, carries it ' +
      'whenever partner authentication is on (`auth.enabled`, always outside local development).',
    schema: { type: 'string', pattern: '^[A-Za-z0-9_-]+\\.\\.[A-Za-z0-9_-]+$' },
  },
  'Content-Language': {
    description: 'The language of a problem\'s title and detail: `zh-CN` or `en`.',
    schema: { type: 'string', enum: ['zh-CN', 'en'] },
  },
  'Retry-After': {
    description: 'Seconds to wait before trying again (rate limit: until the partner\'s window ends; database unavailable: 5).',
    schema: { type: 'integer', minimum: 0 },
  },
  'Idempotent-Replayed': {
    description: '`true` when the answer is the stored answer to an earlier request with the same Idempotency-Key and body.',
    schema: { type: 'string', enum: ['true'] },
  },
  Location: {
    description: 'Where the run shows: the connector\'s run history.',
    schema: { type: 'string' },
  },
  'Content-Disposition': {
    description: 'For CSV: an attachment with the report\'s file name.',
    schema: { type: 'string' },
  },
  'Cache-Control': {
    description: 'The key set may be cached for five minutes; fetch it again on an unknown `kid`.',
    schema: { type: 'string' },
  },
} as const;

export type ResponseHeader = keyof typeof RESPONSE_HEADERS;

export const responseHeaderRef = (name: ResponseHeader) => ({ $ref: `#/components/headers/${name}` });
