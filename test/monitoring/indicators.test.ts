/**
 * Indicators, scores and rankings of the 政务诚信 report on a small seeded database whose expected
 * numbers are worked out by hand below, including period boundaries, late arrivals, and records
 * repaired, objected or expired inside and after the period (state taken from record_versions).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordInput } from '../../src/domain/record.js';
import { contentHashOf, recordIdFor } from '../../src/domain/record.js';
import { isGovernmentKind, syntheticUscc, type SubjectKind } from '../../src/domain/uscc.js';
import { parsePeriod } from '../../src/monitoring/report-period.js';
import { buildIntegrityReport, type IntegrityReport, type ReportLevel } from '../../src/monitoring/report.js';
import { inTransaction } from '../../src/store/db.js';
import { writeRecords, writeStatusChange, type PreparedRecord } from '../../src/store/records-repo.js';
import type { RecordStatus } from '../../src/domain/record.js';
import { startTestGateway, type TestGateway } from '../support/env.js';
import { sampleRecordInput } from '../../src/dev/sample-records.js';
import { Outbox } from '../../src/outbox/outbox.js';

/** The seeded history is not published anywhere. */
const NO_DESTINATIONS = new Outbox({ destinations: [], alertsTopic: 'unused' });

let gw: TestGateway;

// Subjects (regions: 320583 昆山 and 320508 姑苏区 → 苏州 320500; 320102 玄武区 → 南京 320100; 110105 朝阳区 → 北京).
const KUNSHAN_ORGAN = syntheticUscc(101, { kindCode: '11', region: '320583' });
const KUNSHAN_INSTITUTION = syntheticUscc(102, { kindCode: '12', region: '320583' });
const GUSU_ORGAN = syntheticUscc(201, { kindCode: '11', region: '320508' });
const XUANWU_ORGAN = syntheticUscc(301, { kindCode: '11', region: '320102' });
const XUANWU_ENTERPRISE = syntheticUscc(302, { kindCode: '91', region: '320102' });
const XUANWU_NAMED_ORGAN = syntheticUscc(303, { kindCode: '91', region: '320102' }); // recognised by name
const CHAOYANG_ORGAN = syntheticUscc(401, { kindCode: '11', region: '110105' });

/** A time in China Standard Time, e.g. cst('2026-06-30T23:00'). */
const cst = (local: string) => new Date(`${local}:00+08:00`);

interface Seed {
  key: string;
  uscc: string;
  category: 'admin_penalty' | 'dishonest_debtor' | 'procurement_breach' | 'admin_license';
  severity?: 'minor' | 'general' | 'severe';
  decidedAt: string;
  publishUntil?: string;
  createdAt: Date;
  data?: Record<string, unknown>;
  governmentByName?: boolean;
  /** later status changes, in order */
  changes?: Array<{ status: RecordStatus; at: Date }>;
  /** a later change of content (a new version of the source row) */
  contentChange?: { at: Date; severity?: 'minor' | 'general' | 'severe'; governmentByName?: boolean };
}

