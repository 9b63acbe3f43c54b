/**
 * Objections and repairs on the real PostgreSQL and broker: an objection suspends a record from
 * checks and public reads and its decision restores or revokes it; a repair is refused before its
 * earliest date and, once granted, retracts the record from each destination that had it (and only
 * those); every transition is a version with who/when/why; refused transitions are 409s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMonths, chinaDayOf } from '../../src/domain/publication-periods.js';
import { fileObjection } from '../../src/lifecycle/objections.js';
import { readTopic, startTestGateway, type TestGateway } from '../support/env.js';
import { httpClient } from '../support/http-client.js';
import { sampleRecordInput } from '../../src/dev/sample-records.js';

let gw: TestGateway;
const { post, get } = httpClient(() => gw.url);
const topicOf = (name: string) => gw.config.destinations.find((d) => d.name === name)!.topic;

const today = chinaDayOf(new Date());
const sixMonthsAgo = addMonths(today, -6);
const inSixMonths = addMonths(today, 6);

async function ingest(items: unknown[]): Promise<string[]> {
  const res = await post('/v1/records', { records: items });
  expect(res.status).toBe(200);
  expect(res.body.summary.rejected).toBe(0);
  return res.body.results.map((r: any) => r.recordId);
}

async function check(uscc: string) {
  const res = await post('/v1/checks', { codes: [uscc] }, { 'x-request-purpose': 'tender screening (test)' });
  expect(res.status).toBe(200);
  return res.body.results[0];
}

beforeAll(async () => {
  gw = await startTestGateway({ lifecycle: { expiryEnabled: false } });
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
});

describe('objections (异议)', () => {
  it('an objection suspends the record from checks and public reads; a rejected objection restores it', async () => {
    const debtor = sampleRecordInput('dishonest_debtor', 31_001);
    const [recordId] = await ingest([debtor]);
    const uscc = debtor.subject.uscc!;
    expect(await check(uscc)).toMatchObject({ verdict: 'punished', underJointPunishment: true });

    const filed = await post(`/v1/records/${recordId}/objections`, { reason: '已全部履行，名单信息有误', evidence: [{ ref: '（2024）苏0583执1001号结案通知书' }] });
    expect(filed.status).toBe(201);
    expect(filed.body.record).toMatchObject({ status: 'objected', version: 2 });
    expect(filed.body.objection).toMatchObject({ status: 'open', recordId, filerRole: 'partner', overdue: false });
    expect(Date.parse(filed.body.objection.deadlineAt) - Date.parse(filed.body.objection.filedAt)).toBe(gw.config.objections.deadlineDays * 86_400_000);

    expect(await check(uscc)).toMatchObject({ verdict: 'clear', underJointPunishment: false, measures: [], records: [] });
    const profile = await get(`/v1/subjects/${uscc}`);
    expect(profile.body.records.map((r: any) => r.recordId)).not.toContain(recordId);

    // a second objection while the first is open is a refused transition, naming what is allowed
    const again = await post(`/v1/records/${recordId}/objections`, { reason: 'again' }, { 'accept-language': 'en' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'GW_TRANSITION_NOT_ALLOWED', currentStatus: 'objected', requestedAction: 'file_objection' });
    expect(again.body.allowedTransitions.map((t: any) => t.action)).toEqual(['reject_objection', 'correct_record', 'revoke_record', 'withdraw']);

    const decided = await post(`/v1/objections/${filed.body.objection.objectionId}/decision`, { decision: 'rejected', reason: '经核实，名单信息无误' });
    expect(decided.status).toBe(200);
    expect(decided.body.objection).toMatchObject({ status: 'rejected', outcome: null, decisionReason: '经核实，名单信息无误' });
    expect(decided.body.record).toMatchObject({ status: 'active', version: 3 });
    expect(await check(uscc)).toMatchObject({ verdict: 'punished', underJointPunishment: true });

    const twice = await post(`/v1/objections/${filed.body.objection.objectionId}/decision`, { decision: 'rejected', reason: 'x' });
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('GW_OBJECTION_ALREADY_DECIDED');

    // who, when and why of every transition
    const history = await get(`/v1/records/${recordId}`);
    expect(history.body.versions.map((v: any) => [v.version, v.changeKind, v.status])).toEqual([
      [1, 'created', 'active'], [2, 'status_changed', 'objected'], [3, 'status_changed', 'active'],
    ]);
    expect(history.body.versions[1].reason).toContain('已全部履行');
    expect(history.body.versions[2].reason).toContain('rejected');
    expect(history.body.versions[2].actor).toBe('anonymous');
  });

  it('an upheld objection revokes the record: it stays out of checks and is retracted from every destination that had it', async () => {
    const debtor = sampleRecordInput('dishonest_debtor', 31_002);
    const [recordId] = await ingest([debtor]);
    const filed = await post(`/v1/records/${recordId}/objections`, { reason: '主体身份错误' });
    const upheldWithoutOutcome = await post(`/v1/objections/${filed.body.objection.objectionId}/decision`, { decision: 'upheld', reason: 'x' });
    expect(upheldWithoutOutcome.status).toBe(400);
    const decided = await post(`/v1/objections/${filed.body.objection.objectionId}/decision`, { decision: 'upheld', outcome: 'revoked', reason: '异议成立，撤销' });
    expect(decided.status).toBe(200);
    expect(decided.body.objection).toMatchObject({ status: 'upheld', outcome: 'revoked' });
    expect(decided.body.record.status).toBe('revoked');
    expect(await check(debtor.subject.uscc!)).toMatchObject({ verdict: 'clear', records: [] });

    for (const dest of ['prov', 'nat']) {
      const msgs = await readTopic(topicOf(dest), {
        until: (m) => m.some((x) => x.headers['record-id'] === recordId && x.headers['event-type'] === 'record.retracted'),
        settleMs: 300,
      });
      const mine = msgs.filter((m) => m.headers['record-id'] === recordId);
      expect(mine.map((m) => [m.headers['event-type'], m.value.record.status, m.headers['record-version']])).toEqual([
        ['record.upserted', 'active', '1'],
        ['record.status_changed', 'objected', '2'],
        ['record.status_changed', 'revoked', '3'],
        ['record.retracted', 'revoked', '4'],
      ]);
    }
  });

  it('upheld with correction: the corrected record is out until the source sends the correction, then published again', async () => {
    const penalty = sampleRecordInput('admin_penalty', 31_003, { severity: 'severe', decidedAt: sixMonthsAgo, publishUntil: inSixMonths });
    const [recordId] = await ingest([penalty]);
    const filed = await post(`/v1/records/${recordId}/objections`, { reason: '处罚金额有误' });
    await post(`/v1/objections/${filed.body.objection.objectionId}/decision`, { decision: 'upheld', outcome: 'corrected', reason: '金额更正' });
    expect(await check(penalty.subject.uscc!)).toMatchObject({ verdict: 'clear' });

    const corrected = structuredClone(penalty);
    (corrected.data as any).CF_NR = '罚款人民币3万元。';
    const res = await post('/v1/records', { records: [corrected] });
    // the correction is version 4 (still corrected), its return to active version 5
    expect(res.body.results[0]).toMatchObject({ status: 'updated', version: 5 });
    const history = await get(`/v1/records/${recordId}`);
    expect(history.body.record.status).toBe('active');
    expect(history.body.versions.slice(3).map((v: any) => [v.version, v.changeKind, v.status])).toEqual([[4, 'updated', 'corrected'], [5, 'status_changed', 'active']]);
    expect(await check(penalty.subject.uscc!)).toMatchObject({ verdict: 'punished' });
  });

  it('open objections past their deadline are listed as overdue', async () => {
    const [recordId] = await ingest([sampleRecordInput('admin_penalty', 31_004)]);
    const longAgo = new Date(Date.now() - (gw.config.objections.deadlineDays + 2) * 86_400_000);
    const { objection } = await fileObjection(
      { pool: gw.ctx.pool, config: gw.config, outbox: gw.ctx.outbox, now: () => longAgo },
      recordId!,
      { reason: '逾期未处理的异议', evidence: [] },
      { actor: 'test', partnerId: null, grant: null },
    );
    const overdue = await get('/v1/objections?overdue=true');
    expect(overdue.status).toBe(200);
    expect(overdue.body.items.map((o: any) => o.objectionId)).toContain(objection.objectionId);
    expect(overdue.body.items.every((o: any) => o.status === 'open' && o.overdue)).toBe(true);
    const one = await get(`/v1/objections/${objection.objectionId}`);
    expect(one.body).toMatchObject({ objectionId: objection.objectionId, overdue: true });
  });

  it('an objection on an unknown record is a 404', async () => {
    const res = await post('/v1/records/00000000-0000-5000-8000-00000000abcd/objections', { reason: 'x' });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('GW_RECORD_NOT_FOUND');
  });
});

describe('repairs (信用修复)', () => {
  it('is refused before the earliest repair date, with the date', async () => {
    const penalty = sampleRecordInput('admin_penalty', 32_001, { severity: 'general', decidedAt: today });
    const [recordId] = await ingest([penalty]);
    const stored = await get(`/v1/records/${recordId}`);
    expect(stored.body.record).toMatchObject({ publishFrom: today, earliestRepairAt: addMonths(today, 3) });
    const res = await post(`/v1/records/${recordId}/repairs`, { commitmentRef: 'XYCN-2025-0001' }, { 'accept-language': 'en' });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'GW_REPAIR_TOO_EARLY', earliestRepairAt: addMonths(today, 3) });
    expect(res.body.detail).toContain(addMonths(today, 3));
  });

  it('requires a credit commitment reference, and only negative records can be repaired', async () => {
    const [penaltyId, licenseId] = await ingest([sampleRecordInput('admin_penalty', 32_002, { decidedAt: sixMonthsAgo }), sampleRecordInput('admin_license', 32_002)]);
    const noCommitment = await post(`/v1/records/${penaltyId}/repairs`, { reason: '已整改' });
    expect(noCommitment.status).toBe(400);
    expect(noCommitment.body.errors.map((e: any) => e.pointer + ' ' + e.rule)).toContain('/commitmentRef required');
    const license = await post(`/v1/records/${licenseId}/repairs`, { commitmentRef: 'XYCN-1' });
    expect(license.status).toBe(422);
    expect(license.body.code).toBe('GW_REPAIR_NOT_APPLICABLE');
  });

  it('a granted repair retracts the record from each destination that had it, and keeps it in history', async () => {
    // admin_penalty goes to both destinations; bidding_misconduct only to "prov"
    const penalty = sampleRecordInput('admin_penalty', 32_003, { severity: 'severe', decidedAt: addMonths(today, -13), publishUntil: inSixMonths });
    const bidding = sampleRecordInput('bidding_misconduct', 32_003, { severity: 'general', decidedAt: addMonths(today, -7), publishUntil: inSixMonths });
    const [penaltyId, biddingId] = await ingest([penalty, bidding]);
    const uscc = penalty.subject.uscc!;
    expect((await check(uscc)).records.map((r: any) => r.recordId).sort()).toEqual([penaltyId, biddingId].sort());

    const repairIds: string[] = [];
    for (const id of [penaltyId, biddingId]) {
      const requested = await post(`/v1/records/${id}/repairs`, { commitmentRef: `XYCN-${id!.slice(0, 8)}`, reason: '已整改到位', evidence: [{ ref: '整改报告 2025-01' }] });
      expect(requested.status).toBe(201);
      expect(requested.body.record.status).toBe('repair_requested');
      expect(requested.body.repair).toMatchObject({ status: 'requested', commitmentRef: `XYCN-${id!.slice(0, 8)}` });
      repairIds.push(requested.body.repair.repairId);
    }
    // still published (and counted) while the request is pending
    expect(await check(uscc)).toMatchObject({ verdict: 'punished' });

    for (const repairId of repairIds) {
      const granted = await post(`/v1/repairs/${repairId}/decision`, { decision: 'granted', reason: '符合修复条件' });
      expect(granted.status).toBe(200);
      expect(granted.body.record.status).toBe('repaired');
      expect(granted.body.repair.status).toBe('granted');
    }
    expect(await check(uscc)).toMatchObject({ verdict: 'clear', records: [] });
    expect((await get(`/v1/subjects/${uscc}`)).body.records.map((r: any) => r.recordId)).not.toContain(penaltyId);

    const retracted = (m: { headers: Record<string, string> }, id: string) => m.headers['record-id'] === id && m.headers['event-type'] === 'record.retracted';
    const prov = await readTopic(topicOf('prov'), { until: (m) => m.some((x) => retracted(x, penaltyId!)) && m.some((x) => retracted(x, biddingId!)), settleMs: 500 });
    const nat = await readTopic(topicOf('nat'), { until: (m) => m.some((x) => retracted(x, penaltyId!)), settleMs: 500 });
    expect(prov.filter((m) => retracted(m, penaltyId!))).toHaveLength(1);
    expect(prov.filter((m) => retracted(m, biddingId!))).toHaveLength(1);
    expect(nat.filter((m) => retracted(m, penaltyId!))).toHaveLength(1);
    // "nat" never had the bidding record, so it is told nothing about it
    expect(nat.filter((m) => m.headers['record-id'] === biddingId)).toHaveLength(0);
    const event = prov.find((m) => retracted(m, penaltyId!))!;
    expect(event.key).toBe(uscc);
    expect(event.value.record).toMatchObject({ status: 'repaired', version: 4 });
    expect(event.headers['record-version']).toBe('4');

    const history = await get(`/v1/records/${penaltyId}`);
    expect(history.body.record.status).toBe('repaired');
    expect(history.body.versions.map((v: any) => [v.changeKind, v.status])).toEqual([
      ['created', 'active'], ['status_changed', 'repair_requested'], ['status_changed', 'repaired'], ['retracted', 'repaired'],
    ]);
    expect(history.body.versions[2].reason).toContain('符合修复条件');

    // repaired is final
    const objection = await post(`/v1/records/${penaltyId}/objections`, { reason: 'x' });
    expect(objection.status).toBe(409);
    expect(objection.body.allowedTransitions).toEqual([]);
  });

  it('a rejected repair leaves the record published', async () => {
    const [id] = await ingest([sampleRecordInput('procurement_breach', 32_004, { severity: 'severe', decidedAt: addMonths(today, -13), publishUntil: inSixMonths })]);
    const requested = await post(`/v1/records/${id}/repairs`, { commitmentRef: 'XYCN-9' });
    const rejected = await post(`/v1/repairs/${requested.body.repair.repairId}/decision`, { decision: 'rejected', reason: '未完成整改' });
    expect(rejected.body.record.status).toBe('active');
    expect(await check(sampleRecordInput('procurement_breach', 32_004).subject.uscc!)).toMatchObject({ verdict: 'punished' });
    const unknown = await post('/v1/repairs/00000000-0000-4000-8000-000000000000/decision', { decision: 'granted', reason: 'x' });
    expect(unknown.status).toBe(404);
  });
});
