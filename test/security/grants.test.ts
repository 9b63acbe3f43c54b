/**
 * Grants, from README "Onboarding a partner agency" and "Who may write and see a record": a partner
 * writes only under its own source systems, within its categories and regions (for the stored and the
 * new version of an update); everything that names a record, objection or repair outside its grants is
 * answered exactly as if it did not exist, and lists and the change feed leave such records out; every
 * route in the HTTP API table (and the connectors, reports and alerts routes) demands its scope.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnGateway, writeConfigFile } from '../../src/dev/child-gateway.js';
import type { ScratchDatabase } from '../../src/dev/scratch-database.js';
import {
  AUTHORITY_USCC,
  type Answer,
  biddingItem,
  expectSigned,
  expectSignedProblem,
  fieldErrors,
  type GatewayEnv,
  gatewayConfig,
  isProblem,
  kafkaBrokers,
  makePartner,
  makePersonalId,
  makeUscc,
  type Partner,
  partnerEntry,
  penaltyItem,
  personPenaltyItem,
  scratchDatabase,
  show,
  signed,
  startGateway,
} from './helpers.js';

const WORK_SCOPES = ['records:write', 'records:read', 'subjects:read', 'checks:run', 'objections:write', 'objections:decide', 'repairs:decide'];
const ALL_SCOPES = [...WORK_SCOPES, 'monitoring:read', 'connectors:admin', 'pii:read'];

let idSerial = 3000;
const partnerId = (region = '320583') => makeUscc('11', region, ++idSerial);

// A and B differ in source systems, categories and regions; C differs from A in category only, D in region only.
const A = makePartner({ id: AUTHORITY_USCC, name: '昆山市市场监督管理局', scopes: WORK_SCOPES, sourceSystems: ['scjg.kunshan'], categories: ['admin_penalty'], regions: ['3205'] });
const B = makePartner({ id: partnerId('330106'), name: '杭州市公共资源交易中心', scopes: WORK_SCOPES, sourceSystems: ['ggzy.hangzhou'], categories: ['bidding_misconduct'], regions: ['3301'] });
const C = makePartner({ id: partnerId(), name: '昆山市公共资源交易中心', scopes: WORK_SCOPES, sourceSystems: ['ggzy.kunshan'], categories: ['bidding_misconduct'], regions: ['3205'] });
const D = makePartner({ id: partnerId('330106'), name: '杭州市市场监督管理局', scopes: WORK_SCOPES, sourceSystems: ['scjg.hangzhou'], categories: ['admin_penalty'], regions: ['3301'] });
const OUTSIDERS: [string, Partner][] = [
  ['B (other category and region)', B],
  ['C (other category, same region)', C],
  ['D (same category, other region)', D],
];
// W reads everything (to check what was stored); Z does everything (targets of the scope tests).
const W = makePartner({ id: partnerId(), name: '江苏省信用中心', scopes: ['records:read'], sourceSystems: ['w.read'], categories: ['*'], regions: ['*'] });
const Z = makePartner({ id: partnerId(), name: '苏州市信用中心', scopes: ALL_SCOPES, sourceSystems: ['z.all'], categories: ['*'], regions: ['*'] });

/** One partner per scope (or pair of alternative scopes) it lacks; all categories and regions. */
const LACKING: [string[], Partner][] = [
  ['records:write'],
  ['records:read'],
  ['subjects:read'],
  ['checks:run'],
  ['objections:write'],
  ['objections:decide'],
  ['repairs:decide'],
  ['monitoring:read'],
  ['connectors:admin'],
  ['connectors:admin', 'monitoring:read'],
].map((lacks, i) => [
  lacks,
  makePartner({ id: partnerId(), name: `缺少${lacks.join('+')}的单位`, scopes: ALL_SCOPES.filter((s) => !lacks.includes(s)), sourceSystems: [`lacking-${i}.sys`], categories: ['*'], regions: ['*'] }),
]);
const BARE = makePartner({ id: partnerId(), name: '仅有 pii:read 的单位', scopes: ['pii:read'], sourceSystems: ['bare.sys'], categories: ['*'], regions: ['*'] });
const MON_ONLY = makePartner({ id: partnerId(), name: '监测单位', scopes: ['monitoring:read'], sourceSystems: ['mon.sys'], categories: ['*'], regions: ['*'] });
const CONN_ONLY = makePartner({ id: partnerId(), name: '采集运维单位', scopes: ['connectors:admin'], sourceSystems: ['conn.sys'], categories: ['*'], regions: ['*'] });

// the address allow-list: one partner outside it (10.12.0.0/16), one inside (loopback)
const CIDR_OUT = makePartner({ id: partnerId(), name: '内网单位', scopes: ['records:read'], sourceSystems: ['cidr-out.sys'], categories: ['*'], regions: ['*'], cidrs: ['10.12.0.0/16'] });
const CIDR_IN = makePartner({ id: partnerId(), name: '本机单位', scopes: ['records:read'], sourceSystems: ['cidr-in.sys'], categories: ['*'], regions: ['*'], cidrs: ['127.0.0.0/8'] });

const ALL_PARTNERS = [A, B, C, D, W, Z, ...LACKING.map(([, p]) => p), BARE, MON_ONLY, CONN_ONLY, CIDR_OUT, CIDR_IN];