const SEEDS: Seed[] = [
  // 昆山
  { key: 'A', uscc: KUNSHAN_ORGAN, category: 'admin_penalty', severity: 'severe', decidedAt: '2026-03-10', createdAt: cst('2026-03-15T10:00') },
  { key: 'B', uscc: KUNSHAN_INSTITUTION, category: 'admin_penalty', severity: 'general', decidedAt: '2026-04-10', createdAt: cst('2026-04-12T10:00') },
  { key: 'C', uscc: KUNSHAN_ORGAN, category: 'admin_penalty', severity: 'minor', decidedAt: '2026-05-01', createdAt: cst('2026-05-02T10:00'),
    changes: [{ status: 'repair_requested', at: cst('2026-06-01T10:00') }, { status: 'repaired', at: cst('2026-06-10T10:00') }] },
  { key: 'D', uscc: KUNSHAN_ORGAN, category: 'admin_penalty', severity: 'general', decidedAt: '2026-01-05', publishUntil: '2026-06-15', createdAt: cst('2026-01-06T10:00') },
  { key: 'O', uscc: KUNSHAN_ORGAN, category: 'admin_penalty', severity: 'minor', decidedAt: '2026-06-30', createdAt: cst('2026-06-30T23:00') },
  { key: 'P', uscc: KUNSHAN_ORGAN, category: 'admin_penalty', severity: 'minor', decidedAt: '2026-07-01', createdAt: cst('2026-07-01T01:00') },
  { key: 'M', uscc: KUNSHAN_ORGAN, category: 'admin_license', decidedAt: '2026-04-01', createdAt: cst('2026-04-02T10:00') },
  // 姑苏区: one organ on the 失信被执行人 list twice, and two procurement payment defaults
  { key: 'E', uscc: GUSU_ORGAN, category: 'dishonest_debtor', decidedAt: '2026-02-01', createdAt: cst('2026-02-02T10:00'),
    changes: [{ status: 'repair_requested', at: cst('2026-07-20T10:00') }, { status: 'repaired', at: cst('2026-08-01T10:00') }] },
  { key: 'F', uscc: GUSU_ORGAN, category: 'dishonest_debtor', decidedAt: '2026-04-20', createdAt: cst('2026-04-21T10:00') },
  { key: 'G', uscc: GUSU_ORGAN, category: 'procurement_breach', severity: 'general', decidedAt: '2026-05-05', createdAt: cst('2026-05-06T10:00'),
    data: { resolved: false, resolvedAt: undefined } },
  { key: 'H', uscc: GUSU_ORGAN, category: 'procurement_breach', severity: 'general', decidedAt: '2026-05-07', createdAt: cst('2026-05-08T10:00'),
    data: { resolved: true, resolvedAt: '2026-05-20' } },
  // minor at the end of Q2; the source re-rated it severe in August (content change after the period)
  { key: 'U', uscc: GUSU_ORGAN, category: 'admin_penalty', severity: 'minor', decidedAt: '2026-05-15', createdAt: cst('2026-05-16T10:00'),
    contentChange: { at: cst('2026-08-20T10:00'), severity: 'severe' } },
  // 玄武区
  { key: 'I', uscc: XUANWU_ENTERPRISE, category: 'admin_penalty', severity: 'severe', decidedAt: '2026-05-01', createdAt: cst('2026-05-02T10:00') },
  { key: 'J', uscc: XUANWU_NAMED_ORGAN, category: 'admin_penalty', severity: 'general', decidedAt: '2026-06-01', createdAt: cst('2026-06-02T10:00'), governmentByName: true },
  { key: 'K', uscc: XUANWU_ORGAN, category: 'admin_penalty', severity: 'severe', decidedAt: '2026-06-20', createdAt: cst('2026-07-05T10:00') },
  { key: 'Q', uscc: XUANWU_ORGAN, category: 'admin_penalty', severity: 'general', decidedAt: '2026-02-20', publishUntil: '2026-06-30', createdAt: cst('2026-03-01T10:00') },
  { key: 'R', uscc: XUANWU_ORGAN, category: 'admin_penalty', severity: 'general', decidedAt: '2026-02-20', publishUntil: '2026-07-01', createdAt: cst('2026-03-01T10:00') },
  // an enterprise's record, recognised as a government body's only in August (content change)
  { key: 'T', uscc: XUANWU_ENTERPRISE, category: 'admin_penalty', severity: 'general', decidedAt: '2026-05-20', createdAt: cst('2026-05-21T10:00'),
    contentChange: { at: cst('2026-08-10T10:00'), governmentByName: true } },
  // 朝阳区: objected inside Q2, restored to active in Q3
  { key: 'L', uscc: CHAOYANG_ORGAN, category: 'admin_penalty', severity: 'general', decidedAt: '2026-02-10', createdAt: cst('2026-03-01T10:00'),
    changes: [{ status: 'objected', at: cst('2026-06-01T10:00') }, { status: 'active', at: cst('2026-08-01T10:00') }] },
];

const PAYMENT_DEFAULT_N = 2; // sampleRecordInput: n % 3 = 2 → payment_default

