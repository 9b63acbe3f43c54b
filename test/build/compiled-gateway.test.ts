/**
 * The gateway as deployed: `node dist/server.js` from `npm run build` (scripts/test.sh builds before
 * the suite), with no TypeScript loader in the process. It starts, migrates a fresh database, takes a
 * batch, publishes it from its relay thread (the compiled relay-worker.js), and stops on SIGTERM.
 * Without DATABASE_URL it refuses to start, naming the setting: only `npm run dev` starts an
 * embedded PostgreSQL.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/config/load.js';
import { spawnGateway, writeConfigFile, type ChildGateway } from '../../src/dev/child-gateway.js';
import { createTestDatabase, kafkaBrokers, readTopic, testDestinations, uniqueName } from '../support/env.js';
import { sampleRecordInput } from '../../src/dev/sample-records.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let child: ChildGateway | undefined;
const destinations = testDestinations(uniqueName('dist'));

beforeAll(async () => {
  if (!existsSync(join(REPO_ROOT, 'dist/server.js'))) throw new Error('dist/server.js is missing: run `npm run build` first (npm test does)');
  db = await createTestDatabase();
});

afterAll(async () => {
  child?.proc.kill('SIGKILL');
  await db?.drop();
});

it('runs compiled: takes a batch, publishes it through the relay thread, stops on SIGTERM', async () => {
  const configFile = writeConfigFile({ destinations, auth: { enabled: false }, log: { level: 'warn' } });
  child = await spawnGateway({ entry: 'dist', databaseUrl: db.url, brokers: kafkaBrokers(), configFile });
  const records = Array.from({ length: 3 }, (_, i) => sampleRecordInput('admin_license', 81_000 + i));
  const res = await fetch(`${child.url}/v1/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records }) });
  expect(res.status).toBe(200);
  const messages = await readTopic(destinations[0]!.topic, { until: (m) => m.length >= 3, timeoutMs: 60_000 });
  expect(messages.map((m) => m.headers['event-type'])).toEqual(['record.upserted', 'record.upserted', 'record.upserted']);
  expect((await fetch(`${child.url}/readyz`)).status).toBe(200);
  child.proc.kill('SIGTERM');
  expect(await child.exited).toBe(0);
  expect(child.output()).not.toMatch(/relay thread exited|tsx/);
});

it('refuses to start without a database URL, naming the setting (exit code 2)', async () => {
  const configFile = writeConfigFile({ destinations, auth: { enabled: false }, kafka: { startLocalBroker: false } });
  const env: NodeJS.ProcessEnv = { ...process.env, CONFIG_FILE: configFile, KAFKA_BROKERS: kafkaBrokers().join(',') };
  delete env.DATABASE_URL;
  const proc = spawn(process.execPath, ['dist/server.js'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stderr.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => proc.on('exit', resolve));
  expect(code).toBe(2);
  expect(out).toContain('/store/databaseUrl: not set (set DATABASE_URL)');
});