let subjSerial = 10_000;
const ksSubject = () => makeUscc('91', '320583', ++subjSerial); // 昆山 (3205)
const hzSubject = () => makeUscc('91', '330106', ++subjSerial); // 杭州西湖区 (3301)
const njSubject = () => makeUscc('91', '320102', ++subjSerial); // 南京玄武区 (3201)

let db: ScratchDatabase;
let gw: GatewayEnv;

// A's records and workflow items
const subjA = ksSubject();
let rA1 = ''; // stays active: target of the outsiders' attempts
let rA2 = ''; // objected by A (objection oA)
let rA3 = ''; // repair requested by A (repair pA)
let oA = '';
let pA = '';
let rA1Before: any;
// Z's records and workflow items for the scope tests
const subjZ = ksSubject();
let rZ1 = '';
let rZ2 = '';
let rZ3 = '';
let oZ = '';
let pZ = '';

const PURPOSE = { 'x-request-purpose': 'grant-test' };

async function push(p: Partner, records: unknown[], url = gw.url): Promise<Answer> {
  return signed(url, p, 'POST', '/v1/records', { body: { records } });
}

async function getRecord(p: Partner, id: string, url = gw.url): Promise<Answer> {
  return signed(url, p, 'GET', `/v1/records/${id}`);
}

/** Every record id a partner sees in the change feed for this query (all pages, bounded). */
async function feedIds(p: Partner, query = ''): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 20; page++) {
    const q = [query, 'limit=100', cursor ? `cursor=${encodeURIComponent(cursor)}` : ''].filter(Boolean).join('&');
    const ans = await signed(gw.url, p, 'GET', `/v1/records?${q}`);
    expect(ans.status, show(ans)).toBe(200);
    const items = (ans.json.items ?? []) as { recordId: string }[];
    ids.push(...items.map((r) => r.recordId));
    cursor = ans.json.nextCursor ?? undefined;
    if (!cursor || items.length === 0) break;
  }
  return ids;
}

async function listIds(p: Partner, path: string, key: 'objectionId' | 'repairId'): Promise<string[]> {
  const ans = await signed(gw.url, p, 'GET', path);
  expect(ans.status, show(ans)).toBe(200);
  return ((ans.json.items ?? []) as Record<string, string>[]).map((x) => x[key]!);
}

/** The refusal for a hidden object must be indistinguishable from the one for an id that does not exist. */
async function expectHidden(p: Partner, method: string, pathFor: (id: string) => string, hiddenId: string, code: string, body?: unknown): Promise<void> {
  const opts = body === undefined ? {} : { body };
  const hidden = await signed(gw.url, p, method, pathFor(hiddenId), opts);
  await expectSignedProblem(gw.url, hidden, 404, code);
  const missingId = randomUUID();
  const missing = await signed(gw.url, p, method, pathFor(missingId), opts);
  await expectSignedProblem(gw.url, missing, 404, code);
  const norm = (a: Answer, id: string) => JSON.stringify(a.json, (_k, v: unknown) => (typeof v === 'string' ? v.split(id).join('<id>') : v));
  expect(norm(hidden, hiddenId), 'a hidden object is answered exactly like a missing one').toBe(norm(missing, missingId));
}

beforeAll(async () => {
  db = await scratchDatabase();
  gw = await startGateway(db.url, ALL_PARTNERS);

  const a = await push(A, [
    penaltyItem({ system: 'scjg.kunshan', key: 'A-1', uscc: subjA }),
    penaltyItem({ system: 'scjg.kunshan', key: 'A-2', uscc: subjA }),
    penaltyItem({ system: 'scjg.kunshan', key: 'A-3', uscc: subjA }),
  ]);
  expect(a.status, show(a)).toBe(200);
  [rA1, rA2, rA3] = (a.json.results as { recordId: string; status: string }[]).map((r) => {
    expect(r.status).toBe('created');
    return r.recordId;
  }) as [string, string, string];
  const o = await signed(gw.url, A, 'POST', `/v1/records/${rA2}/objections`, { body: { reason: '处罚决定已被复议撤销' } });
  expect(o.status, show(o)).toBe(201);
  oA = o.json.objection.objectionId;
  const r = await signed(gw.url, A, 'POST', `/v1/records/${rA3}/repairs`, { body: { commitmentRef: 'CN-2024-001', reason: '已缴纳罚款并整改' } });
  expect(r.status, show(r)).toBe(201);
  pA = r.json.repair.repairId;
  rA1Before = (await getRecord(A, rA1)).json;

  const z = await push(Z, [
    penaltyItem({ system: 'z.all', key: 'Z-1', uscc: subjZ }),
    penaltyItem({ system: 'z.all', key: 'Z-2', uscc: subjZ }),
    penaltyItem({ system: 'z.all', key: 'Z-3', uscc: subjZ }),
  ]);
  expect(z.status, show(z)).toBe(200);
  [rZ1, rZ2, rZ3] = (z.json.results as { recordId: string }[]).map((x) => x.recordId) as [string, string, string];
  const oz = await signed(gw.url, Z, 'POST', `/v1/records/${rZ2}/objections`, { body: { reason: '主体名称有误' } });
  expect(oz.status, show(oz)).toBe(201);
  oZ = oz.json.objection.objectionId;
  const pz = await signed(gw.url, Z, 'POST', `/v1/records/${rZ3}/repairs`, { body: { commitmentRef: 'CN-Z-1' } });
  expect(pz.status, show(pz)).toBe(201);
  pZ = pz.json.repair.repairId;
});

