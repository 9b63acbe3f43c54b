/**
 * procurement end to end on the real PostgreSQL and Kafka, through the fixture source: both lists
 * (serious-dishonesty suppliers, purchasers' contract/payment defaults) read in one pass, malformed
 * rows quarantined with their errors, no new events on an unchanged second run, a changed row → one
 * new version, rows gone from the lists → `removed`, and a row listed again → active again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureConnectorInstances, fixtureRows } from '../../connectors/fixtures-server/fixture-data.js';
import { rowsOf, startFixtureSources, type FixtureSources } from '../../connectors/fixtures-server/server.js';
import { readTopic, startTestGateway, type TestGateway } from '../support/env.js';
import { eventTypesOf, issuesOf, outboxCount, quarantineOf, recordBySourceKey, runConnectorOnce } from '../support/connector-runs.js';

const SYSTEM = 'ccgp';
let src: FixtureSources;
let gw: TestGateway;
let serious: Array<Record<string, any>>;
let defaults: Array<Record<string, any>>;
let prov: string;

const badSerious = { ...fixtureRows().procurementSerious[0]!, jlbh: 'CCGP-YZSX-BAD-1', cfrq: '2023-13-45', bzxx: '备注（未知字段）' };
const badDefault = { ...fixtureRows().procurementDefaults[0]!, jlbh: 'CCGP-CGRWY-BAD-1', wylx: '违约金' };

beforeAll(async () => {
  src = await startFixtureSources();
  const f = fixtureRows();
  serious = [...f.procurementSerious, badSerious];
  defaults = [...f.procurementDefaults, badDefault];
  src.sets.procurementSerious = rowsOf(serious);
  src.sets.procurementDefaults = rowsOf(defaults);
  gw = await startTestGateway({
    connectors: {
      defaults: { backoffBaseMs: 10, perHostRatePerSecond: 1000, removalAfterRuns: 1, invalidThreshold: 0.5 },
      instances: fixtureConnectorInstances(src.url, 3),
    },
  });
  prov = gw.config.destinations[0]!.topic;
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
  await src?.close();
});

describe('procurement connector', () => {
  it('reads both lists in one pass, stores valid rows and quarantines the rest', async () => {
    const run = await runConnectorOnce(gw, 'procurement');
    expect(run.state).toBe('succeeded');
    expect(run.pulled).toBe(serious.length + defaults.length);
    expect(run.pages).toBe(Math.ceil(serious.length / 3) + Math.ceil(defaults.length / 3));
    // the fixture's last purchaser default carries an invalid USCC; plus the two malformed rows added here
    expect(run.rejected).toBe(3);
    expect(run.created).toBe(serious.length + defaults.length - 3);
    expect(src.requests.map((r) => r.path)).toEqual([
      ...Array(Math.ceil(serious.length / 3)).fill('/procurement/serious-dishonesty'),
      ...Array(Math.ceil(defaults.length / 3)).fill('/procurement/purchaser-defaults'),
    ]);

    const supplier = (await recordBySourceKey(gw, SYSTEM, `serious|${serious[0]!.jlbh}`))!;
    expect(supplier.envelope).toMatchObject({
      category: 'procurement_breach', severity: 'severe',
      subject: { name: serious[0]!.qymc, uscc: serious[0]!.tyshxydm, kind: 'enterprise' },
      flags: { governmentSubject: false },
      publishFrom: serious[0]!.gbrq, publishUntil: serious[0]!.jzjzrq,
      data: { listType: 'serious_dishonesty', penaltyDate: serious[0]!.cfrq, enforcementAgency: serious[0]!.zfdw },
    });
    const payment = (await recordBySourceKey(gw, SYSTEM, `default|${defaults[0]!.jlbh}`))!;
    expect(payment.envelope).toMatchObject({
      severity: 'general',
      subject: { name: defaults[0]!.cgr, kind: 'public_institution' },
      flags: { governmentSubject: true },
      data: { listType: 'payment_default', amountOverdue: 30000, contractAmount: 100000, resolved: false, dueDate: defaults[0]!.ydfkrq },
    });
    const contract = defaults.find((d) => d.wylx === '合同违约')!;
    expect((await recordBySourceKey(gw, SYSTEM, `default|${contract.jlbh}`))!.envelope.data.listType).toBe('contract_default');

    const q = await quarantineOf(gw, 'procurement');
    const rules = Object.fromEntries(q.map((x) => [x.sourceKey, x.errors.map((e) => `${e.pointer} ${e.rule}`)]));
    expect(rules).toEqual({
      'serious|CCGP-YZSX-BAD-1': ['/cfrq source.date'],
      'default|CCGP-CGRWY-BAD-1': ['/wylx source.unknown_code'],
      [`default|${defaults[6]!.jlbh}`]: ['/cgrdm source.uscc'],
    });
    // the raw source row is kept verbatim, tagged with the list it came from
    expect(q.find((x) => x.sourceKey === 'default|CCGP-CGRWY-BAD-1')!.raw).toEqual({ list: 'defaults', row: badDefault });
    const issues = await issuesOf(gw, 'procurement');
    expect(issues).toEqual(expect.arrayContaining([
      { kind: 'unknown_field', field: 'bzxx', value: '' },
      { kind: 'unknown_code', field: 'wylx', value: '违约金' },
    ]));

    const msgs = await readTopic(prov, { until: (m) => m.length >= run.created, settleMs: 300 });
    expect(msgs).toHaveLength(run.created);
    expect(new Set(msgs.map((m) => m.headers['event-type']))).toEqual(new Set(['record.upserted']));
    expect(await outboxCount(gw, gw.config.destinations[1]!.topic)).toBe(0);
  });

  it('a second run over unchanged lists makes no new events', async () => {
    const before = await outboxCount(gw, prov);
    const run = await runConnectorOnce(gw, 'procurement');
    expect(run.unchanged).toBe(serious.length + defaults.length - 3);
    expect(run.created + run.updated + run.removed).toBe(0);
    expect(await outboxCount(gw, prov)).toBe(before);
  });

  it('a changed row makes one new version; rows gone from either list become removed', async () => {
    const paid = { ...defaults[0]!, sfjj: '是', jjrq: '2023-06-01' };
    src.sets.procurementDefaults = rowsOf([paid, ...defaults.slice(2)]); // defaults[1] leaves the list
    src.sets.procurementSerious = rowsOf(serious.slice(1)); // serious[0] leaves the list
    const before = await outboxCount(gw, prov);

    const run = await runConnectorOnce(gw, 'procurement');
    expect(run.updated).toBe(1);
    expect(run.removed).toBe(2);
    expect(run.created).toBe(0);
    expect(await outboxCount(gw, prov)).toBe(before + 3);

    const changed = (await recordBySourceKey(gw, SYSTEM, `default|${defaults[0]!.jlbh}`))!;
    expect(changed.versions).toEqual(['created', 'updated']);
    expect(changed.envelope.data).toMatchObject({ resolved: true, resolvedAt: '2023-06-01' });
    expect(changed.status).toBe('active');

    for (const key of [`serious|${serious[0]!.jlbh}`, `default|${defaults[1]!.jlbh}`]) {
      const gone = (await recordBySourceKey(gw, SYSTEM, key))!;
      expect(gone.status).toBe('removed');
      expect(await eventTypesOf(gw, gone.recordId, 'prov')).toEqual(['record.upserted', 'record.status_changed']);
    }
    // a quarantined row missing from the list has no record to remove
    const { rows } = await gw.ctx.pool.query(`SELECT count(*)::int AS n FROM records WHERE status = 'removed'`);
    expect(rows[0].n).toBe(2);
  });

  it('a removed row listed again becomes active again, once', async () => {
    src.sets.procurementSerious = rowsOf(serious);
    const run = await runConnectorOnce(gw, 'procurement');
    expect(run.created + run.updated).toBe(0);
    const back = (await recordBySourceKey(gw, SYSTEM, `serious|${serious[0]!.jlbh}`))!;
    expect(back.status).toBe('active');
    expect(await eventTypesOf(gw, back.recordId, 'prov')).toEqual(['record.upserted', 'record.status_changed', 'record.status_changed']);

    const again = await runConnectorOnce(gw, 'procurement');
    expect(again.created + again.updated + again.removed).toBe(0);
    expect(await eventTypesOf(gw, back.recordId, 'prov')).toHaveLength(3);
  });
});
