/**
 * Early warning: a government organ's new severe negative record raises exactly one alert, published
 * once to the alerts topic and listed by GET /v1/alerts, also with two detectors (one in another OS
 * process) on the same database; and a region's score below the threshold raises one alert per unit
 * and quarter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticUscc } from '../../src/domain/uscc.js';
import { detectRecordAlerts, detectScoreAlerts } from '../../src/monitoring/alert-detector.js';
import { raiseConnectorAlert } from '../../src/monitoring/connector-alerts.js';
import { quarterOf } from '../../src/monitoring/report-period.js';
import { inTransaction } from '../../src/store/db.js';
import { writeRecords } from '../../src/store/records-repo.js';
import type { CategoryId } from '../../src/domain/catalogue.js';
import { spawnGateway, writeConfigFile, type ChildGateway } from '../../src/dev/child-gateway.js';
import { createTestDatabase, kafkaBrokers, readTopic, startTestGateway, testDestinations, uniqueName, type ReadMessage, type TestGateway } from '../support/env.js';
import { sampleRecordInput } from '../../src/dev/sample-records.js';

interface AlertMessage {
  eventId: string;
  type: string;
  alert: { alertId: string; kind: string; recordId: string | null; region: string | null; level: string | null; period: string | null; uscc: string | null; score: number | null; connector: string | null; connectorRunId: number | null };
}

const alertsOf = (msgs: ReadMessage[]) => msgs.map((m) => m.value as AlertMessage);

async function store(gw: TestGateway, items: Array<{ category: CategoryId; n: number; kindCode: string; region: string; severity?: 'minor' | 'general' | 'severe' }>) {
  const prepared = items.map(({ category, n, kindCode, region, severity }) => {
    const input = sampleRecordInput(category, n, { subject: { uscc: syntheticUscc(n, { kindCode, region }), kind: undefined, region: undefined } });
    if (severity) input.severity = severity;
    input.decidedAt = new Date().toISOString().slice(0, 10); // new records: in force now
    const p = gw.ctx.preparer.prepare(input);
    if (!p.ok) throw new Error(JSON.stringify(p.errors));
    return p.record;
  });
  await inTransaction(gw.ctx.pool, (c) => writeRecords(c, prepared, { actor: 'test', outbox: gw.ctx.outbox }));
  return prepared.map((p) => p.recordId);
}

describe('one gateway', () => {
  let gw: TestGateway;
  const alertsTopic = `test.${uniqueName('alerts')}.v1`;

  beforeAll(async () => {
    gw = await startTestGateway({
      auth: { enabled: false },
      monitoring: { alertsTopic, detectorIntervalMs: 100, scoreAlertThreshold: 0 },
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await gw?.db.drop();
  });

  it('publishes one alert for a government organ’s new severe record, and none for other records or a later update', async () => {
    const [severeOrgan] = await store(gw, [{ category: 'dishonest_debtor', n: 11, kindCode: '11', region: '320583' }]);
    // not alerting: an enterprise's severe record, an organ's general record, an institution's positive licence
    await store(gw, [
      { category: 'dishonest_debtor', n: 12, kindCode: '91', region: '320583' },
      { category: 'admin_penalty', n: 13, kindCode: '11', region: '320583', severity: 'general' },
      { category: 'admin_license', n: 14, kindCode: '12', region: '320583' },
    ]);
    const first = await readTopic(alertsTopic, { until: (m) => m.length >= 1, timeoutMs: 30_000 });
    // the same record again with new content (a new version, still severe): no second alert
    const changed = sampleRecordInput('dishonest_debtor', 11, {
      subject: { uscc: syntheticUscc(11, { kindCode: '11', region: '320583' }), kind: undefined, region: undefined },
      data: { performance: '部分未履行', performedPart: '已支付人民币1元', unperformedPart: '其余' },
    } as never);
    const p = gw.ctx.preparer.prepare(changed);
    if (!p.ok) throw new Error(JSON.stringify(p.errors));
    const outcome = await inTransaction(gw.ctx.pool, (c) => writeRecords(c, [p.record], { actor: 'test', outbox: gw.ctx.outbox }));
    expect(outcome[0]!.result).toBe('updated');
    const { rows: cursor } = await gw.ctx.pool.query<{ head: number }>('SELECT max(change_seq)::bigint AS head FROM records');
    await expect.poll(async () => {
      const { rows } = await gw.ctx.pool.query<{ position: number }>(`SELECT position FROM monitoring_cursors WHERE name = 'alert-detector'`);
      return rows[0]!.position;
    }, { timeout: 30_000, interval: 100, message: 'the detector did not pass the update' }).toBeGreaterThanOrEqual(cursor[0]!.head);

    // A second alert would be published a moment after the detector's pass, and nothing signals that
    // none will come: watch the topic for a bounded window, failing as soon as a second message shows up.
    const all = alertsOf(await readTopic(alertsTopic, {
      until: (m) => m.length >= 1,
      timeoutMs: 30_000,
      settleMs: 3_000,
      whileSettling: (m) => expect(m.length, 'a second alert was published').toBe(1),
    }));
    expect(first.length).toBe(1);
    expect(all).toHaveLength(1);
    expect(all[0]!.type).toBe('alert.raised');
    expect(all[0]!.alert).toMatchObject({ kind: 'government_severe_record', recordId: severeOrgan, region: '320583' });

    const res = await fetch(`${gw.url}/v1/alerts?kind=government_severe_record`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { alerts: Array<{ alertId: string; recordId: string; details: { regionName: string } }> };
    expect(body.alerts.map((a) => a.recordId)).toEqual([severeOrgan]);
    expect(body.alerts[0]!.alertId).toBe(all[0]!.alert.alertId);
    expect(body.alerts[0]!.details.regionName).toBe('昆山市');
  });
});

describe('two detectors on one database, one of them in another process', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let gw: TestGateway;
  let child: ChildGateway | undefined;
  const alertsTopic = `test.${uniqueName('alerts2')}.v1`;
  const destinations = testDestinations();
  // small batches and a short interval, so the two detectors take turns many times
  const monitoring = { alertsTopic, detectorIntervalMs: 20, detectorBatchSize: 5, scoreAlertThreshold: 0 };

  beforeAll(async () => {
    db = await createTestDatabase();
    gw = await startTestGateway({ auth: { enabled: false }, destinations, monitoring }, db);
    const configFile = writeConfigFile({ destinations, monitoring, auth: { enabled: false }, relay: { idleIntervalMs: 50 }, log: { level: 'warn' } });
    child = await spawnGateway({ databaseUrl: db.url, brokers: kafkaBrokers(), configFile });
  });
  afterAll(async () => {
    child?.proc.kill('SIGTERM');
    if (child) await child.exited;
    await gw?.stop();
    await db?.drop();
  });

  it('raises each alert once while both scan the change feed concurrently', async () => {
    const expected: string[] = [];
    for (let batch = 0; batch < 6; batch++) {
      const items = Array.from({ length: 10 }, (_, i) => {
        const n = 1000 + batch * 10 + i;
        // even n: an organ's (or institution's) severe record; odd n: an enterprise's
        return { category: 'dishonest_debtor' as const, n, kindCode: n % 2 === 0 ? (n % 4 === 0 ? '11' : '12') : '91', region: '320508' };
      });
      const ids = await store(gw, items);
      expected.push(...ids.filter((_, i) => items[i]!.n % 2 === 0));
    }
    expect(expected).toHaveLength(30);

    const msgs = alertsOf(await readTopic(alertsTopic, { until: (m) => m.length >= 30, timeoutMs: 60_000, settleMs: 2_000 }));
    const recordIds = msgs.map((m) => m.alert.recordId);
    expect(recordIds).toHaveLength(30);
    expect(new Set(recordIds)).toEqual(new Set(expected));
    expect(new Set(msgs.map((m) => m.eventId)).size).toBe(30);
    const { rows } = await gw.ctx.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM monitoring_alerts`);
    expect(rows[0]!.n).toBe(30);
    expect(child!.output()).not.toMatch(/alert detector round failed/);
  });

  it('rescanning the whole feed from the start, by two detectors at once, raises nothing again', async () => {
    await gw.ctx.pool.query(`UPDATE monitoring_cursors SET position = 0 WHERE name = 'alert-detector'`);
    const cfg = { ...gw.config.monitoring, detectorBatchSize: 1000 };
    const [a, b] = await Promise.all([detectRecordAlerts(gw.ctx.pool, cfg, gw.ctx.outbox), detectRecordAlerts(gw.ctx.pool, cfg, gw.ctx.outbox)]);
    expect(a.raised.length + b.raised.length).toBe(0);
    const { rows } = await gw.ctx.pool.query<{ n: number; outbox: number }>(
      `SELECT (SELECT count(*)::int FROM monitoring_alerts) AS n, (SELECT count(*)::int FROM outbox WHERE topic = $1) AS outbox`,
      [alertsTopic],
    );
    expect(rows[0]).toEqual({ n: 30, outbox: 30 });
  });
});

describe('connector alerts', () => {
  let gw: TestGateway;
  const alertsTopic = `test.${uniqueName('alerts4')}.v1`;

  beforeAll(async () => {
    gw = await startTestGateway({ auth: { enabled: false }, monitoring: { alertsTopic, detectorEnabled: false } });
  });
  afterAll(async () => {
    await gw?.stop();
    await gw?.db.drop();
  });

  it('publishes a connector run failure once, however often it is reported', async () => {
    const alert = { connector: 'court-dishonest', runId: 7, reason: 'invalid_share' as const, message: 'invalid rows 40.0% exceed the threshold 20.0%', invalidShare: 0.4, threshold: 0.2, at: new Date().toISOString() };
    const [first, again] = await Promise.all([raiseConnectorAlert(gw.ctx.pool, gw.ctx.outbox, alert), raiseConnectorAlert(gw.ctx.pool, gw.ctx.outbox, alert)]);
    expect(first!.length + again!.length).toBe(1);
    const msgs = alertsOf(await readTopic(alertsTopic, { until: (m) => m.length >= 1, timeoutMs: 30_000, settleMs: 1_000 }));
    expect(msgs).toHaveLength(1);
    expect(msgs[0]!.alert).toMatchObject({ kind: 'connector_run_failed', connector: 'court-dishonest', connectorRunId: 7 });
    expect(msgs[0]!.alert.region).toBeNull();
  });
});

describe('region score below the threshold', () => {
  let gw: TestGateway;
  const alertsTopic = `test.${uniqueName('alerts3')}.v1`;

  beforeAll(async () => {
    // the detector job is off: the test drives the passes itself, two at a time
    gw = await startTestGateway({ auth: { enabled: false }, monitoring: { alertsTopic, detectorEnabled: false, scoreAlertThreshold: 95 } });
  });
  afterAll(async () => {
    await gw?.stop();
    await gw?.db.drop();
  });

  it('alerts once per unit, level and quarter for units whose current score is below the threshold', async () => {
    // one organ's general admin penalty in 玄武区 (score 100 × 100 / 103 = 97.09, above 95) and a
    // severe one in 昆山 (90.91, below): 昆山, 苏州 and 江苏 (88.5 with both) alert; 玄武 and 南京 do not.
    await store(gw, [
      { category: 'admin_penalty', n: 21, kindCode: '11', region: '320102', severity: 'general' },
      { category: 'admin_penalty', n: 22, kindCode: '11', region: '320583', severity: 'severe' },
    ]);
    const cfg = gw.config.monitoring;
    const [a, b] = await Promise.all([detectScoreAlerts(gw.ctx.pool, cfg, gw.ctx.outbox), detectScoreAlerts(gw.ctx.pool, cfg, gw.ctx.outbox)]);
    const raised = [...a, ...b];
    expect(raised.map((x) => [x.level, x.region]).sort()).toEqual([['city', '320500'], ['county', '320583'], ['province', '320000']]);
    expect(raised.every((x) => x.period === quarterOf(new Date()) && x.threshold === 95)).toBe(true);
    expect(raised.find((x) => x.level === 'county')!.score).toBe(90.91);

    // a further change in 昆山 re-scores but raises nothing new for the same units and quarter
    await store(gw, [{ category: 'admin_penalty', n: 23, kindCode: '11', region: '320583', severity: 'minor' }]);
    expect(await detectScoreAlerts(gw.ctx.pool, cfg, gw.ctx.outbox)).toEqual([]);
    // nothing changed since: the pass does not even compute
    expect(await detectScoreAlerts(gw.ctx.pool, cfg, gw.ctx.outbox)).toEqual([]);

    const msgs = alertsOf(await readTopic(alertsTopic, { until: (m) => m.length >= 3, timeoutMs: 30_000, settleMs: 1_000 }));
    expect(msgs.map((m) => m.alert.kind)).toEqual(['region_score_below_threshold', 'region_score_below_threshold', 'region_score_below_threshold']);
    const res = await fetch(`${gw.url}/v1/alerts?kind=region_score_below_threshold&limit=2`);
    const page1 = (await res.json()) as { alerts: unknown[]; hasMore: boolean; nextCursor: string };
    expect(page1.alerts).toHaveLength(2);
    expect(page1.hasMore).toBe(true);
    const page2 = (await (await fetch(`${gw.url}/v1/alerts?kind=region_score_below_threshold&limit=2&cursor=${page1.nextCursor}`)).json()) as { alerts: unknown[]; hasMore: boolean };
    expect(page2.alerts).toHaveLength(1);
    expect(page2.hasMore).toBe(false);
  });
});