afterAll(async () => {
  await gw?.stop();
  await db?.drop();
});

async function expectRA1Untouched(): Promise<void> {
  const now = await getRecord(A, rA1);
  expect(now.status, show(now)).toBe(200);
  expect(now.json.record.version).toBe(1);
  expect(now.json.record.status).toBe('active');
  expect(now.json.record.contentHash).toBe(rA1Before.record.contentHash);
  expect(now.json.record.data).toEqual(rA1Before.record.data);
  expect(now.json.versions).toHaveLength(1);
}

describe('source ownership', () => {
  it('B pushing under A\'s source system is refused whole: 403 GW_AUTH_SOURCE_NOT_OWNED, one error at /records/0/source/system, nothing stored', async () => {
    const subj = hzSubject();
    const ans = await push(B, [biddingItem({ system: 'scjg.kunshan', key: 'steal-1', uscc: subj }), biddingItem({ system: 'ggzy.hangzhou', key: 'own-1', uscc: subj })]);
    await expectSignedProblem(gw.url, ans, 403, 'GW_AUTH_SOURCE_NOT_OWNED');
    expect(fieldErrors(ans.json).map((e) => e.pointer)).toEqual(['/records/0/source/system']);
    expect(await feedIds(W, `uscc=${subj}`)).toEqual([]);
  });

  it('one field error per foreign item, none for the partner\'s own items', async () => {
    const subj = hzSubject();
    const ans = await push(B, [
      biddingItem({ system: 'scjg.kunshan', key: 'x-1', uscc: subj }),
      biddingItem({ system: 'ggzy.hangzhou', key: 'x-2', uscc: subj }),
      biddingItem({ system: 'ggzy.kunshan', key: 'x-3', uscc: subj }),
      biddingItem({ system: 'never.registered', key: 'x-4', uscc: subj }),
    ]);
    await expectSignedProblem(gw.url, ans, 403, 'GW_AUTH_SOURCE_NOT_OWNED');
    expect(fieldErrors(ans.json).map((e) => e.pointer).sort()).toEqual(['/records/0/source/system', '/records/2/source/system', '/records/3/source/system']);
    expect(await feedIds(W, `uscc=${subj}`)).toEqual([]);
  });

  it('no agency may push under a connector\'s system (zxgk.court, wenshu.court, ccgp, ggzy.bad-records, an http-json system)', async () => {
    const subj = ksSubject();
    for (const system of ['zxgk.court', 'wenshu.court', 'ccgp', 'ggzy.bad-records', 'sgs.xzcf']) {
      const ans = await push(Z, [penaltyItem({ system, key: `c-${system}`, uscc: subj })]);
      await expectSignedProblem(gw.url, ans, 403, 'GW_AUTH_SOURCE_NOT_OWNED');
      expect(fieldErrors(ans.json).map((e) => e.pointer)).toEqual(['/records/0/source/system']);
    }
    expect(await feedIds(W, `uscc=${subj}`)).toEqual([]);
  });

  it('B re-sending A\'s record (same system and key) is refused and A\'s record keeps version 1 and its content', async () => {
    // content inside B's grants
    const inB = await push(B, [{ ...biddingItem({ system: 'scjg.kunshan', key: 'A-1', uscc: hzSubject() }) }]);
    await expectSignedProblem(gw.url, inB, 403, 'GW_AUTH_SOURCE_NOT_OWNED');
    // content inside A's grants (same subject, changed facts): refused either for the source or for the grant
    const inA = await push(B, [penaltyItem({ system: 'scjg.kunshan', key: 'A-1', uscc: subjA, note: '篡改后的违法事实' })]);
    expect(inA.status, show(inA)).toBe(403);
    expect(['GW_AUTH_SOURCE_NOT_OWNED', 'GW_AUTH_GRANT_MISSING']).toContain(inA.json?.code);
    await expectSigned(gw.url, inA);
    // D has A's category; Z has every grant: neither owns A's system
    for (const p of [D, Z]) {
      const ans = await push(p, [penaltyItem({ system: 'scjg.kunshan', key: 'A-1', uscc: subjA, note: '篡改后的违法事实' })]);
      expect(ans.status, show(ans)).toBe(403);
      expect(['GW_AUTH_SOURCE_NOT_OWNED', 'GW_AUTH_GRANT_MISSING']).toContain(ans.json?.code);
    }
    await expectRA1Untouched();
  });

  it('start-up refuses a registry that gives an agency a connector\'s system, shares a system between two agencies, or has a bad USCC', async () => {
    const base = (partners: Record<string, unknown>[]) => {
      const { config } = gatewayConfig([]);
      (config.auth as Record<string, unknown>).partners = partners;
      return writeConfigFile(config);
    };
    const e1 = partnerEntry(makePartner({ id: partnerId(), name: 'x', scopes: ['records:write'], sourceSystems: ['zxgk.court'], categories: ['*'], regions: ['*'] }));
    const s1 = partnerEntry(makePartner({ id: partnerId(), name: 'y', scopes: ['records:write'], sourceSystems: ['shared.sys'], categories: ['*'], regions: ['*'] }));
    const s2 = partnerEntry(makePartner({ id: partnerId(), name: 'z', scopes: ['records:write'], sourceSystems: ['shared.sys'], categories: ['*'], regions: ['*'] }));
    const badId = `${AUTHORITY_USCC.slice(0, 17)}${AUTHORITY_USCC[17] === 'X' ? 'Y' : 'X'}`;
    const b1 = partnerEntry(makePartner({ id: badId, name: 'bad', scopes: ['records:write'], sourceSystems: ['bad.sys'], categories: ['*'], regions: ['*'] }));
    const cases: [string, Record<string, unknown>[], RegExp][] = [
      ['connector system', [e1], /sourceSystems|zxgk\.court/],
      ['shared system', [s1, s2], /sourceSystems|shared\.sys/],
      ['bad USCC', [b1], /partners\/0|partners\[0\]|11320583000012343/],
    ];
    for (const [name, partners, mention] of cases) {
      let started: Awaited<ReturnType<typeof spawnGateway>> | undefined;
      let error = '';
      try {
        started = await spawnGateway({ databaseUrl: db.url, brokers: kafkaBrokers(), configFile: base(partners) });
      } catch (e) {
        error = (e as Error).message;
      }
      if (started) {
        started.proc.kill('SIGKILL');
        await started.exited;
      }
      expect(started, `${name}: the gateway must not start`).toBeUndefined();
      expect(error, name).toMatch(/invalid configuration/);
      expect(error, name).toMatch(mention);
    }
  });
});