function inputOf(seed: Seed): RecordInput {
  const n = seed.category === 'procurement_breach' ? PAYMENT_DEFAULT_N : 7;
  const base = sampleRecordInput(seed.category, n, {
    subject: { uscc: seed.uscc, name: `主体${seed.key}`, kind: undefined, region: undefined },
    source: { system: 'monitoring-test', key: seed.key },
    decidedAt: seed.decidedAt,
    ...(seed.data ? { data: seed.data } : {}),
  });
  if (seed.severity) base.severity = seed.severity;
  // The source's own end of publication; without one the gateway would derive it from the decision
  // date (src/domain/publication-periods.ts) — here only D, Q and R end, on their given dates.
  base.publishUntil = seed.publishUntil ?? '2029-12-31';
  return base;
}

function prepare(gwLocal: TestGateway, seed: Seed): PreparedRecord {
  const prepared = gwLocal.ctx.preparer.prepare(inputOf(seed));
  if (!prepared.ok) throw new Error(`seed ${seed.key} invalid: ${JSON.stringify(prepared.errors)}`);
  const record = prepared.record;
  if (seed.governmentByName) {
    record.content = { ...record.content, flags: { governmentSubject: true } };
    record.contentHash = contentHashOf(record.content);
  }
  return record;
}

async function seedAll(): Promise<void> {
  const events: Array<{ at: Date; run: () => Promise<unknown> }> = [];
  for (const seed of SEEDS) {
    const record = prepare(gw, seed);
    events.push({ at: seed.createdAt, run: () => inTransaction(gw.ctx.pool, (c) => writeRecords(c, [record], { actor: 'test', outbox: NO_DESTINATIONS, now: seed.createdAt })) });
    if (seed.contentChange) {
      const { at, ...patch } = seed.contentChange;
      const changed = prepare(gw, { ...seed, ...patch });
      events.push({ at, run: () => inTransaction(gw.ctx.pool, (c) => writeRecords(c, [changed], { actor: 'test', outbox: NO_DESTINATIONS, now: at })) });
    }
    for (const change of seed.changes ?? []) {
      events.push({
        at: change.at,
        run: () => inTransaction(gw.ctx.pool, (c) => writeStatusChange(c, record.recordId, change.status, { actor: 'test', outbox: NO_DESTINATIONS, now: change.at, reason: 'test' })),
      });
    }
  }
  events.sort((a, b) => a.at.getTime() - b.at.getTime());
  for (const e of events) await e.run();
  await seedHandling();
}

const recordIdOf = (key: string) => recordIdFor('monitoring-test', key);

/** Objections and repairs (the lifecycle's tables of migration 004), as its routes would leave them. */
async function seedHandling(): Promise<void> {
  const db = gw.ctx.pool;
  // L (朝阳): objection filed 06-01, deadline 06-16, rejected only on 08-01 → open past its deadline at
  // the end of Q2; handled late inside Q3.
  await db.query(
    `INSERT INTO objections (objection_id, record_id, status, filed_by, filer_role, reason, filed_at, deadline_at, decided_by, decided_at)
     VALUES (gen_random_uuid(), $1, 'rejected', 'p1', 'partner', '异议', $2, $3, 'op', $4)`,
    [recordIdOf('L'), cst('2026-06-01T10:00'), cst('2026-06-16T10:00'), cst('2026-08-01T10:00')],
  );
  // C (昆山): repair requested 06-01 (deadline 06-20), granted 06-10 → handled in Q2, in time.
  // E (姑苏): repair requested 07-20 (deadline 07-25), granted 08-01 → handled late in Q3.
  for (const [key, requested, deadline, decided] of [
    ['C', '2026-06-01T10:00', '2026-06-20T10:00', '2026-06-10T10:00'],
    ['E', '2026-07-20T10:00', '2026-07-25T10:00', '2026-08-01T10:00'],
  ] as const) {
    await db.query(
      `INSERT INTO repairs (repair_id, record_id, status, requested_by, commitment_ref, requested_at, deadline_at, decided_by, decided_at)
       VALUES (gen_random_uuid(), $1, 'granted', 'p1', 'XYCN-1', $2, $3, 'op', $4)`,
      [recordIdOf(key), cst(requested), cst(deadline), cst(decided)],
    );
  }
}

