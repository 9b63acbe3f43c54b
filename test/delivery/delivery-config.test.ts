/**
 * The `delivery` section of a destination, a union by `way` (src/config/schema.ts): each way's
 * defaults filled in, and a wrong section's error naming the key — only the chosen way's rules speak.
 */
import { expect, it } from 'vitest';
import { ConfigError } from '../../src/config/load.js';
import { testConfig } from '../support/env.js';

const dest = (delivery: unknown) => ({ destinations: [{ name: 'prov', topic: 'test.cfg.prov.v1', categories: ['*'], delivery }] });

function problems(delivery: unknown): string[] {
  try {
    testConfig('postgres://127.0.0.1/x', dest(delivery));
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

it('fills in each way\'s defaults', () => {
  const service = testConfig('postgres://127.0.0.1/x', dest({ way: 'service', url: 'https://intake.example/v1', auth: { type: 'token', tokenEnv: 'PROV_TOKEN' } }));
  expect(service.destinations[0]!.delivery).toMatchObject({ way: 'service', batchSize: 500, timeoutMs: 30000, connections: 4, maxBackoffMs: 30000 });
  const jwt = testConfig('postgres://127.0.0.1/x', dest({ way: 'service', url: 'https://intake.example/v1', auth: { type: 'jwt', issuer: 'me', audience: 'them', keyFile: 'k.json' } }));
  expect(jwt.destinations[0]!.delivery).toMatchObject({ auth: { type: 'jwt', alg: 'ES256' } });
  const database = testConfig('postgres://127.0.0.1/x', dest({ way: 'database', urlEnv: 'PROV_EXCHANGE_DB_URL' }));
  expect(database.destinations[0]!.delivery).toMatchObject({ tablePrefix: 'credit_', feedbackTable: 'credit_feedback', createTables: false, feedbackPollMs: 1000, feedbackSettleMs: 2000 });
  const file = testConfig('postgres://127.0.0.1/x', dest({ way: 'file', directory: 'a', feedbackDirectory: 'b', archiveDirectory: 'c' }));
  expect(file.destinations[0]!.delivery).toMatchObject({ feedbackPollMs: 1000 });
});

it('a wrong delivery section is an error naming the key, by the rules of its way only', () => {
  expect(problems({ way: 'service', auth: { type: 'token', tokenEnv: 'PROV_TOKEN' } })).toEqual([
    "/destinations/0/delivery/url: must have required property 'url' (rule: required)",
  ]);
  expect(problems({ way: 'service', url: 'https://x/', auth: { type: 'mtls', certFile: 'c.pem' } })).toEqual([
    "/destinations/0/delivery/auth/keyFile: must have required property 'keyFile' (rule: required)",
  ]);
  expect(problems({ way: 'database', urlEnv: 'X', directory: '/srv' })).toEqual([
    '/destinations/0/delivery/directory: must NOT have additional properties (rule: additionalProperties)',
  ]);
  expect(problems({ way: 'ftp' })[0]).toMatch(/^\/destinations\/0\/delivery\/way: must be equal to one of the allowed values/);
});

it('a service way with fewer connections than partitions delivered at once is refused, naming both keys', () => {
  expect(problems({ way: 'service', url: 'https://x/', auth: { type: 'token', tokenEnv: 'T' }, connections: 2, partitionsConcurrently: 3 })).toEqual([
    '/destinations/0/delivery/connections: 2 is fewer than partitionsConcurrently 3; each partition delivered at once needs a connection of its own (rule: connections >= partitionsConcurrently)',
  ]);
  expect(problems({ way: 'service', url: 'https://x/', auth: { type: 'token', tokenEnv: 'T' }, connections: 3, partitionsConcurrently: 3 })).toEqual([]);
});