describe('idempotency keys', () => {
  it('control: the same key and body replay the first answer (signed for the new request); another body under the key is 409', async () => {
    const key = `idem-${randomUUID()}`;
    const body = { records: [penaltyItem({ system: 'scjg.kunshan', key: `I-${key}`, uscc: ksSubject() })] };
    const first = await signed(gw.url, A, 'POST', '/v1/records', { body, headers: { 'idempotency-key': key } });
    expect(first.status, show(first)).toBe(200);
    const again = await signed(gw.url, A, 'POST', '/v1/records', { body, headers: { 'idempotency-key': key } });
    expect(again.status, show(again)).toBe(200);
    expect(again.json).toEqual(first.json);
    const sig = await expectSigned(gw.url, again);
    expect(sig.header?.jti, 'the replayed answer is signed for the new request').toBe(again.jti);
    const other = await signed(gw.url, A, 'POST', '/v1/records', { body: { records: [penaltyItem({ system: 'scjg.kunshan', key: `I2-${key}`, uscc: ksSubject() })] }, headers: { 'idempotency-key': key } });
    expect(other.status, show(other)).toBe(409);
    expect(isProblem(other)).toBe(true);
  });

  it('a key belongs to its partner: B reusing A\'s key never gets A\'s answer replayed nor a 409, and B\'s own batch is processed as B\'s', async () => {
    const key = `idem-${randomUUID()}`;
    const aBody = { records: [penaltyItem({ system: 'scjg.kunshan', key: `IA-${key}`, uscc: ksSubject() })] };
    const aAns = await signed(gw.url, A, 'POST', '/v1/records', { body: aBody, headers: { 'idempotency-key': key } });
    expect(aAns.status, show(aAns)).toBe(200);
    const aId = aAns.json.results[0].recordId as string;

    // B sends A's exact body under A's key: refused for the source, not answered from A's stored answer
    const replayAttempt = await signed(gw.url, B, 'POST', '/v1/records', { body: aBody, headers: { 'idempotency-key': key } });
    await expectSignedProblem(gw.url, replayAttempt, 403, 'GW_AUTH_SOURCE_NOT_OWNED');
    expect(replayAttempt.text).not.toContain(aId);

    // B sends its own batch under the same key: processed, created under B's system
    const bSubj = hzSubject();
    const bAns = await signed(gw.url, B, 'POST', '/v1/records', { body: { records: [biddingItem({ system: 'ggzy.hangzhou', key: `IB-${key}`, uscc: bSubj })] }, headers: { 'idempotency-key': key } });
    expect(bAns.status, show(bAns)).toBe(200);
    expect(bAns.json.results[0].status).toBe('created');
    expect(bAns.json.results[0].recordId).not.toBe(aId);
    expect(await feedIds(B, `uscc=${bSubj}`)).toHaveLength(1);
  });
});

