/**
 * Delivery to platforms, the service way (issue 17), on the real PostgreSQL and broker, to the HTTP
 * intake of src/dev/service-platform.ts: each event reaches the platform once (a batch asked again
 * after a lost answer or a timeout is answered from the platform's idempotency store; an event published
 * twice is handed over once); the answer's per-event results are the delivery states in the API;
 * a retraction reaches the platform; the platform down for a while — deliveries wait, the backlog shows
 * in /metrics, everything arrives when it is back; a slow platform; Retry-After honoured; a batch the
 * platform refuses as malformed is parked and delivery goes on; the three ways of authenticating
 * (bearer token, a JWT signed like a partner's request, a client certificate) each checked by the platform.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ServicePlatform } from '../../src/dev/service-platform.js';
import { sampleRecordInput } from '../../src/dev/sample-records.js';
import { scratchDir } from '../../src/dev/scratch-dir.js';
import { startTestGateway, uniqueName, type TestGateway } from '../support/env.js';
import { deliveryHelpers } from './delivery-helpers.js';
import { makeThrowawayPki, type ThrowawayPki } from './throwaway-pki.js';

const MARKER = '拒收';
const root = scratchDir('delivery-svc-');
const nameOf = (prefix: string) => uniqueName(prefix).replaceAll('_', '-').toLowerCase();
const names = { token: nameOf('st'), jwt: nameOf('sj'), mtls: nameOf('sm') };
const topicOf = (name: string) => `test.${name}.v1`;
const TOKEN_ENV = `SVC_TEST_TOKEN_${process.pid}`;
let gw: TestGateway;
let pki: ThrowawayPki;
const platforms = {} as Record<keyof typeof names, ServicePlatform>;
const h = deliveryHelpers(() => gw);

beforeAll(async () => {
  pki = makeThrowawayPki(root);
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = 'gateway-delivery-1';
  const keyFile = join(root, 'delivery-key.jwk.json');
  writeFileSync(keyFile, JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: 'ES256' }));
  process.env[TOKEN_ENV] = 'tok-' + uniqueName('secret');

  platforms.token = new ServicePlatform({ auth: { type: 'token', token: process.env[TOKEN_ENV]! }, rejectMarker: MARKER });
  platforms.jwt = new ServicePlatform({ auth: { type: 'jwt', publicJwk: { ...(await exportJWK(publicKey)), kid }, issuer: '12320583MB0000000X', audience: 'provincial-intake' } });
  platforms.mtls = new ServicePlatform({
    auth: { type: 'mtls', commonName: 'credit-gateway' },
    tls: { cert: pki.read(pki.serverCertFile), key: pki.read(pki.serverKeyFile), ca: pki.read(pki.caFile) },
  });
  for (const p of Object.values(platforms)) await p.start();

  const common = { timeoutMs: 1000, maxBackoffMs: 1000 };
  gw = await startTestGateway({
    lifecycle: { expiryEnabled: false },
    destinations: [
      { name: names.token, topic: topicOf(names.token), categories: ['*'], regions: [],
        delivery: { way: 'service', url: platforms.token.url, auth: { type: 'token', tokenEnv: TOKEN_ENV }, batchSize: 8, ...common } },
      { name: names.jwt, topic: topicOf(names.jwt), categories: ['dishonest_debtor'], regions: [],
        delivery: { way: 'service', url: platforms.jwt.url, auth: { type: 'jwt', issuer: '12320583MB0000000X', audience: 'provincial-intake', keyFile }, ...common } },
      { name: names.mtls, topic: topicOf(names.mtls), categories: ['dishonest_debtor'], regions: [],
        delivery: { way: 'service', url: platforms.mtls.url, caFile: pki.caFile, auth: { type: 'mtls', certFile: pki.clientCertFile, keyFile: pki.clientKeyFile }, ...common } },
    ],
  });
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
  for (const p of Object.values(platforms)) await p?.stop();
  delete process.env[TOKEN_ENV];
});

const T = names.token;

it('delivers each record once in bounded batches, and the platform\'s answers are the delivery states', async () => {
  const items = Array.from({ length: 20 }, (_, i) => sampleRecordInput('admin_license', 61_000 + i, i < 2 ? { subject: { name: `${MARKER}样例企业${i}` } } : undefined));
  const ids = await h.ingest(items);
  await expect.poll(() => platforms.token.applied.size, { timeout: 60_000 }).toBe(20);
  expect(platforms.token.duplicates).toEqual([]);
  // batchSize 8: no request carried more
  expect(platforms.token.batches.length).toBeGreaterThanOrEqual(3);
  await expect.poll(async () => (await h.stateOf(ids[0]!, T))?.state, { timeout: 30_000 }).toBe('rejected');
  expect(await h.stateOf(ids[0]!, T)).toMatchObject({ recordVersion: 1, eventType: 'record.upserted', reason: `subject name contains "${MARKER}"`, field: '/subject/name' });
  await expect.poll(async () => (await h.get(`/v1/deliveries?destination=${T}&state=accepted`)).body.deliveries.length, { timeout: 30_000 }).toBe(18);
  const rejected = (await h.get(`/v1/deliveries?destination=${T}&state=rejected`)).body.deliveries;
  expect(new Set(rejected.map((d: { recordId: string }) => d.recordId))).toEqual(new Set(ids.slice(0, 2)));
  // no delivery state waits for feedback: the answer came with the hand-over
  expect((await h.get(`/v1/deliveries?destination=${T}&state=delivered`)).body.deliveries).toEqual([]);
  expect(await h.metric('gateway_deliveries_total', `destination="${T}",state="delivered"`)).toBe(20);
  expect(await h.metric('gateway_deliveries_total', `destination="${T}",state="rejected"`)).toBe(2);
  expect(await h.metric('gateway_deliveries_total', `destination="${T}",state="accepted"`)).toBe(18);

  // a rejected record whose content changes is delivered again, and this time accepted
  await h.ingest([sampleRecordInput('admin_license', 61_000, { subject: { name: '样例企业61000有限公司（更正）' } })]);
  await expect.poll(async () => {
    const s = await h.stateOf(ids[0]!, T);
    return [s.recordVersion, s.state];
  }, { timeout: 60_000 }).toEqual([2, 'accepted']);
}, 180_000);

it('a JWT signed like a partner\'s request, and a client certificate, each let the gateway in', async () => {
  const [recordId] = await h.ingest([sampleRecordInput('dishonest_debtor', 62_001)]);
  for (const name of [names.jwt, names.mtls]) {
    await expect.poll(async () => (await h.stateOf(recordId!, name))?.state, { timeout: 60_000 }).toBe('accepted');
  }
  expect([...platforms.jwt.applied.values()].map((e) => e.recordId)).toEqual([recordId]);
  expect([...platforms.mtls.applied.values()].map((e) => e.recordId)).toEqual([recordId]);
  expect(platforms.jwt.unauthorized).toEqual([]);
  expect(platforms.mtls.unauthorized).toEqual([]);

  // the platforms do check: an unsigned request, and a request with a certificate from no trusted CA, are refused
  const unsigned = await request(platforms.jwt.url, { method: 'POST', body: '{}', headers: { authorization: `Bearer ${process.env[TOKEN_ENV]}` } });
  expect(unsigned.statusCode).toBe(401);
  await unsigned.body.dump();
  expect(platforms.jwt.unauthorized.at(-1)).toMatch(/JWT not valid/);
  const stranger = new Agent({ connect: { ca: pki.read(pki.caFile), cert: pki.read(pki.strangerCertFile), key: pki.read(pki.strangerKeyFile) } });
  await expect(request(platforms.mtls.url, { method: 'POST', body: '{}', dispatcher: stranger })).rejects.toThrow();
  await stranger.close();
  const noCert = new Agent({ connect: { ca: pki.read(pki.caFile) } });
  await expect(request(platforms.mtls.url, { method: 'POST', body: '{}', dispatcher: noCert })).rejects.toThrow();
  await noCert.close();
  // and the token platform refuses a wrong token
  const wrong = await request(platforms.token.url, { method: 'POST', body: '{}', headers: { authorization: 'Bearer wrong' } });
  expect(wrong.statusCode).toBe(401);
  await wrong.body.dump();
}, 120_000);

it('a retraction reaches the platform as a retract entry, and its answer confirms it', async () => {
  const [recordId] = await h.ingest([sampleRecordInput('dishonest_debtor', 63_001)]);
  await expect.poll(async () => (await h.stateOf(recordId!, T))?.state, { timeout: 60_000 }).toBe('accepted');
  await h.revoke(recordId!);
  await expect.poll(async () => {
    const s = await h.stateOf(recordId!, T);
    return [s.eventType, s.recordVersion, s.state];
  }, { timeout: 60_000 }).toEqual(['record.retracted', 4, 'accepted']);
  const retract = [...platforms.token.applied.values()].find((e) => e.recordId === recordId && e.op === 'retract');
  expect(retract).toMatchObject({ op: 'retract', type: 'record.retracted', version: 4, status: 'revoked' });
}, 120_000);

it('the platform down for a while: deliveries wait, the backlog shows in /metrics, everything arrives after it returns', async () => {
  await platforms.token.goDown();
  const ids = await h.ingest(Array.from({ length: 12 }, (_, i) => sampleRecordInput('admin_license', 64_000 + i)));
  await expect.poll(() => h.metric('gateway_delivery_consumer_lag', `destination="${T}"`), { timeout: 30_000 }).toBeGreaterThanOrEqual(12);
  for (const id of ids) expect(await h.stateOf(id, T)).toBeUndefined();
  await platforms.token.comeBack();
  for (const id of ids) await expect.poll(async () => (await h.stateOf(id, T))?.state, { timeout: 60_000 }).toBe('accepted');
  await expect.poll(() => h.metric('gateway_delivery_consumer_lag', `destination="${T}"`), { timeout: 30_000 }).toBe(0);
  expect(platforms.token.duplicates).toEqual([]);
}, 180_000);

it('a slow platform: a request given up after timeoutMs is asked again and answered once', async () => {
  const replaysBefore = platforms.token.replays.length;
  platforms.token.delayMs = 2_500; // past the destination's timeoutMs of 1000
  const [recordId] = await h.ingest([sampleRecordInput('admin_license', 65_001)]);
  await expect.poll(() => platforms.token.replays.length, { timeout: 60_000 }).toBeGreaterThan(replaysBefore);
  expect(await h.stateOf(recordId!, T)).toBeUndefined();
  platforms.token.delayMs = 300; // slow, within the timeout
  await expect.poll(async () => (await h.stateOf(recordId!, T))?.state, { timeout: 60_000 }).toBe('accepted');
  platforms.token.delayMs = 0;
  expect([...platforms.token.applied.values()].filter((e) => e.recordId === recordId)).toHaveLength(1);
  expect(platforms.token.duplicates).toEqual([]);
}, 120_000);

it('an answer lost after the platform took the batch: asked again, answered the same, applied once', async () => {
  const replaysBefore = platforms.token.replays.length;
  platforms.token.loseAnswers = 1;
  const [recordId] = await h.ingest([sampleRecordInput('admin_license', 66_001, { subject: { name: `${MARKER}样例企业66001` } })]);
  await expect.poll(async () => (await h.stateOf(recordId!, T))?.state, { timeout: 60_000 }).toBe('rejected');
  expect(platforms.token.loseAnswers).toBe(0);
  expect(platforms.token.replays.length).toBeGreaterThan(replaysBefore);
  expect(platforms.token.duplicates).toEqual([]);
}, 120_000);

it('429 with Retry-After: the gateway waits that long before asking again', async () => {
  platforms.token.busyRetryAfterSeconds = 2;
  const [recordId] = await h.ingest([sampleRecordInput('admin_license', 67_001)]);
  await expect.poll(() => platforms.token.busyAt.length, { timeout: 60_000 }).toBeGreaterThanOrEqual(2);
  platforms.token.busyRetryAfterSeconds = null;
  const [first, second] = platforms.token.busyAt;
  // maxBackoffMs is 1000: only the Retry-After makes the gateway wait 2 s
  expect(second! - first!).toBeGreaterThanOrEqual(1_900);
  await expect.poll(async () => (await h.stateOf(recordId!, T))?.state, { timeout: 60_000 }).toBe('accepted');
}, 120_000);

it('a batch the platform refuses as malformed is parked with its reason, and delivery goes on', async () => {
  platforms.token.refuseNext = 1;
  const [refused] = await h.ingest([sampleRecordInput('admin_license', 68_001)]);
  await expect.poll(async () => (await h.stateOf(refused!, T))?.state, { timeout: 60_000 }).toBe('parked');
  expect((await h.stateOf(refused!, T)).reason).toMatch(/^the platform refused the batch \(平台拒收整批\): 批次格式不符合本平台规范/);
  const [after] = await h.ingest([sampleRecordInput('admin_license', 68_002)]);
  await expect.poll(async () => (await h.stateOf(after!, T))?.state, { timeout: 60_000 }).toBe('accepted');
  expect(platforms.token.malformed).toHaveLength(1);
  const { rows } = await gw.ctx.pool.query<{ reason: string }>('SELECT reason FROM delivery_parked WHERE destination = $1', [T]);
  expect(rows).toHaveLength(1);
}, 120_000);

it('an event the relay published twice reaches the platform once', async () => {
  const [recordId] = await h.ingest([sampleRecordInput('admin_license', 69_001)]);
  await expect.poll(async () => (await h.stateOf(recordId!, T))?.state, { timeout: 60_000 }).toBe('accepted');
  await h.publishAgain(topicOf(T), recordId!);
  const [after] = await h.ingest([sampleRecordInput('admin_license', 69_002)]);
  await expect.poll(async () => (await h.stateOf(after!, T))?.state, { timeout: 60_000 }).toBe('accepted');
  expect(platforms.token.duplicates).toEqual([]);
  const { rows: [recorded] } = await gw.ctx.pool.query<{ events: number }>('SELECT sum(events)::int AS events FROM delivery_packages WHERE destination = $1', [T]);
  expect(recorded!.events).toBe(platforms.token.applied.size);
}, 120_000);
