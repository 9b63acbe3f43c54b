/**
 * The one place configuration is read: config/default.yaml, then the file named by CONFIG_FILE
 * (deep-merged over it), then environment variables, then (in tests) explicit overrides. The result
 * is validated against src/config/schema.ts, which also fills in every default; any wrong value is a
 * ConfigError naming the key and rule. The result is frozen.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { configSchema } from './schema.js';
import type { Config } from './types.js';

export type { Config, DeliveryConfig, DestinationConfig } from './types.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DEFAULT_FILE = resolve(REPO_ROOT, 'config/default.yaml');

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Environment variables and the config key each one sets. */
const ENV_KEYS: Record<string, { path: string[]; parse?: (v: string) => unknown }> = {
  PORT: { path: ['server', 'port'], parse: Number },
  HOST: { path: ['server', 'host'] },
  DATABASE_URL: { path: ['store', 'databaseUrl'] },
  KAFKA_BROKERS: { path: ['kafka', 'brokers'], parse: (v) => v.split(',').map((b) => b.trim()).filter(Boolean) },
  LOG_LEVEL: { path: ['log', 'level'] },
  MAX_BATCH_SIZE: { path: ['server', 'maxBatchSize'], parse: Number },
  RELAY_ENABLED: { path: ['relay', 'enabled'], parse: (v) => v === 'true' || v === '1' },
  REDIS_URL: { path: ['auth', 'redisUrl'] },
};

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepMerge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isObject(v) && isObject(out[k]) ? deepMerge(out[k] as Json, v) : v;
  }
  return out;
}

function readYaml(file: string): Json {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`${file}: cannot read (${(err as Error).message})`]);
  }
  try {
    const parsed: unknown = parseYaml(text);
    if (parsed === null || parsed === undefined) return {};
    if (!isObject(parsed)) throw new Error('top level must be a mapping');
    return parsed;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError([`${file}: not valid YAML (${(err as Error).message})`]);
  }
}

function setPath(target: Json, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (!isObject(node[key])) node[key] = {};
    node = node[key] as Json;
  }
  node[path[path.length - 1]!] = value;
}

// discriminator: a union by a tag (delivery.way) picks its branch, so its defaults apply and its errors alone are reported
const ajv = new Ajv2020({ allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true, discriminator: true });
const validate = ajv.compile(configSchema);

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** extra configuration merged last (tests) */
  overrides?: Json;
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  let raw = readYaml(DEFAULT_FILE);
  if (env.CONFIG_FILE) raw = deepMerge(raw, readYaml(resolve(env.CONFIG_FILE)));

  const fromEnv = new Map<string, string>();
  for (const [name, { path, parse }] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(raw, path, parse ? parse(value) : value);
    fromEnv.set('/' + path.join('/'), name);
  }
  // An explicit broker list means someone else runs Kafka.
  if (env.KAFKA_BROKERS) setPath(raw, ['kafka', 'startLocalBroker'], false);
  if (opts.overrides) raw = deepMerge(raw, opts.overrides);

  if (!validate(raw)) {
    const problems = (validate.errors ?? []).map((e) => {
      const key = e.instancePath || '/';
      const missing = e.keyword === 'required' ? `/${(e.params as { missingProperty: string }).missingProperty}` : '';
      const extra = e.keyword === 'additionalProperties' ? `/${(e.params as { additionalProperty: string }).additionalProperty}` : '';
      const envName = [...fromEnv].find(([path]) => key === path || key.startsWith(path + '/'))?.[1];
      return `${key}${missing}${extra}: ${e.message ?? e.keyword} (rule: ${e.keyword})${envName ? ` [from ${envName}]` : ''}`;
    });
    throw new ConfigError(problems);
  }
  const config = raw as unknown as Config;
  const problems = crossChecks(config);
  if (problems.length) throw new ConfigError(problems);
  return deepFreeze(config);
}

/** The loaded configuration cannot be changed afterwards: every part of the gateway sees the same values. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

/**
 * The PostgreSQL the gateway and its commands use. Production gives it (DATABASE_URL); only the
 * development entry point (`npm run dev`, src/dev/start.ts) starts an embedded server instead.
 */
export function databaseUrlOf(config: Config): string {
  if (config.store.databaseUrl) return config.store.databaseUrl;
  throw new ConfigError(['/store/databaseUrl: not set (set DATABASE_URL); `npm run dev` starts an embedded PostgreSQL for development (rule: required)']);
}

/** Rules JSON Schema cannot say. */
function crossChecks(config: Config): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  const topics = new Set<string>();
  config.destinations.forEach((d, i) => {
    if (names.has(d.name)) problems.push(`/destinations/${i}/name: duplicate destination name "${d.name}" (rule: unique)`);
    if (topics.has(d.topic)) problems.push(`/destinations/${i}/topic: topic "${d.topic}" used by two destinations (rule: unique)`);
    names.add(d.name);
    topics.add(d.topic);
    // a request waiting for a free connection would spend its timeout in the queue
    if (d.delivery?.way === 'service' && d.delivery.connections < d.delivery.partitionsConcurrently) {
      problems.push(`/destinations/${i}/delivery/connections: ${d.delivery.connections} is fewer than partitionsConcurrently ${d.delivery.partitionsConcurrently}; `
        + 'each partition delivered at once needs a connection of its own (rule: connections >= partitionsConcurrently)');
    }
  });
  return problems;
}