describe('category and region grants on writes', () => {
  it('a batch with an item outside the categories is refused whole: 403 GW_AUTH_GRANT_MISSING, one error for that item, nothing stored', async () => {
    const s1 = ksSubject();
    const ans = await push(A, [penaltyItem({ system: 'scjg.kunshan', key: 'g-1', uscc: s1 }), biddingItem({ system: 'scjg.kunshan', key: 'g-2', uscc: s1 })]);
    await expectSignedProblem(gw.url, ans, 403, 'GW_AUTH_GRANT_MISSING');
    const errs = fieldErrors(ans.json);
    expect(errs, JSON.stringify(errs)).toHaveLength(1);
    expect(errs[0]!.pointer).toMatch(/^\/records\/1(\/|$)/);
    expect(await feedIds(W, `uscc=${s1}`)).toEqual([]);
  });

  it('a batch with an item outside the regions is refused whole: 403 GW_AUTH_GRANT_MISSING, one error per item, nothing stored', async () => {
    const inside = ksSubject();
    const outside = hzSubject();
    const ans = await push(A, [
      penaltyItem({ system: 'scjg.kunshan', key: 'r-0', uscc: outside }),
      penaltyItem({ system: 'scjg.kunshan', key: 'r-1', uscc: inside }),
      penaltyItem({ system: 'scjg.kunshan', key: 'r-2', uscc: njSubject() }),
    ]);
    await expectSignedProblem(gw.url, ans, 403, 'GW_AUTH_GRANT_MISSING');
    const pointers = fieldErrors(ans.json).map((e) => String(e.pointer));
    expect(pointers, JSON.stringify(pointers)).toHaveLength(2);
    expect(pointers.some((p) => /^\/records\/0(\/|$)/.test(p))).toBe(true);
    expect(pointers.some((p) => /^\/records\/2(\/|$)/.test(p))).toBe(true);
    expect(await feedIds(W, `uscc=${inside}`)).toEqual([]);
    expect(await feedIds(W, `uscc=${outside}`)).toEqual([]);
  });

  it('an update must lie within the grants for the stored version too: records stored under wider grants cannot be overwritten under narrower ones', async () => {
    // a second gateway on the same database where A's grants are wider (categories and regions)
    const wideA: Partner = { ...A, categories: ['admin_penalty', 'bidding_misconduct'], regions: ['32'] };
    const wide = await startGateway(db.url, [wideA, W]);
    try {
      const otherCat = ksSubject();
      const otherRegion = njSubject();
      const seeded = await push(wideA, [biddingItem({ system: 'scjg.kunshan', key: 'U-cat', uscc: otherCat }), penaltyItem({ system: 'scjg.kunshan', key: 'U-reg', uscc: otherRegion })], wide.url);
      expect(seeded.status, show(seeded)).toBe(200);
      const [uCat, uReg] = (seeded.json.results as { recordId: string; status: string }[]).map((r) => r.recordId) as [string, string];
      const before = await Promise.all([getRecord(W, uCat, wide.url), getRecord(W, uReg, wide.url)]);

      // through the main gateway A's grants are admin_penalty in 3205: the new versions are inside them, the stored ones are not
      for (const [key, i] of [['U-cat', 0], ['U-reg', 0]] as const) {
        const ans = await push(A, [penaltyItem({ system: 'scjg.kunshan', key, uscc: ksSubject(), note: '改写' })]);
        await expectSignedProblem(gw.url, ans, 403, 'GW_AUTH_GRANT_MISSING');
        expect(fieldErrors(ans.json).map((e) => e.pointer)).toEqual([`/records/${i}`]);
      }
      // mixed with a valid new item: refused whole
      const fresh = ksSubject();
      const mixed = await push(A, [penaltyItem({ system: 'scjg.kunshan', key: 'U-new', uscc: fresh }), penaltyItem({ system: 'scjg.kunshan', key: 'U-reg', uscc: ksSubject(), note: '改写' })]);
      await expectSignedProblem(gw.url, mixed, 403, 'GW_AUTH_GRANT_MISSING');
      expect(fieldErrors(mixed.json).map((e) => e.pointer)).toEqual(['/records/1']);
      expect(await feedIds(W, `uscc=${fresh}`)).toEqual([]);

      const after = await Promise.all([getRecord(W, uCat, wide.url), getRecord(W, uReg, wide.url)]);
      for (let i = 0; i < 2; i++) {
        expect(after[i]!.json.record.version).toBe(1);
        expect(after[i]!.json.record.contentHash).toBe(before[i]!.json.record.contentHash);
        expect(after[i]!.json.record.subject).toEqual(before[i]!.json.record.subject);
      }
      // and through the main gateway A cannot see them at all
      await expectHidden(A, 'GET', (id) => `/v1/records/${id}`, uCat, 'GW_RECORD_NOT_FOUND');
      await expectHidden(A, 'GET', (id) => `/v1/records/${id}`, uReg, 'GW_RECORD_NOT_FOUND');
    } finally {
      await wide.stop();
    }
  });
});

