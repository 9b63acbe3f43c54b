/** What the HTTP layer and background jobs are given: built once, complete, in server.ts. */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from './config/load.js';
import type { ConnectorService } from './connectors/service.js';
import type { Metrics } from './metrics.js';
import type { Outbox } from './outbox/outbox.js';
import type { BrokerProbe, Publishing } from './outbox/publishing.js';
import type { RecordValidator } from './validation/validator.js';
import type { RecordPreparer } from './ingest/prepare.js';
import type { RecordGrant } from './domain/grant.js';

export interface AppContext {
  config: Config;
  pool: pg.Pool;
  validator: RecordValidator;
  /** validates and prepares records, pushed or pulled (schemas + publication periods) */
  preparer: RecordPreparer;
  log: Logger;
  metrics: Metrics;
  /** where every event is queued (records, lifecycle, alerts); wakes the relay after commits */
  outbox: Outbox;
  /** the relay's status, for /readyz */
  relay: Pick<Publishing['relay'], 'status'>;
  broker: BrokerProbe;
  connectors: ConnectorService;
  /** the background worker of file uploads (issue 18); idle where uploads.workerEnabled is false (another process works on them) */
  uploads: { wake(): void; start(): void; stop(): Promise<void> };
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
