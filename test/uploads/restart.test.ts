/**
 * Uploads survive a restart: an upload taken by a process that does not work on uploads waits queued;
 * one left running by a process that died (its heartbeat stale) is claimed by another process and
 * resumed after the last row its dead worker committed — those rows are not read again.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { authOverrides, makePartner, type TestPartner } from '../../src/dev/partner.js';
import { categoryTemplate } from '../../src/templates/template.js';
import { csvLine } from '../../src/templates/csv.js';
import { createTestDatabase, startTestGateway, type TestGateway } from '../support/env.js';
import { observeFor } from '../support/wait.js';
import { untilFinished, upload } from './upload-client.js';

let dept: TestPartner;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let gw: TestGateway | undefined;

beforeAll(async () => {
  dept = await makePartner({ scopes: ['records:write'], sourceSystems: ['dept-restart'] });
  db = await createTestDatabase();
});

afterAll(async () => {
  await gw?.stop();
  await db?.drop();
});

it('resumes an upload a dead worker left running, after its last committed row', async () => {
  const template = categoryTemplate('admin_penalty');
  const example = template.examples[0]!;
  const lines = [template.columns.map((c) => c.heading), template.columns.map((c) => c.key), template.columns.map((c) => c.rule)];
  for (let i = 0; i < 30; i++) lines.push(template.columns.map((c) => (c.key === 'source.key' ? `restart-${i}` : example[c.key] ?? '')));
  const bytes = Buffer.from(lines.map((l) => csvLine(l)).join('\r\n'));

  // a process that takes uploads but does not work on them
  const taker = await startTestGateway({ ...authOverrides([dept]), uploads: { workerEnabled: false } }, db);
  const taken = await upload(dept, `${taker.url}/v1/uploads?category=admin_penalty`, bytes, 'text/csv');
  expect(taken.status, JSON.stringify(taken.body)).toBe(202);
  // it stays queued: watched for a bounded window, as nothing signals that no worker will take it
  await observeFor(300, async () => {
    expect((await taker.ctx.pool.query('SELECT state FROM uploads WHERE id = $1', [taken.body.id])).rows[0].state).toBe('queued');
  });
  // as a worker that committed rows up to file row 13 (data rows 4..13) and then died would leave it
  await taker.ctx.pool.query(
    "UPDATE uploads SET state = 'running', worker = 'dead-worker', heartbeat_at = now() - interval '1 hour', last_row = 13, started_at = now() WHERE id = $1",
    [taken.body.id],
  );
  await taker.stop();

  gw = await startTestGateway({ ...authOverrides([dept]), uploads: { staleAfterSeconds: 5, pollIntervalMs: 100 } }, db);
  const done = await untilFinished(dept, gw.url, taken.body.id);
  expect(done).toMatchObject({ state: 'done', rowsRead: 20, stored: 20, rejected: 0 });
  const rows = await gw.ctx.pool.query('SELECT min(row_no)::int AS first, max(row_no)::int AS last FROM upload_rows WHERE upload_id = $1', [taken.body.id]);
  expect(rows.rows[0]).toEqual({ first: 14, last: 33 });
});
