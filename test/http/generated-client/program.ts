/**
 * A partner's program written only against the types openapi-typescript generates from the served
 * OpenAPI document (`credit-gateway-api`, mapped to the generated file by the tsconfig that
 * test/http/openapi-client.test.ts writes) and openapi-fetch, with a fetch that signs every request
 * as a partner agency does (src/client/sign-request.ts) and checks every answer's signature.
 *
 * It pushes one record, reads the subject's profile, runs a check, and asks for a record that does
 * not exist; it prints what it saw as one JSON object. Input: GENERATED_CLIENT_ENV (JSON, see Env).
 *
 * In the repository's own typecheck `credit-gateway-api` is a loose stand-in (./generated-api.d.ts);
 * the contract test type-checks this file strictly against the generated types.
 */
import { createHash, randomUUID } from 'node:crypto';
import { decodeJwt, type JSONWebKeySet, type JWK } from 'jose';
import createClient from 'openapi-fetch';
import type { components, paths } from 'credit-gateway-api';
import { signRequest, type PartnerAlg, type PartnerCredentials } from '../../../src/client/sign-request.js';
import { gatewayKeySet, verifyResponseSignature, type GatewayKeySet } from '../../../src/client/verify-response.js';

interface Env {
  baseUrl: string;
  partnerId: string;
  privateJwk: JWK;
  audience: string;
  /** a source system registered to the partner */
  sourceSystem: string;
  /** the subject of the pushed record, and a code with no records */
  uscc: string;
  cleanUscc: string;
  decidedAt: string;
}

type RecordItem = components['schemas']['RecordInputItem'];
type StoredRecord = components['schemas']['record'];
type CodeResult = components['schemas']['CheckAnswer']['results'][number];

const PURPOSE = encodeURIComponent('招标项目投标人资格审查 generated-client');

/** RFC 9530 Content-Digest of the body openapi-fetch will send (it serialises JSON bodies with JSON.stringify). */
const digestOf = (body: unknown) => `sha-256=:${createHash('sha256').update(JSON.stringify(body)).digest('base64')}:`;

/** A fetch that signs each request (method, target, body digest) and verifies the gateway's signature on each answer. */
function signingFetch(creds: PartnerCredentials, keys: GatewayKeySet): (request: Request) => Promise<Response> {
  return async (request) => {
    const body = request.body ? await request.text() : undefined;
    const signed = await signRequest(creds, { method: request.method, url: request.url, body });
    const headers = new Headers(request.headers);
    for (const [name, value] of Object.entries(signed)) headers.set(name, value);
    const res = await fetch(request.url, { method: request.method, headers, body });
    const raw = new Uint8Array(await res.arrayBuffer());
    const { jti, iat } = decodeJwt(signed.authorization!.slice('Bearer '.length));
    await verifyResponseSignature(raw, res.headers.get('x-response-signature'), keys, { jti: jti!, iat: iat! });
    return new Response(raw, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

const SUBJECT_NAME = '生成客户端样例有限公司';

function dishonestDebtor(env: Env): RecordItem {
  const name = SUBJECT_NAME;
  return {
    category: 'dishonest_debtor',
    subject: { uscc: env.uscc, name, kind: 'enterprise' },
    source: { system: env.sourceSystem, key: `generated-client-${env.uscc}` },
    decidedAt: env.decidedAt,
    data: {
      name,
      partyType: '法人或其他组织',
      orgCode: env.uscc,
      caseNumber: '（2026）苏0583执1234号',
      court: '昆山市人民法院',
      publishDate: env.decidedAt,
      performance: '全部未履行',
    },
  };
}

async function main(env: Env): Promise<void> {
  const jwks = (await (await fetch(new URL('/.well-known/jwks.json', env.baseUrl))).json()) as JSONWebKeySet;
  const kid = env.privateJwk.kid!;
  const creds: PartnerCredentials = { partnerId: env.partnerId, privateKey: env.privateJwk, kid, alg: (env.privateJwk.alg ?? 'ES256') as PartnerAlg, audience: env.audience };
  const client = createClient<paths>({ baseUrl: env.baseUrl, fetch: signingFetch(creds, gatewayKeySet(jwks)) });

  const batch: components['schemas']['RecordBatch'] = { records: [dishonestDebtor(env)] };
  const pushed = await client.POST('/v1/records', {
    params: { header: { 'Content-Digest': digestOf(batch), 'Idempotency-Key': `generated-client-${randomUUID()}` } },
    body: batch,
  });
  const recordId = pushed.data?.results[0]?.recordId;

  const profile = await client.GET('/v1/subjects/{uscc}', { params: { path: { uscc: env.uscc }, header: { 'X-Request-Purpose': PURPOSE } } });

  const checkBody = { codes: [env.uscc, env.cleanUscc] };
  const check = await client.POST('/v1/checks', {
    params: { header: { 'Content-Digest': digestOf(checkBody), 'X-Request-Purpose': PURPOSE } },
    body: checkBody,
  });

  const missing = await client.GET('/v1/records/{recordId}', { params: { path: { recordId: randomUUID() } } });

  console.log(JSON.stringify({
    pushed: { status: pushed.response.status, summary: pushed.data?.summary, itemStatus: pushed.data?.results[0]?.status, recordId },
    profile: {
      status: profile.response.status,
      uscc: profile.data?.uscc,
      total: profile.data?.counts.total,
      negative: profile.data?.counts.byPolarity.negative,
      recordIds: profile.data?.records.map((r: StoredRecord) => r.recordId),
      subjectName: profile.data?.records[0]?.subject.name,
    },
    check: {
      status: check.response.status,
      summary: check.data?.summary,
      results: check.data?.results.map((r: CodeResult) => ({
        input: r.input, verdict: r.verdict, underJointPunishment: r.underJointPunishment, recordIds: r.records.map((x: CodeResult['records'][number]) => x.recordId),
      })),
    },
    missing: { status: missing.response.status, code: missing.error?.code },
  }));
}

await main(JSON.parse(process.env.GENERATED_CLIENT_ENV ?? '{}') as Env);
