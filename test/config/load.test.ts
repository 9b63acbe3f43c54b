import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, REPO_ROOT } from '../../src/config/load.js';
import { pickLanguage } from '../../src/errors.js';
import { decodeCursor, encodeCursor } from '../../src/routes/cursor.js';

describe('config', () => {
  it('loads the embedded defaults', () => {
    const c = loadConfig({ env: {} });
    expect(c.server.port).toBe(8080);
    expect(c.store.databaseUrl).toBeNull();
    expect(c.kafka.startLocalBroker).toBe(true);
  });

  it('environment variables override the files; KAFKA_BROKERS turns the local broker off', () => {
    const c = loadConfig({ env: { PORT: '9001', DATABASE_URL: 'postgres://u@db:5432/x', KAFKA_BROKERS: 'k1:9092, k2:9092' } });
    expect(c.server.port).toBe(9001);
    expect(c.store.databaseUrl).toBe('postgres://u@db:5432/x');
    expect(c.kafka.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(c.kafka.startLocalBroker).toBe(false);
  });

  it('a wrong value names the key, the rule and the variable it came from', () => {
    let err: unknown;
    try {
      loadConfig({ env: { PORT: 'eighty', KAFKA_BROKERS: 'no-port' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const text = (err as ConfigError).problems.join('\n');
    expect(text).toMatch(/\/server\/port: .*\(rule: type\) \[from PORT\]/);
    expect(text).toMatch(/\/kafka\/brokers\/0: .*\(rule: pattern\) \[from KAFKA_BROKERS\]/);
  });

  it('duplicate destination topics are refused', () => {
    const d = { name: 'a', topic: 't', categories: ['*'] };
    expect(() => loadConfig({ env: {}, overrides: { destinations: [d, { ...d, name: 'b' }] } })).toThrow(/topic "t" used by two destinations/);
  });

  it('the process refuses to start on a bad value, with exit status 2 and the key in the message', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx/esm', 'src/server.ts'], { cwd: REPO_ROOT, env: { ...process.env, PORT: '70000' }, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/\/server\/port: must be <= 65535 \(rule: maximum\) \[from PORT\]/);
  });
});

describe('Accept-Language', () => {
  it('answers in English only when English is preferred', () => {
    expect(pickLanguage(undefined)).toBe('zh');
    expect(pickLanguage('en-US,en;q=0.9')).toBe('en');
    expect(pickLanguage('zh-CN,zh;q=0.9,en;q=0.8')).toBe('zh');
    expect(pickLanguage('en;q=0.5,zh;q=0.9')).toBe('zh');
    expect(pickLanguage('fr')).toBe('zh');
  });
});

describe('feed cursors', () => {
  it('round-trip, and refuse other filters or tampering', () => {
    const c = encodeCursor(42, { category: 'admin_license' });
    expect(decodeCursor(c, { category: 'admin_license' })).toBe(42);
    expect(() => decodeCursor(c, { category: 'dishonest_debtor' })).toThrow(/other filters/);
    expect(() => decodeCursor('garbage!', {})).toThrow(/decoded/);
    const forged = Buffer.from(JSON.stringify({ v: 1, s: -5, f: 'x' })).toString('base64url');
    expect(() => decodeCursor(forged, {})).toThrow(/decoded/);
  });
});
