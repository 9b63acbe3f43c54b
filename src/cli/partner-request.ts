/**
 * npm run partner:request -- --key <private JWK file> [--url http://127.0.0.1:8080] [--audience credit-gateway]
 *     [--purpose bidding:ZB-2024-001] [--data '{"records":[...]}' | --data @batch.json] [--curl] METHOD PATH
 * Signs one request like a partner system would (JWT with htm/htu/cdg, Content-Digest), sends it,
 * checks the gateway's response signature, and prints the answer. --curl prints an equivalent curl
 * command instead of sending (the token is single-use and valid for 60 s).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { decodeJwt, type JSONWebKeySet, type JWK } from 'jose';
import { signRequest, type PartnerAlg } from '../client/sign-request.js';
import { gatewayKeySet, verifyResponseSignature } from '../client/verify-response.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    key: { type: 'string' },
    id: { type: 'string' },
    url: { type: 'string', default: 'http://127.0.0.1:8080' },
    audience: { type: 'string', default: 'credit-gateway' },
    purpose: { type: 'string' },
    data: { type: 'string' },
    curl: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  process.stderr.write(`partner:request: ${message}\n`);
  process.exit(2);
}

const [method = '', path = ''] = positionals;
if (!values.key || !method || !path.startsWith('/')) fail('usage: partner:request -- --key <file> [options] METHOD /v1/...');
const key = JSON.parse(readFileSync(values.key, 'utf8')) as JWK & { partnerId?: string };
const partnerId = values.id ?? key.partnerId;
if (!partnerId || !key.kid) fail('the key file needs kid and partnerId (or pass --id)');
const body = values.data === undefined ? undefined : values.data.startsWith('@') ? readFileSync(values.data.slice(1), 'utf8') : values.data;
const url = new URL(path, values.url);
const { partnerId: _id, ...privateJwk } = key;
const headers = await signRequest(
  { partnerId, privateKey: privateJwk, kid: key.kid, alg: (key.alg ?? 'ES256') as PartnerAlg, audience: values.audience! },
  { method: method.toUpperCase(), url, body, purpose: values.purpose },
);

if (values.curl) {
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const parts = ['curl', '-sS', '-i', '-X', method.toUpperCase(), quote(url.href), ...Object.entries(headers).flatMap(([k, v]) => ['-H', quote(`${k}: ${v}`)])];
  if (body !== undefined) parts.push('--data-binary', quote(body));
  process.stdout.write(parts.join(' ') + '\n');
  process.exit(0);
}

const res = await fetch(url, { method: method.toUpperCase(), headers, body });
const raw = Buffer.from(await res.arrayBuffer());
process.stdout.write(`HTTP ${res.status}\n`);
try {
  const jwks = (await (await fetch(new URL('/.well-known/jwks.json', values.url))).json()) as JSONWebKeySet;
  const { jti, iat } = decodeJwt(headers.authorization!.slice(7));
  const signed = await verifyResponseSignature(raw, res.headers.get('x-response-signature'), gatewayKeySet(jwks), { jti: jti!, iat: iat! });
  process.stdout.write(`response signature: valid (kid ${signed.kid}, jti ${signed.jti})\n`);
} catch (err) {
  process.stdout.write(`response signature: NOT VALID (${(err as Error).message})\n`);
  process.exitCode = 1;
}
const text = raw.toString('utf8');
try {
  process.stdout.write(JSON.stringify(JSON.parse(text), null, 2) + '\n');
} catch {
  process.stdout.write(text + '\n');
}
if (res.status >= 400) process.exitCode = 1;
