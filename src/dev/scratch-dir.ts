/**
 * A temporary directory for a test or benchmark (key directories, config files) that does not outlive
 * the run: under the test run's root when vitest's global setup made one (removed at teardown), else
 * in the system temp directory, removed when the process exits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SCRATCH_ROOT_ENV = 'GATEWAY_TEST_SCRATCH_ROOT';

const made: string[] = [];

process.on('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(process.env[SCRATCH_ROOT_ENV] ?? tmpdir(), prefix));
  made.push(dir);
  return dir;
}