describe('records, objections and repairs outside the grants do not exist', () => {
  it('GET /v1/records/:id of A\'s record is 404 GW_RECORD_NOT_FOUND for B, C and D, exactly like a missing id; A sees it', async () => {
    expect((await getRecord(A, rA1)).status).toBe(200);
    for (const [, p] of OUTSIDERS) await expectHidden(p, 'GET', (id) => `/v1/records/${id}`, rA1, 'GW_RECORD_NOT_FOUND');
  });

  it('the change feed leaves A\'s records out for B, C and D, with or without filters', async () => {
    const mine = [rA1, rA2, rA3];
    const own = await feedIds(A);
    for (const id of mine) expect(own).toContain(id);
    for (const [name, p] of OUTSIDERS) {
      for (const q of ['', `uscc=${subjA}`, 'category=admin_penalty', 'status=active', 'status=objected', 'status=repair_requested', 'updatedAfter=2000-01-01T00%3A00%3A00Z']) {
        const seen = await feedIds(p, q);
        for (const id of mine) expect(seen, `${name} ?${q}`).not.toContain(id);
      }
    }
  });

  it('a change-feed cursor handed over from A does not widen another partner\'s feed', async () => {
    // A's first page, one record at a time, so that A's cursor points into A's records
    const first = await signed(gw.url, A, 'GET', '/v1/records?limit=1');
    expect(first.status, show(first)).toBe(200);
    const cursor = first.json.nextCursor as string | null;
    expect(cursor, 'A has more than one record, so a next cursor').toBeTruthy();
    for (const [name, p] of OUTSIDERS) {
      const ans = await signed(gw.url, p, 'GET', `/v1/records?limit=100&cursor=${encodeURIComponent(cursor!)}`);
      expect(ans.status, show(ans)).toBeLessThan(500);
      for (const id of [rA1, rA2, rA3]) expect(ans.text, name).not.toContain(id);
    }
  });

  it('objecting to A\'s record is 404 GW_RECORD_NOT_FOUND for B, C and D, and the record stays active', async () => {
    for (const [, p] of OUTSIDERS) {
      await expectHidden(p, 'POST', (id) => `/v1/records/${id}/objections`, rA1, 'GW_RECORD_NOT_FOUND', { reason: '我方认为该记录有误' });
    }
    await expectRA1Untouched();
  });

  it('requesting repair of A\'s record is 404 GW_RECORD_NOT_FOUND for B, C and D, and the record stays active', async () => {
    for (const [, p] of OUTSIDERS) {
      await expectHidden(p, 'POST', (id) => `/v1/records/${id}/repairs`, rA1, 'GW_RECORD_NOT_FOUND', { commitmentRef: 'EVIL-1', reason: '已整改' });
    }
    await expectRA1Untouched();
  });

  it('A\'s objection cannot be read or decided by B, C and D (404 GW_OBJECTION_NOT_FOUND) and stays open', async () => {
    for (const [, p] of OUTSIDERS) {
      await expectHidden(p, 'GET', (id) => `/v1/objections/${id}`, oA, 'GW_OBJECTION_NOT_FOUND');
      await expectHidden(p, 'POST', (id) => `/v1/objections/${id}/decision`, oA, 'GW_OBJECTION_NOT_FOUND', { decision: 'upheld', outcome: 'revoked', reason: '越权撤销' });
    }
    const o = await signed(gw.url, A, 'GET', `/v1/objections/${oA}`);
    expect(o.status, show(o)).toBe(200);
    expect(o.json.status).toBe('open');
    expect((await getRecord(A, rA2)).json.record.status).toBe('objected');
  });

  it('A\'s repair request cannot be read or decided by B, C and D (404 GW_REPAIR_NOT_FOUND) and stays requested', async () => {
    for (const [, p] of OUTSIDERS) {
      await expectHidden(p, 'GET', (id) => `/v1/repairs/${id}`, pA, 'GW_REPAIR_NOT_FOUND');
      await expectHidden(p, 'POST', (id) => `/v1/repairs/${id}/decision`, pA, 'GW_REPAIR_NOT_FOUND', { decision: 'granted', reason: '越权修复' });
    }
    const r = await signed(gw.url, A, 'GET', `/v1/repairs/${pA}`);
    expect(r.status, show(r)).toBe(200);
    expect(r.json.status).toBe('requested');
    expect((await getRecord(A, rA3)).json.record.status).toBe('repair_requested');
  });

  it('the objection and repair lists leave A\'s items out for B, C and D (all filters); A lists them', async () => {
    expect(await listIds(A, '/v1/objections', 'objectionId')).toContain(oA);
    expect(await listIds(A, '/v1/repairs', 'repairId')).toContain(pA);
    for (const [name, p] of OUTSIDERS) {
      for (const q of ['', `?recordId=${rA2}`, '?status=open', '?limit=1000']) expect(await listIds(p, `/v1/objections${q}`, 'objectionId'), `${name} objections${q}`).not.toContain(oA);
      for (const q of ['', `?recordId=${rA3}`, '?status=requested', '?limit=1000']) expect(await listIds(p, `/v1/repairs${q}`, 'repairId'), `${name} repairs${q}`).not.toContain(pA);
    }
  });

  it('subject profiles and checks are not narrowed: B sees A\'s active record behind A\'s subject', async () => {
    const profile = await signed(gw.url, B, 'GET', `/v1/subjects/${subjA}`, { headers: PURPOSE });
    expect(profile.status, show(profile)).toBe(200);
    await expectSigned(gw.url, profile);
    expect(profile.text).toContain(rA1);
    const check = await signed(gw.url, B, 'POST', '/v1/checks', { body: { codes: [subjA], purpose: 'grant-test' } });
    expect(check.status, show(check)).toBe(200);
    expect(check.text).toContain(rA1);
  });
});

interface RouteCase {
  name: string;
  method: string;
  path: () => string;
  body?: () => unknown;
  headers?: Record<string, string>;
  /** any one of these scopes admits the request */
  scopes: string[];
}