const NOW = cst('2026-11-23T12:00');

async function report(period: string, level: ReportLevel, regionPrefix?: string): Promise<IntegrityReport> {
  return buildIntegrityReport(gw.ctx.pool, { period: parsePeriod(period)!, level, regionPrefix, weights: gw.config.monitoring.scoreWeights, now: NOW });
}

function row(r: IntegrityReport, code: string) {
  const found = r.rows.find((x) => x.code === code);
  if (!found) throw new Error(`no row ${code} in ${r.rows.map((x) => x.code).join(',')}`);
  return found;
}

beforeAll(async () => {
  gw = await startTestGateway({
    relay: { enabled: false },
    monitoring: { detectorEnabled: false },
  });
  // the weights the hand calculations below use (the defaults)
  expect(gw.config.monitoring.scoreWeights).toEqual({ severe: 10, general: 3, minor: 1, dishonestDebtor: 20, paymentDefault: 5, overdueHandling: 2, halfScorePenalty: 100 });
  await seedAll();
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
});

describe('county level, 2026Q2 (state at 2026-07-01 00:00 CST)', () => {
  it('counts active negative records by severity and category, new ones, debtors and payment defaults', async () => {
    const r = await report('2026Q2', 'county');
    expect(r.stateAt).toBe('2026-06-30T16:00:00.000Z');
    expect(r.rows.map((x) => x.code).sort()).toEqual(['110105', '320102', '320508', '320583']);

    // 昆山: A severe, B general, O minor (decided on the last day, stored 23:00) in force;
    // C repaired in June, D past publishUntil 06-15, P stored after the period end, M neutral.
    const kunshan = row(r, '320583');
    expect(kunshan.name).toBe('昆山市');
    expect(kunshan.activeNegative).toEqual({ total: 3, bySeverity: { severe: 1, general: 1, minor: 1 }, byCategory: { admin_penalty: 3 } });
    expect(kunshan.newInPeriod.total).toBe(3); // B, C (repaired but new), O
    expect(kunshan.debtorSubjects).toBe(0);
    expect(kunshan.repairs).toEqual({ handled: 1, pastDeadline: 0 }); // C's repair, granted in time
    expect(kunshan.penalty).toBe(14); // 10 + 3 + 1
    expect(kunshan.score).toBe(87.72); // 100 × 100 / 114

    // 姑苏: E (repaired only in August) and F on the list → 1 debtor subject; G unresolved, H resolved;
    // U still minor (it was re-rated severe only in August).
    const gusu = row(r, '320508');
    expect(gusu.activeNegative).toEqual({
      total: 5,
      bySeverity: { severe: 2, general: 2, minor: 1 },
      byCategory: { dishonest_debtor: 2, procurement_breach: 2, admin_penalty: 1 },
    });
    expect(gusu.newInPeriod.total).toBe(4); // F, G, H, U
    expect(gusu.debtorSubjects).toBe(1);
    expect(gusu.unresolvedPaymentDefaults).toBe(1);
    expect(gusu.penalty).toBe(52); // 2×10 + 2×3 + 1 + 20 + 5
    expect(gusu.score).toBe(65.79); // 100 × 100 / 152

    // 玄武: J (recognised by name) and R (publishUntil 07-01 still runs) in force; Q ended 06-30;
    // I and T are an enterprise's (T recognised as a government body's only in August); K was decided
    // in June but stored only on 07-05.
    const xuanwu = row(r, '320102');
    expect(xuanwu.activeNegative.bySeverity).toEqual({ severe: 0, general: 2, minor: 0 });
    expect(xuanwu.newInPeriod.total).toBe(1); // J
    expect(xuanwu.score).toBe(94.34); // 100 × 100 / 106

    // 朝阳: L objected (not in force); its objection is open past the deadline at the period end.
    const chaoyang = row(r, '110105');
    expect(chaoyang.activeNegative.total).toBe(0);
    expect(chaoyang.objections).toEqual({ handled: 0, pastDeadline: 1 });
    expect(chaoyang.penalty).toBe(2);
    expect(chaoyang.score).toBe(98.04); // 100 × 100 / 102

    expect(r.rows.map((x) => [x.rank, x.code])).toEqual([[1, '110105'], [2, '320102'], [3, '320583'], [4, '320508']]);
  });
});

