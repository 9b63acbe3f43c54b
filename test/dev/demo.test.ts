/**
 * `npm run demo` end to end, as a user runs it: every connector runs against the fixture sources, the
 * events reach the broker, and the three test platforms (file drop, HTTP intake, exchange tables)
 * answer for every record delivered to them — rejecting exactly the records whose subject name holds
 * 某, as each is told to. The run cleans up after itself and exits 0.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { kafkaBrokers, pgAdminUrl } from '../support/env.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

function runDemo(timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '-s', 'demo'], {
      cwd: REPO,
      env: { ...process.env, DATABASE_URL: pgAdminUrl(), KAFKA_BROKERS: kafkaBrokers().join(','), DEMO_TIMEOUT_MS: String(timeoutMs - 10_000) },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

it('npm run demo runs every connector and delivers to the three test platforms, which answer for every record', async () => {
  const run = await runDemo(240_000);
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
