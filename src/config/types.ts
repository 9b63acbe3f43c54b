/** The validated configuration, as the rest of the code sees it (shape = src/config/schema.ts). */

export interface DestinationConfig {
  name: string;
  topic: string;
  /** category ids, or ["*"] for all */
  categories: string[];
  /** GB/T 2260 prefixes of subject regions; empty = all regions */
  regions: string[];
  maskPersonalIds: boolean;
}

export interface Config {
  server: {
    host: string;
    port: number;
    bodyLimitBytes: number;
    maxBatchSize: number;
    shutdownGraceMs: number;
  };
  store: {
    databaseUrl: string | null;
    embedded: { dataDir: string; port: number; user: string; password: string; database: string };
    poolMax: number;
    statementTimeoutMs: number;
  };
  kafka: {
    brokers: string[];
    clientId: string;
    startLocalBroker: boolean;
    connectionTimeoutMs: number;
    requestTimeoutMs: number;
  };
  relay: {
    enabled: boolean;
    batchSize: number;
    idleIntervalMs: number;
    maxBackoffMs: number;
    topicPartitions: number;
  };
  idempotency: { ttlHours: number };
  destinations: DestinationConfig[];
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
}