const ROUTES: RouteCase[] = [
  { name: 'POST /v1/records', method: 'POST', path: () => '/v1/records', body: () => ({ records: [] }), scopes: ['records:write'] },
  { name: 'GET /v1/records/:id', method: 'GET', path: () => `/v1/records/${rZ1}`, scopes: ['records:read'] },
  { name: 'GET /v1/records', method: 'GET', path: () => '/v1/records?limit=5', scopes: ['records:read'] },
  { name: 'GET /v1/subjects/:uscc', method: 'GET', path: () => `/v1/subjects/${subjZ}`, headers: PURPOSE, scopes: ['subjects:read'] },
  { name: 'POST /v1/checks', method: 'POST', path: () => '/v1/checks', body: () => ({ codes: [subjZ], purpose: 'scope-test' }), scopes: ['checks:run'] },
  { name: 'POST /v1/records/:id/objections', method: 'POST', path: () => `/v1/records/${rZ1}/objections`, body: () => ({ reason: '越权异议' }), scopes: ['objections:write'] },
  { name: 'POST /v1/objections/:id/decision', method: 'POST', path: () => `/v1/objections/${oZ}/decision`, body: () => ({ decision: 'upheld', outcome: 'revoked', reason: '越权决定' }), scopes: ['objections:decide'] },
  { name: 'POST /v1/records/:id/repairs', method: 'POST', path: () => `/v1/records/${rZ1}/repairs`, body: () => ({ commitmentRef: 'SCOPE-1' }), scopes: ['objections:write'] },
  { name: 'POST /v1/repairs/:id/decision', method: 'POST', path: () => `/v1/repairs/${pZ}/decision`, body: () => ({ decision: 'granted', reason: '越权决定' }), scopes: ['repairs:decide'] },
  { name: 'GET /v1/connectors', method: 'GET', path: () => '/v1/connectors', scopes: ['connectors:admin', 'monitoring:read'] },
  { name: 'GET /v1/connectors/:name/runs', method: 'GET', path: () => '/v1/connectors/court-dishonest/runs', scopes: ['connectors:admin', 'monitoring:read'] },
  { name: 'POST /v1/connectors/:name/runs', method: 'POST', path: () => '/v1/connectors/court-dishonest/runs', scopes: ['connectors:admin'] },
  { name: 'GET /v1/reports/integrity', method: 'GET', path: () => '/v1/reports/integrity?period=2026Q3&level=city', scopes: ['monitoring:read'] },
  { name: 'GET /v1/alerts', method: 'GET', path: () => '/v1/alerts', scopes: ['monitoring:read'] },
];

function call(p: Partner, r: RouteCase): Promise<Answer> {
  return signed(gw.url, p, r.method, r.path(), { ...(r.body ? { body: r.body() } : {}), ...(r.headers ? { headers: r.headers } : {}) });
}

async function expectScopeRefused(p: Partner, r: RouteCase, who: string): Promise<void> {
  const ans = await call(p, r);
  expect(ans.status, `${r.name} by ${who}: ${show(ans)}`).toBe(403);
  await expectSignedProblem(gw.url, ans, 403, /^GW_AUTH_/);
  expect(ans.json.code, `${r.name} declares a scope`).not.toBe('GW_AUTH_ROUTE_NOT_DECLARED');
}

describe('scopes on every route', () => {
  for (const r of ROUTES) {
    const lacking = LACKING.filter(([lacks]) => r.scopes.every((s) => lacks.includes(s)));
    it(`${r.name} is 403 without ${r.scopes.join(' or ')} (and never GW_AUTH_ROUTE_NOT_DECLARED)`, async () => {
      expect(lacking.length).toBeGreaterThan(0);
      for (const [lacks, p] of lacking) await expectScopeRefused(p, r, `a partner lacking ${lacks.join('+')}`);
      await expectScopeRefused(BARE, r, 'a partner with only pii:read');
    });
  }

  it('a partner holding a route\'s scope is not refused for scope (read routes and an empty push)', async () => {
    for (const r of ROUTES.filter((x) => x.method === 'GET' || x.name === 'POST /v1/records')) {
      const holder = LACKING.find(([lacks]) => !r.scopes.some((s) => lacks.includes(s)))![1];
      const ans = await call(holder, r);
      expect(ans.status, `${r.name}: ${show(ans)}`).not.toBe(403);
      expect(ans.status, `${r.name}: ${show(ans)}`).toBeLessThan(500);
    }
  });

  it('the refused writes did nothing: Z\'s record active, objection open, repair requested', async () => {
    const rec = await getRecord(Z, rZ1);
    expect(rec.json.record.status).toBe('active');
    expect(rec.json.record.version).toBe(1);
    expect((await signed(gw.url, Z, 'GET', `/v1/objections/${oZ}`)).json.status).toBe('open');
    expect((await signed(gw.url, Z, 'GET', `/v1/repairs/${pZ}`)).json.status).toBe('requested');
    expect((await getRecord(Z, rZ2)).json.record.status).toBe('objected');
    expect((await getRecord(Z, rZ3)).json.record.status).toBe('repair_requested');
  });

  it('objections and repairs (lists and items) are refused to a partner with no workflow scope', async () => {
    for (const path of ['/v1/objections', `/v1/objections/${oZ}`, '/v1/repairs', `/v1/repairs/${pZ}`]) {
      const ans = await signed(gw.url, BARE, 'GET', path);
      await expectSignedProblem(gw.url, ans, 403, /^GW_AUTH_/);
      expect(ans.json.code).not.toBe('GW_AUTH_ROUTE_NOT_DECLARED');
    }
  });

  it('connectors: monitoring:read reads but cannot start a run; connectors:admin reads and starts (409 GW_CONNECTOR_DISABLED / 404 GW_CONNECTOR_NOT_FOUND), never GW_AUTH_ROUTE_NOT_DECLARED', async () => {
    for (const p of [MON_ONLY, CONN_ONLY]) {
      const list = await signed(gw.url, p, 'GET', '/v1/connectors');
      expect(list.status, show(list)).toBe(200);
      await expectSigned(gw.url, list);
      const runs = await signed(gw.url, p, 'GET', '/v1/connectors/court-dishonest/runs');
      expect(runs.status, show(runs)).toBe(200);
    }
    const monStart = await signed(gw.url, MON_ONLY, 'POST', '/v1/connectors/court-dishonest/runs');
    await expectSignedProblem(gw.url, monStart, 403, /^GW_AUTH_/);
    expect(monStart.json.code).not.toBe('GW_AUTH_ROUTE_NOT_DECLARED');
    const start = await signed(gw.url, CONN_ONLY, 'POST', '/v1/connectors/court-dishonest/runs');
    await expectSignedProblem(gw.url, start, 409, 'GW_CONNECTOR_DISABLED');
    const unknown = await signed(gw.url, CONN_ONLY, 'POST', '/v1/connectors/no-such-connector/runs');
    await expectSignedProblem(gw.url, unknown, 404, 'GW_CONNECTOR_NOT_FOUND');
  });
});

