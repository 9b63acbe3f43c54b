/** The gateway process refuses to start with an invalid partner registry, naming the entry (exit code 2). */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/config/load.js';
import { writeConfigFile } from '../../src/dev/child-gateway.js';
import { makePartner } from '../../src/dev/partner.js';

describe('start-up with an invalid partner registry', () => {
  it('exits 2 and names the bad entry', async () => {
    const good = await makePartner();
    const bad = await makePartner({ name: '错误代码的机构' });
    bad.entry.id = bad.entry.id.slice(0, 17) + (bad.entry.id.endsWith('1') ? '2' : '1');
    const configFile = writeConfigFile({ auth: { partners: [good.entry, bad.entry] } });
    const proc = spawn(process.execPath, ['--import', 'tsx/esm', 'src/server.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, CONFIG_FILE: configFile, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', KAFKA_BROKERS: '127.0.0.1:1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => proc.on('exit', resolve));
    expect(code, out).toBe(2);
    expect(out).toContain('/auth/partners/1 (错误代码的机构)/id');
    expect(out).toContain('not a valid USCC');
    expect(out).not.toContain('/auth/partners/0');
  });
});