describe('roll-up to city and province, and the ranking', () => {
  it('city level sums the counties of 苏州 and ranks 南京 above it', async () => {
    const r = await report('2026Q2', 'city');
    const suzhou = row(r, '320500');
    expect(suzhou.name).toBe('苏州市');
    expect(suzhou.activeNegative.bySeverity).toEqual({ severe: 3, general: 3, minor: 2 });
    expect(suzhou.newInPeriod.total).toBe(7);
    expect(suzhou.penalty).toBe(66); // 3×10 + 3×3 + 2 + 20 + 5
    expect(suzhou.score).toBe(60.24);
    expect(r.rows.map((x) => [x.rank, x.code, x.score])).toEqual([[1, '110000', 98.04], [2, '320100', 94.34], [3, '320500', 60.24]]);
  });

  it('province level', async () => {
    const r = await report('2026Q2', 'province');
    expect(r.rows.map((x) => x.code)).toEqual(['110000', '320000']);
    const jiangsu = row(r, '320000');
    expect(jiangsu.activeNegative.total).toBe(10);
    expect(jiangsu.penalty).toBe(72); // 3×10 + 5×3 + 2 + 20 + 5
    expect(jiangsu.score).toBe(58.14);
  });

  it('with a region filter every city of the province is ranked; ties share a rank', async () => {
    const r = await report('2026Q2', 'city', '32');
    expect(r.rows).toHaveLength(13); // the 13 prefecture-level cities of 江苏
    const clean = r.rows.filter((x) => x.score === 100);
    expect(clean).toHaveLength(11);
    expect(new Set(clean.map((x) => x.rank))).toEqual(new Set([1]));
    expect(row(r, '320100').rank).toBe(12);
    expect(row(r, '320500').rank).toBe(13);
  });

  it('subject level ranks government subjects by USCC with their names', async () => {
    const r = await report('2026Q2', 'subject');
    const gusu = row(r, GUSU_ORGAN);
    expect(gusu.name).toBe('主体U'); // the name on its most recently updated record (U, re-rated 08-20)
    expect(gusu.score).toBe(65.79);
    expect(r.rows.some((x) => x.code === XUANWU_ENTERPRISE)).toBe(false);
    expect(r.rows[r.rows.length - 1]!.code).toBe(GUSU_ORGAN);
  });
});

describe('the next quarter, 2026Q3 (state at 2026-10-01 00:00 CST)', () => {
  it('sees the repairs, restorations and expiries of July to September', async () => {
    const r = await report('2026Q3', 'county');
    // 昆山: A, B, O, P (decided 07-01, new) in force
    expect(row(r, '320583').activeNegative.bySeverity).toEqual({ severe: 1, general: 1, minor: 2 });
    expect(row(r, '320583').newInPeriod.total).toBe(1);
    expect(row(r, '320583').score).toBe(86.96); // 100 × 100 / 115
    // 姑苏: E repaired on 08-01; F, G, H remain; U is severe now
    expect(row(r, '320508').activeNegative.bySeverity).toEqual({ severe: 2, general: 2, minor: 0 });
    expect(row(r, '320508').debtorSubjects).toBe(1);
    expect(row(r, '320508').newInPeriod.total).toBe(0);
    expect(row(r, '320508').repairs).toEqual({ handled: 1, pastDeadline: 1 }); // E's repair, decided late
    expect(row(r, '320508').score).toBe(65.36); // 100 × 100 / (2×10 + 2×3 + 20 + 5 + 2)
    // 玄武: K arrived (severe), R ended 07-01, J remains, T now a government body's
    expect(row(r, '320102').activeNegative.bySeverity).toEqual({ severe: 1, general: 2, minor: 0 });
    expect(row(r, '320102').score).toBe(86.21); // 100 × 100 / 116
    // 朝阳: L restored to active in August
    expect(row(r, '110105').activeNegative.total).toBe(1);
    expect(row(r, '110105').objections).toEqual({ handled: 1, pastDeadline: 1 });
    expect(row(r, '110105').score).toBe(95.24); // 100 × 100 / (3 + 2)
  });

  it('a period that has not started has no state; a running one is reported as of now', async () => {
    const running = await report('2026Q4', 'county');
    expect(running.stateAt).toBe(NOW.toISOString());
    // E is repaired and P … still in force as of now; the numbers equal Q3's except nothing is new
    expect(row(running, '320583').activeNegative.total).toBe(4);
    expect(row(running, '320583').newInPeriod.total).toBe(0);
    const future = await report('2027Q1', 'county');
    expect(future.rows).toEqual([]);
  });
});

