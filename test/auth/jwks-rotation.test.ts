/**
 * A partner rotates its keys through its jwks_uri (served here by a local HTTP server), and the
 * gateway follows without a restart: a new kid works at once (refetch on an unknown kid), a removed
 * key stops working once the cached set is refreshed.
 */
import { createServer, type Server } from 'node:http';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/client/sign-request.js';
import { authOverrides, makeKeyPair, makePartner, type TestPartner } from '../../src/dev/partner.js';
import { startTestGateway, type TestGateway } from '../support/env.js';

let gw: TestGateway;
let server: Server;
let published: JWK[] = [];
let fetches = 0;
let partner: TestPartner;

beforeAll(async () => {
  partner = await makePartner({ scopes: ['records:read'] });
  published = [partner.publicJwk];
  server = createServer((_req, res) => {
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const { jwks: _inline, ...entry } = partner.entry;
  gw = await startTestGateway(authOverrides([{ ...entry, jwksUri: `http://127.0.0.1:${port}/jwks.json` }], {
    jwksCacheSeconds: 1,
    jwksCooldownSeconds: 0,
  }));
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
  await new Promise((resolve) => server?.close(resolve));
});

describe('partner key rotation through jwks_uri', () => {
  it('takes a new key at once and drops a removed key, without a restart', async () => {
    const catalog = gw.url + '/v1/catalog';
    expect((await partner.signedFetch(catalog)).status).toBe(200);
    const fetchesBefore = fetches;

    // the partner publishes a second key and starts signing with it
    const next = await makeKeyPair('ES256', 'k-next');
    published = [partner.publicJwk, next.publicJwk];
    const signWithNext = async () => fetch(catalog, {
      headers: await signRequest(
        { partnerId: partner.id, privateKey: next.privateJwk, kid: 'k-next', alg: 'ES256', audience: gw.config.auth.audience },
        { method: 'GET', url: catalog },
      ),
    });
    expect((await signWithNext()).status).toBe(200);
    expect(fetches).toBeGreaterThan(fetchesBefore);

    // then withdraws the old key: it stops working once the cached set is refreshed (cache 1 s)
    published = [next.publicJwk];
    await expect.poll(async () => {
      const res = await partner.signedFetch(catalog);
      const body = (await res.json().catch(() => ({}))) as { code?: string };
      return { status: res.status, code: body.code };
    }, { timeout: 10_000, interval: 200, message: 'the withdrawn key was still accepted' }).toEqual({ status: 401, code: 'GW_AUTH_KEY_UNKNOWN' });
    expect((await signWithNext()).status).toBe(200);
  });
});
