/**
 * The PostgreSQL advisory locks the gateway takes, in one table so that no two uses share a number.
 * Session locks are released by PostgreSQL when the connection that holds them ends (a process that
 * dies lets go); transaction locks at commit or rollback.
 */
export const ADVISORY_LOCKS = {
  /** session, around applying migrations: two processes starting together migrate once (migrate.ts) */
  migrations: 724_100_001,
  /**
   * transaction: shared by every writer of `records` from its first change-feed position to its commit;
   * a reader of the feed's horizon waits for its holders (feed-horizon.ts), never taking it
   */
  changeFeed: 724_100_002,
  /** session, held by the one process whose relay publishes the outbox (outbox-repo.ts) */
  relayLease: 724_100_003,
  /** session, first key of a connector's run lock; the second is hashtext(connector) (connectors-repo.ts) */
  connectorRuns: 724_100_100,
  /** transaction, first key of a delivery's hand-over lock; the second is hashtext('<destination>/<partition>') (deliveries-repo.ts) */
  deliveryPartition: 724_100_200,
} as const;