describe('the database rules agree with the TypeScript ones', () => {
  it('monitoring_is_government matches isGovernmentKind for every subject kind, and honours flags', async () => {
    const kinds: SubjectKind[] = ['organ', 'public_institution', 'mass_organization', 'other_institution', 'social_organization',
      'private_non_enterprise', 'foundation', 'enterprise', 'individual_business', 'cooperative', 'other'];
    const { rows } = await gw.ctx.pool.query<{ kind: string; gov: boolean }>(
      `SELECT k AS kind, monitoring_is_government(jsonb_build_object('subject', jsonb_build_object('kind', k))) AS gov FROM unnest($1::text[]) k`,
      [kinds],
    );
    expect(rows.map((r) => [r.kind, r.gov])).toEqual(kinds.map((k) => [k, isGovernmentKind(k)]));
    const flagged = await gw.ctx.pool.query<{ gov: boolean }>(
      `SELECT monitoring_is_government('{"subject":{"kind":"enterprise"},"flags":{"governmentSubject":true}}'::jsonb) AS gov`,
    );
    expect(flagged.rows[0]!.gov).toBe(true);
  });
});

describe('GET /v1/reports/integrity', () => {
  let api: TestGateway;
  beforeAll(async () => {
    api = await startTestGateway({ relay: { enabled: false }, monitoring: { detectorEnabled: false }, auth: { enabled: false } }, gw.db);
  });
  afterAll(async () => {
    await api?.stop();
  });

  it('answers JSON with the ranking', async () => {
    const res = await fetch(`${api.url}/v1/reports/integrity?period=2026Q2&level=city`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as IntegrityReport;
    expect(body.period.id).toBe('2026Q2');
    expect(body.rows.map((x) => [x.rank, x.code, x.name])).toEqual([[1, '110000', '北京市'], [2, '320100', '南京市'], [3, '320500', '苏州市']]);
  });

  it('answers CSV by format=csv and by Accept: text/csv', async () => {
    for (const [query, headers] of [['&format=csv', {}], ['', { accept: 'text/csv' }]] as const) {
      const res = await fetch(`${api.url}/v1/reports/integrity?period=2026Q2&level=city${query}`, { headers });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
      const lines = (await res.text()).replace(/^\uFEFF/, '').trim().split('\r\n');
      expect(lines[0]).toMatch(/^rank,code,name,score,penalty,/);
      expect(lines.slice(1)).toEqual([
        '1,110000,北京市,98.04,2,0,0,0,0,0,0,0,0,1,0,0',
        '2,320100,南京市,94.34,6,2,0,2,0,1,0,0,0,0,0,0',
        '3,320500,苏州市,60.24,66,8,3,3,2,7,1,1,0,0,1,0',
      ]);
    }
  });

  it('refuses a malformed period and one that has not started, as problem+json', async () => {
    const bad = await fetch(`${api.url}/v1/reports/integrity?period=2026Q5`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('GW_REPORT_PERIOD_INVALID');
    const future = await fetch(`${api.url}/v1/reports/integrity?period=2099Q1`);
    expect(future.status).toBe(422);
    expect(((await future.json()) as { code: string }).code).toBe('GW_REPORT_PERIOD_NOT_STARTED');
  });
});