describe('purpose, address and pii:read', () => {
  it('a subject profile without a purpose (claim or X-Request-Purpose) is 403; with either, or a percent-encoded UTF-8 header, it is served', async () => {
    const target = `/v1/subjects/${subjZ}`;
    const none = await signed(gw.url, Z, 'GET', target);
    await expectSignedProblem(gw.url, none, 403, /^GW_AUTH_/);
    const claim = await signed(gw.url, Z, 'GET', target, { tamper: (t) => (t.claims.purpose = 'bidding:ZB-2024-001') });
    expect(claim.status, show(claim)).toBe(200);
    const header = await signed(gw.url, Z, 'GET', target, { headers: { 'x-request-purpose': 'bidding:ZB-2024-001' } });
    expect(header.status, show(header)).toBe(200);
    const utf8 = await signed(gw.url, Z, 'GET', target, { headers: { 'x-request-purpose': encodeURIComponent('招标资格审查:ZB-2024-001') } });
    expect(utf8.status, show(utf8)).toBe(200);
  });

  it('a check without a purpose anywhere (body, header, token) is 403; with any one of them it is served', async () => {
    for (const opts of [
      { body: { codes: [subjZ], purpose: 'bidding:ZB-1' } },
      { body: { codes: [subjZ] }, headers: { 'x-request-purpose': 'bidding%3AZB-1' } },
      { body: { codes: [subjZ] }, tamper: (t: { claims: Record<string, unknown> }) => (t.claims.purpose = 'bidding:ZB-1') },
    ]) {
      const ans = await signed(gw.url, Z, 'POST', '/v1/checks', opts);
      expect(ans.status, show(ans)).toBe(200);
    }
    // README: a check without a purpose is 403 GW_CHECK_PURPOSE_REQUIRED (as a subject profile is 403 without one)
    const none = await signed(gw.url, Z, 'POST', '/v1/checks', { body: { codes: [subjZ] } });
    await expectSignedProblem(gw.url, none, 403, 'GW_CHECK_PURPOSE_REQUIRED');
  });

  it('a partner outside its cidrs allow-list is 403, and X-Forwarded-For / Forwarded do not get it in; one inside is served', async () => {
    const plain = await signed(gw.url, CIDR_OUT, 'GET', '/v1/records?limit=1');
    await expectSignedProblem(gw.url, plain, 403, /^GW_AUTH_/);
    for (const headers of [{ 'x-forwarded-for': '10.12.0.5' }, { 'x-real-ip': '10.12.0.5' }, { forwarded: 'for=10.12.0.5' }, { 'x-forwarded-for': '10.12.0.5, 127.0.0.1' }]) {
      const spoofed = await signed(gw.url, CIDR_OUT, 'GET', '/v1/records?limit=1', { headers });
      await expectSignedProblem(gw.url, spoofed, 403, /^GW_AUTH_/);
    }
    const inside = await signed(gw.url, CIDR_IN, 'GET', '/v1/records?limit=1');
    expect(inside.status, show(inside)).toBe(200);
  });

  it('without pii:read a personal identity number appears nowhere in a record, its versions or the change feed; with it, it is shown', async () => {
    const idNumber = makePersonalId('320583', '19900307', 123);
    const pushed = await push(Z, [personPenaltyItem({ system: 'z.all', key: 'PII-1', idNumber })]);
    expect(pushed.status, show(pushed)).toBe(200);
    expect(pushed.json.results[0].status, JSON.stringify(pushed.json.results[0])).toBe('created');
    const id = pushed.json.results[0].recordId as string;
    const withPii = await getRecord(Z, id);
    expect(withPii.status, show(withPii)).toBe(200);
    expect(withPii.text, 'pii:read shows the number').toContain(idNumber);
    const masked = await getRecord(W, id);
    expect(masked.status, show(masked)).toBe(200);
    expect(masked.text).not.toContain(idNumber);
    expect(masked.text).not.toContain(idNumber.slice(0, 14));
    const feed = await signed(gw.url, W, 'GET', '/v1/records?limit=1000');
    expect(feed.text).toContain(id);
    expect(feed.text).not.toContain(idNumber);
  });
});
