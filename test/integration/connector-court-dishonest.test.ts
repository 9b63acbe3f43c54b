/**
 * court-dishonest end to end on the real PostgreSQL and Kafka: records and events, quarantine and
 * issues, a second run with no events, a changed row → one new version, a row gone from the list
 * → `removed` with one record.status_changed event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureConnectorInstances, fixtureRows } from '../../connectors/fixtures-server/fixture-data.js';
import { rowsOf, startFixtureSources, type FixtureSources } from '../../connectors/fixtures-server/server.js';
import { runConnectorOnce } from '../support/connector-runs.js';
import { readTopic, startTestGateway, type TestGateway } from '../support/env.js';

let src: FixtureSources;
let gw: TestGateway;
let rows: Array<Record<string, unknown>>;

const runOnce = (name: string) => runConnectorOnce(gw, name);

async function events(topic: string) {
  const { rows: r } = await gw.ctx.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE topic = $1', [topic]);
  return r[0]!.n;
}

beforeAll(async () => {
  src = await startFixtureSources();
  rows = fixtureRows().dishonest;
  src.sets.dishonest = rowsOf(rows);
  gw = await startTestGateway({
    connectors: { defaults: { backoffBaseMs: 10, perHostRatePerSecond: 1000, removalAfterRuns: 1, invalidThreshold: 0.5 }, instances: fixtureConnectorInstances(src.url, 5) },
  });
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
  await src?.close();
});

describe('court-dishonest connector', () => {
  it('stores the valid rows, quarantines the bad ones, and publishes one event per record', async () => {
    const run = await runOnce('court-dishonest');
    expect(run.state).toBe('succeeded');
    expect(run.pulled).toBe(14);
    expect(run.pages).toBe(3);
    expect(run.created).toBe(12);
    expect(run.rejected).toBe(2);

    const { rows: stored } = await gw.ctx.pool.query<{ envelope: any }>(`SELECT envelope FROM records WHERE category = 'dishonest_debtor' ORDER BY envelope->'data'->>'caseNumber'`);
    expect(stored).toHaveLength(12);
    const person = stored.map((r) => r.envelope).find((e) => e.subject.kind === 'person')!;
    expect(person.data.idNumberMasked).toMatch(/^\d{10}\*{4}\d{3}[\dX]$/);
    expect(person.subject.idNumber).toBe(person.data.idNumberMasked);
    const organ = stored.map((r) => r.envelope).find((e) => e.subject.name.includes('人民政府'))!;
    expect(organ.subject.kind).toBe('organ');
    expect(organ.flags).toEqual({ governmentSubject: true });
    const company = stored.map((r) => r.envelope).find((e) => e.subject.kind === 'enterprise')!;
    expect(company.flags).toEqual({ governmentSubject: false });

    const { rows: q } = await gw.ctx.pool.query<{ errors: any[]; raw: any }>('SELECT errors, raw FROM connector_quarantine ORDER BY id');
    expect(q).toHaveLength(2);
    expect(q.map((r) => r.errors[0].rule).sort()).toEqual(['source.subject_uscc', 'source.unknown_code']);
    const { rows: issues } = await gw.ctx.pool.query('SELECT kind, field, value FROM connector_issues');
    expect(issues).toContainEqual({ kind: 'unknown_code', field: 'performance', value: '已履行完毕' });

    const topic = gw.config.destinations[0]!.topic;
    const msgs = await readTopic(topic, { until: (m) => m.length >= 12, settleMs: 300 });
    expect(msgs).toHaveLength(12);
    expect(msgs.every((m) => m.headers['event-type'] === 'record.upserted')).toBe(true);
  });

  it('a second run over the unchanged source makes no new events', async () => {
    const before = await events(gw.config.destinations[0]!.topic);
    const run = await runOnce('court-dishonest');
    expect(run.unchanged).toBe(12);
    expect(run.created + run.updated).toBe(0);
    expect(await events(gw.config.destinations[0]!.topic)).toBe(before);
  });

  it('a changed row makes one new version and a removed row becomes removed', async () => {
    const changed = { ...rows[0]!, performance: '部分未履行', performedPart: '已支付人民币2000元', unperformPart: '剩余货款' };
    const kept = [changed, ...rows.slice(2)]; // row 1 leaves the list
    src.sets.dishonest = rowsOf(kept);
    const run = await runOnce('court-dishonest');
    expect(run.updated).toBe(1);
    expect(run.removed).toBe(1);

    const { rows: versions } = await gw.ctx.pool.query<{ version: number; status: string; change_kind: string }>(
      `SELECT v.version, v.status, v.change_kind FROM record_versions v JOIN records r USING (record_id)
        WHERE r.envelope->'data'->>'caseNumber' = $1 ORDER BY v.version`, [rows[0]!.caseCode]);
    expect(versions.map((v) => v.change_kind)).toEqual(['created', 'updated']);

    const { rows: removed } = await gw.ctx.pool.query<{ status: string; record_id: string }>(
      `SELECT status, record_id FROM records WHERE envelope->'data'->>'caseNumber' = $1`, [rows[1]!.caseCode]);
    expect(removed[0]!.status).toBe('removed');
    const { rows: ev } = await gw.ctx.pool.query<{ event_type: string }>('SELECT event_type FROM outbox WHERE record_id = $1 AND destination = $2 ORDER BY id', [removed[0]!.record_id, 'prov']);
    expect(ev.map((e) => e.event_type)).toEqual(['record.upserted', 'record.status_changed']);
  });

  it('reports state, runs and metrics over HTTP', async () => {
    const list = await (await fetch(`${gw.url}/v1/connectors`)).json() as any;
    const c = list.connectors.find((x: any) => x.name === 'court-dishonest');
    expect(c.lastRun.state).toBe('succeeded');
    expect(c.cursor).toEqual({ page: 1 });
    expect(c.quarantined).toBeGreaterThanOrEqual(2);
    const runs = await (await fetch(`${gw.url}/v1/connectors/court-dishonest/runs`)).json() as any;
    expect(runs.runs).toHaveLength(3);
    const post = await fetch(`${gw.url}/v1/connectors/court-dishonest/runs`, { method: 'POST' });
    expect(post.status).toBe(202);
    const again = await fetch(`${gw.url}/v1/connectors/court-dishonest/runs`, { method: 'POST' });
    expect([202, 409]).toContain(again.status);
    const missing = await fetch(`${gw.url}/v1/connectors/nope/runs`, { method: 'POST' });
    expect(missing.status).toBe(404);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/gateway_connector_runs_total\{connector="court-dishonest",state="succeeded"\} \d/);
  });

  it('a run whose process died shows as interrupted, not running', async () => {
    const stateOf = async () => ((await (await fetch(`${gw.url}/v1/connectors`)).json()) as any).connectors.find((x: any) => x.name === 'court-dishonest');
    const deadline = Date.now() + 30_000;
    while ((await stateOf()).state === 'running' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect((await stateOf()).state).toBe('idle');
    // a run row left `running` by a process that died: nobody holds the connector's run lock
    await gw.ctx.pool.query(`INSERT INTO connector_runs (connector, trigger, state, host) VALUES ('court-dishonest', 'schedule', 'running', 'gone:1')`);
    expect((await stateOf()).state).toBe('interrupted');
    await gw.ctx.pool.query(`UPDATE connector_runs SET state = 'abandoned', finished_at = now() WHERE host = 'gone:1'`);
  });
});
