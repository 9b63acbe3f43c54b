/** What the HTTP layer and background jobs are given: built once in server.ts (or by a test). */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from './config/load.js';
import type { ConnectorService } from './connectors/service.js';
import type { Metrics } from './metrics.js';
import type { Relay } from './publish/relay.js';
import type { RecordValidator } from './validation/validator.js';
import type { RecordPreparer } from './ingest/prepare.js';
import type { RecordGrant } from './domain/grant.js';

export interface BrokerProbe {
  /** resolves true when the broker answers within the timeout */
  ping(): Promise<boolean>;
}

export interface AppContext {
  config: Config;
  pool: pg.Pool;
  validator: RecordValidator;
  /** validates and prepares records, pushed or pulled (schemas + publication periods) */
  preparer: RecordPreparer;
  log: Logger;
  metrics: Metrics;
  relay?: Relay;
  broker?: BrokerProbe;
  connectors?: ConnectorService;
}

/** The verified caller of a /v1 request (filled in by partner authentication; null when auth is off). */
export interface Principal extends RecordGrant {
  partnerId: string;
  scopes: Set<string>;
  /** record.source.system values the partner writes under */
  sourceSystems: Set<string>;
  purpose?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    rawBody?: Buffer;
  }
}

export function actorOf(principal: Principal | null): string {
  return principal?.partnerId ?? 'anonymous';
}

export function mayReadPii(principal: Principal | null): boolean {
  return principal?.scopes.has('pii:read') ?? false;
}
