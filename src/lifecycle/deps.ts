/** What the lifecycle services (objections, repairs, expiry) are given, and who is calling. */
import type pg from 'pg';
import type { Config } from '../config/types.js';
import type { RecordGrant } from '../domain/grant.js';
import type { Outbox } from '../outbox/outbox.js';

export interface LifecycleDeps {
  pool: pg.Pool;
  config: Pick<Config, 'objections' | 'repairs' | 'publicationPeriods'>;
  /** a change's events are queued here, and the relay woken after the commit */
  outbox: Outbox;
  /** the clock (tests pass a fixed one) */
  now?: () => Date;
}

export interface Caller {
  /** who, for the version history: partner id, "anonymous", or a job name */
  actor: string;
  /** the verified partner's id (its USCC), when there is one */
  partnerId: string | null;
  /** the records the caller may act on; null = all (operators, jobs, auth disabled) */
  grant: RecordGrant | null;
}
