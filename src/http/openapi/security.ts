/**
 * The partner token as the OpenAPI security scheme (src/auth/verify-token.ts, partner-auth.ts). Each
 * /v1 operation requires it with the route's scope as its role (OpenAPI 3.1 allows roles on any
 * scheme); a route that accepts any one of several scopes lists one requirement per scope.
 */
export const PARTNER_JWT_SCHEME = {
  type: 'http',
  scheme: 'bearer',
  bearerFormat: 'JWT',
  description: [
    'A single-use JWT the partner agency signs with its own private key for each request (`Authorization: Bearer <JWT>`, exactly one header).',
    '',
    '- header: `alg` ES256, PS256 or EdDSA (RS256 only where the registry allows it; never `none` or HS*), and the `kid` of a key registered for the agency;',
    '- `iss` = `sub` = the agency\'s USCC as registered; `aud` a single string equal to the gateway\'s `auth.audience` (an array is refused);',
    '- `iat`, `exp` (at most 300 s after `iat`; `iat` at most 10 s ahead), `jti` (1–200 characters, used once);',
    '- `htm` = the request method, `htu` = the request target exactly as sent: path and query, still percent-encoded, no scheme or host;',
    '- `cdg` = the `Content-Digest` header (RFC 9530 sha-256 of the body bytes) for a request with a body;',
    '- `purpose` (optional): the stated purpose, else the `X-Request-Purpose` header.',
    '',
    'Scopes come from the gateway\'s partner registry, not from the token; each operation names the scope it needs. ' +
      'Every answer is signed by the gateway (`X-Response-Signature`, keys at /.well-known/jwks.json). ' +
      'src/client/sign-request.ts signs a request in a few lines; any JOSE library will do.',
  ].join('\n'),
} as const;
