/**
 * File uploads as a source beside the connectors (issue 18): GET /v1/connectors and the console's
 * connectors data carry their state, the last day's counts and the latest failure, and an upload that
 * fails raises an `upload_failed` alert (stored once, published on the alerts topic).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUpload } from '../../src/store/uploads-repo.js';
import { startTestGateway, type TestGateway } from '../support/env.js';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway();
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
});

async function uploadState(id: string): Promise<string> {
  return (await gw.ctx.pool.query<{ state: string }>('SELECT state FROM uploads WHERE id = $1', [id])).rows[0]!.state;
}

async function until(what: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('uploads in GET /v1/connectors', () => {
  it('count what the last day\'s uploads stored and refused, and show the latest failure, which raised an alert', async () => {
    // a department's file: the category's CSV template, its example row filled in
    const template = await gw.app.inject({ method: 'GET', url: '/v1/templates/admin_penalty?format=csv' });
    expect(template.statusCode).toBe(200);
    const taken = await gw.app.inject({
      method: 'POST', url: '/v1/uploads?category=admin_penalty&sourceSystem=status.test', payload: template.rawPayload, headers: { 'content-type': 'text/csv' },
    });
    expect(taken.statusCode, taken.body).toBe(202);
    const good = (taken.json() as { id: string }).id;
    await until(async () => (await uploadState(good)) === 'done');

    // an upload the worker cannot finish: its stored category is not one the gateway knows
    const bad = randomUUID();
    await insertUpload(gw.ctx.pool, {
      id: bad, partner: 'dept-x', category: 'no_such_category', sourceSystem: 'status.test', grant: null, format: 'csv', encoding: 'utf-8',
      fileName: 'x.csv', bytes: Buffer.from('a,b\r\n1,2\r\n'), sha256: '0'.repeat(64), layout: { dataFrom: 2 }, rowsTotal: 1,
    });
    gw.ctx.uploads.wake();
    await until(async () => (await uploadState(bad)) === 'failed');

    const res = await gw.app.inject({ method: 'GET', url: '/v1/connectors' });
    expect(res.statusCode).toBe(200);
    const { uploads } = res.json() as { uploads: Record<string, any> };
    expect(uploads).toMatchObject({ name: 'uploads', type: 'upload', state: 'idle', queued: 0, running: 0 });
    expect(uploads.last24h).toMatchObject({ uploads: 2, done: 1, failed: 1 });
    expect(uploads.last24h.stored + uploads.last24h.rejected).toBe(uploads.last24h.rowsRead);
    expect(uploads.last24h.rowsRead).toBeGreaterThan(0);
    expect(uploads.lastUpload.id).toBe(bad);
    expect(uploads.lastError).toMatchObject({ uploadId: bad, error: { code: 'GW_INTERNAL', en: expect.stringContaining('unknown category no_such_category') } });

    await until(async () => (await gw.ctx.pool.query('SELECT 1 FROM monitoring_alerts WHERE kind = $1', ['upload_failed'])).rowCount === 1);
    const alerts = await gw.app.inject({ method: 'GET', url: '/v1/alerts?kind=upload_failed' });
    expect(alerts.statusCode, alerts.body).toBe(200);
    const [alert] = (alerts.json() as { alerts: Array<Record<string, any>> }).alerts;
    expect(alert).toMatchObject({ kind: 'upload_failed', details: { uploadId: bad, partner: 'dept-x', category: 'no_such_category', code: 'GW_INTERNAL' } });
  });
});
