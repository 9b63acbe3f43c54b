/**
 * Signed answers and the audit log on a real gateway: every /v1 answer carries a detached JWS that
 * verifies with /.well-known/jwks.json and fails on a changed byte; gateway key rotation keeps old
 * answers verifiable; every request, accepted or refused, leaves a hash-chained audit row; the
 * audit:verify command passes on an untouched log and names an edited or deleted row; a request
 * whose audit row cannot be written fails.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { decodeJwt, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { auditHash } from '../../src/auth/audit-chain.js';
import { checkpointFileOf, readCheckpoints } from '../../src/auth/audit-checkpoints.js';
import { GatewayKeys } from '../../src/auth/gateway-keys.js';
import { verifyAuditLog } from '../../src/auth/audit-verify.js';
import { readAuditPage } from '../../src/store/audit-repo.js';
import { writeConfigFile } from '../../src/dev/child-gateway.js';
import { gatewayKeySet, verifyResponseSignature } from '../../src/client/verify-response.js';
import { PartnerClient } from '../../src/client/partner-client.js';
import { syntheticUscc } from '../../src/domain/uscc.js';
import { REPO_ROOT } from '../../src/config/load.js';
import { sampleRecordInput } from '../../src/dev/sample-records.js';
import { authOverrides, makePartner, TEST_AUDIENCE, type TestPartner } from '../../src/dev/partner.js';
import { startTestGateway, type TestGateway } from '../support/env.js';

const run = promisify(execFile);
let gw: TestGateway;
let partner: TestPartner;
const url = (path: string) => gw.url + path;
const base64urlJson = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

async function jwks() {
  return gatewayKeySet((await (await fetch(url('/.well-known/jwks.json'))).json()) as JSONWebKeySet);
}

async function auditVerifyCommand(): Promise<{ code: number; out: string }> {
  // the test gateway's key directory, and so its checkpoint file
  const configFile = writeConfigFile({ auth: { audience: TEST_AUDIENCE, signingKeys: { dir: gw.config.auth.signingKeys.dir } } });
  try {
    const { stdout, stderr } = await run('npx', ['tsx', 'src/cli/audit-verify.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATABASE_URL: gw.db.url, CONFIG_FILE: configFile },
      timeout: 60_000,
    });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

beforeAll(async () => {
  partner = await makePartner({ scopes: ['records:write', 'records:read', 'subjects:read'] });
  gw = await startTestGateway(authOverrides([partner]));
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
});

describe('signed answers', () => {
  it('verify with the published JWKS, carry the request jti and iat, and fail on a changed byte', async () => {
    const headers = await partner.sign(url('/v1/catalog'));
    const res = await fetch(url('/v1/catalog'), { headers });
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    const signature = res.headers.get('x-response-signature');
    const { jti, iat } = decodeJwt(headers.authorization!.slice(7));
    const header = await verifyResponseSignature(bytes, signature, await jwks(), { jti: jti!, iat: iat! });
    expect(header).toMatchObject({ alg: 'ES256', jti, iat });

    const changed = Buffer.from(bytes);
    changed[10] = changed[10]! ^ 0x01;
    await expect(verifyResponseSignature(changed, signature, await jwks())).rejects.toThrow(/does not verify/);
    await expect(verifyResponseSignature(bytes, signature, await jwks(), { jti: 'another' })).rejects.toThrow(/jti/);
  });

  it('refusals are signed too', async () => {
    const res = await fetch(url('/v1/catalog'));
    expect(res.status).toBe(401);
    await verifyResponseSignature(Buffer.from(await res.arrayBuffer()), res.headers.get('x-response-signature'), await jwks());
  });

  it('the typed client signs requests and checks answers', async () => {
    const client = new PartnerClient({ baseUrl: gw.url, partnerId: partner.id, privateJwk: partner.privateJwk, audience: TEST_AUDIENCE });
    const pushed = await client.post<any>('/v1/records', { records: [sampleRecordInput('dishonest_debtor', 8100)] });
    expect(pushed.status).toBe(200);
    expect(pushed.body.summary.created).toBe(1);
    const profile = await client.get<any>(`/v1/subjects/${syntheticUscc(8100)}`, { purpose: '招投标:ZB-2024-001' });
    expect(profile.status).toBe(200);
    expect(profile.body.counts.total).toBe(1);
  });

  it('after a gateway key rotation, new answers use the new key and old answers still verify', async () => {
    const before = await partner.signedFetch(url('/v1/catalog'));
    const beforeBytes = Buffer.from(await before.arrayBuffer());
    const beforeSig = before.headers.get('x-response-signature');
    const oldKid = (JSON.parse(Buffer.from(beforeSig!.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;

    const newKid = await gw.app.partnerAuth!.keys.rotate();
    const published = (await (await fetch(url('/.well-known/jwks.json'))).json()) as JSONWebKeySet;
    expect(published.keys.map((k) => k.kid).sort()).toEqual([oldKid, newKid].sort());
    expect(published.keys.every((k) => !('d' in k))).toBe(true);

    const after = await partner.signedFetch(url('/v1/catalog'));
    const header = await verifyResponseSignature(Buffer.from(await after.arrayBuffer()), after.headers.get('x-response-signature'), await jwks());
    expect(header.kid).toBe(newKid);
    await verifyResponseSignature(beforeBytes, beforeSig, await jwks());
  });
});

describe('audit log', () => {
  it('has one row per /v1 request, accepted or refused, with partner, route, status, subjects, purpose and digests', async () => {
    const { rows: [{ n: before }] } = await gw.ctx.pool.query('SELECT count(*)::int AS n FROM audit_log');
    const uscc = syntheticUscc(8200);
    const ok = await partner.signedFetch(url(`/v1/subjects/${uscc}`), { purpose: 'bidding:ZB-8200' });
    const okBytes = Buffer.from(await ok.arrayBuffer());
    const refused = await fetch(url(`/v1/subjects/${uscc}`), { headers: { authorization: 'Bearer a.b.c' } });
    expect(refused.status).toBe(401);
    await fetch(url('/healthz')); // not /v1: no row
    const { rows } = await gw.ctx.pool.query('SELECT * FROM audit_log ORDER BY seq DESC LIMIT 2');
    expect(rows.length).toBe(2);
    const { rows: [{ n: after }] } = await gw.ctx.pool.query('SELECT count(*)::int AS n FROM audit_log');
    expect(after - before).toBe(2);
    const [refusedRow, okRow] = rows;
    expect(okRow).toMatchObject({
      partner_id: partner.id, route: '/v1/subjects/:uscc', method: 'GET', status: 200, error_code: null,
      subjects: [uscc], purpose: 'bidding:ZB-8200', client_addr: '127.0.0.1', request_digest: null,
    });
    const { createHash } = await import('node:crypto');
    expect(okRow.response_digest).toBe(`sha-256=:${createHash('sha256').update(okBytes).digest('base64')}:`);
    expect(okRow.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(refusedRow).toMatchObject({ partner_id: null, status: 401, error_code: 'GW_AUTH_TOKEN_MALFORMED', subjects: [uscc] });
  });

  it('a pushed batch records the subjects it touched and the request digest', async () => {
    const records = [sampleRecordInput('dishonest_debtor', 8300), sampleRecordInput('dishonest_debtor', 8301)];
    const body = JSON.stringify({ records });
    const res = await partner.signedFetch(url('/v1/records'), { method: 'POST', body });
    expect(res.status).toBe(200);
    const { rows: [row] } = await gw.ctx.pool.query('SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1');
    expect(row.subjects).toEqual(records.map((r) => r.subject.uscc).sort());
    const { contentDigestOf } = await import('../../src/auth/content-digest.js');
    expect(row.request_digest).toBe(contentDigestOf(body));
  });

  it('stores hostile text from a token (NUL, control characters, a lone surrogate) without failing anyone else in the batch', async () => {
    const hostileIss = `evil\u0000\u0007\ud800iss`;
    const forged = [
      base64urlJson({ alg: 'ES256', kid: 'k' }),
      base64urlJson({ iss: hostileIss, sub: hostileIss, jti: 'x\u0000y' }),
      'c2ln',
    ].join('.');
    const [hostile, ok] = await Promise.all([
      fetch(url('/v1/catalog'), { headers: { authorization: `Bearer ${forged}` } }),
      partner.signedFetch(url('/v1/catalog')),
    ]);
    expect([hostile.status, ok.status]).toEqual([401, 200]);
    const { rows } = await gw.ctx.pool.query(`SELECT claimed_iss FROM audit_log WHERE claimed_iss LIKE 'evil%'`);
    expect(rows).toEqual([{ claimed_iss: 'evil\ufffd\ufffd\ufffdiss' }]);
    expect((await verifyAuditLog(gw.ctx.pool)).finding).toBeNull();
  });

  it('a chain rebuilt whole passes the chain walk, but not the signed checkpoints kept outside the database', async () => {
    for (let i = 0; i < 3; i++) expect((await partner.signedFetch(url('/v1/catalog'))).status).toBe(200);
    await gw.app.partnerAuth!.checkpoints!.checkpoint();
    const file = checkpointFileOf(gw.config.auth);
    const keys = await GatewayKeys.verificationKeys(gw.config.auth.signingKeys.dir);
    const reading = await readCheckpoints(file, keys);
    if (!reading.ok) throw new Error(reading.message);
    const signedHead = reading.checkpoints.at(-1)!.seq;

    // Someone with write access edits the second-last row and re-hashes it, every row after it and the head.
    const rebuild = async (status: (original: number) => number) => {
      const client = await gw.ctx.pool.connect();
      try {
        const rows = await readAuditPage(client, signedHead - 2);
        let prev = rows[0]!.prevHash;
        for (const row of rows) {
          const changed = { ...row, status: row.seq === signedHead - 1 ? status(row.status) : row.status };
          const hash = auditHash(prev, row.seq, changed);
          await client.query('UPDATE audit_log SET status = $2, prev_hash = $3, hash = $4 WHERE seq = $1', [row.seq, changed.status, prev, hash]);
          prev = hash;
        }
        await client.query('UPDATE audit_chain_head SET hash = $1', [prev]);
      } finally {
        client.release();
      }
    };
    let original = 0;
    await rebuild((status) => {
      original = status;
      return 299;
    });
    expect((await verifyAuditLog(gw.ctx.pool)).finding).toBeNull(); // the chain alone cannot tell
    expect((await verifyAuditLog(gw.ctx.pool, reading.checkpoints)).finding).toMatchObject({ seq: signedHead, kind: 'rewritten' });
    const command = await auditVerifyCommand();
    expect(command.code).toBe(1);
    expect(command.out).toContain(`row ${signedHead} is not the row signed in the checkpoint`);

    await rebuild(() => original); // the original status back: the same hashes again
    expect((await verifyAuditLog(gw.ctx.pool, reading.checkpoints)).finding).toBeNull();

    // the checkpoint file itself: a line whose hash was edited no longer matches its signature
    const forged = `${file}.forged`;
    copyFileSync(file, forged);
    writeFileSync(forged, readFileSync(forged, 'utf8').replace(/"hash":"[0-9a-f]/, '"hash":"x'));
    expect(await readCheckpoints(forged, keys)).toMatchObject({ ok: false, line: 1 });
  });

  it('audit:verify passes on the untouched log, and names an edited row, then a deleted row', async () => {
    await gw.app.partnerAuth!.checkpoints!.checkpoint();
    const clean = await auditVerifyCommand();
    expect(clean.code, clean.out).toBe(0);
    expect(clean.out).toMatch(/audit log intact: \d+ rows, chain head at \d+, [1-9]\d* signed checkpoints agree/);
    expect((await verifyAuditLog(gw.ctx.pool)).finding).toBeNull();

    const { rows: [{ seq, status }] } = await gw.ctx.pool.query('SELECT seq, status FROM audit_log ORDER BY seq LIMIT 1 OFFSET 2');
    await gw.ctx.pool.query('UPDATE audit_log SET status = 299 WHERE seq = $1', [seq]);
    const edited = await auditVerifyCommand();
    expect(edited.code).toBe(1);
    expect(edited.out).toContain(`row ${seq} was changed`);
    await gw.ctx.pool.query('UPDATE audit_log SET status = $2 WHERE seq = $1', [seq, status]);
    expect((await verifyAuditLog(gw.ctx.pool)).finding).toBeNull();

    await gw.ctx.pool.query('DELETE FROM audit_log WHERE seq = $1', [Number(seq) + 1]);
    const deleted = await auditVerifyCommand();
    expect(deleted.code).toBe(1);
    expect(deleted.out).toContain(`row ${Number(seq) + 1} deleted`);
  });

  it('when the audit row cannot be written the request fails with a 503 (and nothing is answered as a success)', async () => {
    await gw.ctx.pool.query('ALTER TABLE audit_log RENAME TO audit_log_away');
    try {
      const res = await partner.signedFetch(url('/v1/catalog'));
      expect(res.status).toBe(503);
      const body = (await res.json()) as { code: string };
      expect(body.code).toBe('GW_AUDIT_UNAVAILABLE');
    } finally {
      await gw.ctx.pool.query('ALTER TABLE audit_log_away RENAME TO audit_log');
    }
    expect((await partner.signedFetch(url('/v1/catalog'))).status).toBe(200);
    // operators see it on /metrics (the alert rule gateway_audit_write_failures_total watches it)
    const metrics = await (await fetch(url('/metrics'))).text();
    expect(Number(/^gateway_audit_write_failures_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
  });
});
