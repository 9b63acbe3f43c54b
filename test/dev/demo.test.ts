/**
 * `npm run demo` end to end, as a user runs it: every connector runs against the fixture sources, the
 * events reach the broker, and the three test platforms (file drop, HTTP intake, exchange tables)
 * answer for every record delivered to them — rejecting exactly the records whose subject name holds
 * 某, as each is told to. The run cleans up after itself and exits 0.
 */
import { expect, it } from 'vitest';
import { kafkaBrokers, pgAdminUrl } from '../support/env.js';
import { runNpmScript } from '../support/npm-script.js';

it('npm run demo runs every connector and delivers to the three test platforms, which answer for every record', async () => {
  const run = await runNpmScript('demo', [], { DATABASE_URL: pgAdminUrl(), KAFKA_BROKERS: kafkaBrokers().join(','), DEMO_TIMEOUT_MS: '230000' }, 240_000);
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
  expect(run.stdout).not.toMatch(/\sfailed\s/);
  const delivered = [...run.stdout.matchAll(/^ {2}(demo-\w+)\s+accepted (\d+), rejected (\d+), parked (\d+), awaiting an answer (\d+)$/gm)];
  expect(delivered.map((m) => m[1])).toEqual(['demo-file', 'demo-service', 'demo-database']);
  const published = Number(/demo\.\w+\.file\.v1\s+record\.upserted\s+(\d+) acked/.exec(run.stdout)?.[1]);
  expect(published).toBeGreaterThan(100);
  for (const [, , accepted, rejected, parked, awaiting] of delivered) {
    expect(Number(accepted) + Number(rejected)).toBe(published);
    expect(Number(rejected)).toBeGreaterThan(0);
    expect(Number(accepted)).toBeGreaterThan(0);
    expect([Number(parked), Number(awaiting)]).toEqual([0, 0]);
  }
  // the three platforms apply the same rule to the same records
  expect(new Set(delivered.map((m) => `${m[2]}/${m[3]}`)).size).toBe(1);
}, 260_000);
