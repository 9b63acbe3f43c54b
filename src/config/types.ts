/** The validated configuration, as the rest of the code sees it (shape = src/config/schema.ts). */
import type { ScoreWeights } from '../domain/integrity-score.js';

export interface DestinationConfig {
  name: string;
  topic: string;
  /** category ids, or ["*"] for all */
  categories: string[];
  /** GB/T 2260 prefixes of subject regions; empty = all regions */
  regions: string[];
  maskPersonalIds: boolean;
  /** take only records whose subject has a USCC (a pending organisation is sent once it is resolved) */
  requireUscc: boolean;
}

/** HTTP behaviour of a connector towards its source (defaults, overridable per instance). */
export interface ConnectorHttpConfig {
  connectTimeoutMs: number;
  /** time allowed for the response headers and between body chunks */
  readTimeoutMs: number;
  /** attempts per request, the first included */
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** a Retry-After longer than this fails the request instead of waiting */
  maxRetryAfterMs: number;
  perHostConcurrency: number;
  /** requests started per second per host (token bucket) */
  perHostRatePerSecond: number;
  userAgent: string;
}

export type ConnectorAuthConfig =
  | { type: 'none' }
  | { type: 'header'; header: string; token: string }
  | { type: 'basic'; username: string; password: string }
  | { type: 'client-cert'; certFile: string; keyFile: string; caFile?: string; passphrase?: string };

export interface ConnectorInstanceConfig {
  /** a source file: connectors/<connector>/<variant>.source.yaml, named `<connector>/<variant>` */
  source?: string;
  /** or the source file's content inline (checked the same way at start-up) */
  spec?: Record<string, unknown>;
  enabled: boolean;
  /** cron expression (node-cron, time zone Asia/Shanghai); null = only on demand */
  schedule: string | null;
  baseUrl: string;
  auth: ConnectorAuthConfig;
  /** source system id stored in record.source.system (default: the source file's) */
  system?: string;
  /** GB/T 2260 code of the source's jurisdiction: a subject's region when neither the row nor its code tells it */
  region?: string;
  /** rows per page asked for (default: the source file's) */
  pageSize?: number;
  /** force a character set instead of the one the source declares (e.g. "gb18030") */
  encoding?: string;
  http?: Partial<ConnectorHttpConfig>;
  invalidThreshold?: number;
  removalAfterRuns?: number;
  removalMaxShare?: number;
  removalBrakeMinRecords?: number;
}

export interface ConnectorsConfig {
  defaults: ConnectorHttpConfig & {
    /** share of invalid rows (0..1) above which a run is failed and alerts */
    invalidThreshold: number;
    /** complete listings a record may be missing from before it is marked removed */
    removalAfterRuns: number;
    /**
     * The removal brake: a pass that would remove more than this share of the connector's listed
     * records (and more than removalBrakeMinRecords of them) removes none, fails and alerts. A listing
     * that suddenly lacks a third of its rows is far more often a fault at the source than a court's decision.
     */
    removalMaxShare: number;
    removalBrakeMinRecords: number;
    timeZone: string;
  };
  instances: Record<string, ConnectorInstanceConfig>;
}

/** A minimum and maximum publication period, in months (lifecycle: publication periods). */
export interface PeriodRangeConfig {
  min: number;
  max: number;
}

/** Periods by severity; a category without its own entry uses the regime's "*" entry. */
export type SeverityPeriodsConfig = Partial<Record<'minor' | 'general' | 'severe', PeriodRangeConfig>>;

/** One set of publication rules, in force for records decided on or after `from`. */
export interface PublicationRegimeConfig {
  id: string;
  nameZh: string;
  /** YYYY-MM-DD: first decision date the regime applies to */
  from: string;
  /** category id or "*" → periods by severity */
  rules: Record<string, SeverityPeriodsConfig>;
}

export interface PublicationPeriodsConfig {
  regimes: PublicationRegimeConfig[];
  /** 失信被执行人: the court list's own rules (法释〔2017〕7号), whatever the regime */
  dishonestDebtor: {
    months: number;
    /** months after publishFrom when removal or repair may be asked for */
    repairAfterMonths: number;
    /** behaviours (substring of data.behaviour) listed without a fixed end date */
    indefiniteBehaviours: string[];
  };
}

/** A joint-punishment measure (联合惩戒措施) and the records it applies to. */
export interface MeasureConfig {
  id: string;
  nameZh: string;
  nameEn: string;
  /** categories (or "*") and severities whose published records trigger the measure */
  appliesTo: { categories: string[]; severities: Array<'minor' | 'general' | 'severe'> };
}

export interface MonitoringConfig {
  /** Kafka topic of alert events */
  alertsTopic: string;
  scoreWeights: ScoreWeights;
  /** a region whose score for the current period falls below this raises an alert */
  scoreAlertThreshold: number;
  detectorEnabled: boolean;
  detectorIntervalMs: number;
  /** changed records examined per detector transaction */
  detectorBatchSize: number;
}

export interface ConsoleConfig {
  operators: Array<{ username: string; passwordHash: string }>;
  sessionTtlMinutes: number;
  /** origins accepted on state-changing requests besides the one the request is addressed to */
  allowedOrigins: string[];
  /** throttling of failed sign-ins (src/console/signin-throttle.ts) */
  signIn: import('../console/signin-throttle.js').SignInThrottleConfig;
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
    /** longest wait for a free pooled connection before a request gets 503 GW_STORE_UNAVAILABLE */
    connectionTimeoutMs: number;
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
  idempotency: { ttlHours: number; purgeIntervalSeconds: number };
  publicationPeriods: PublicationPeriodsConfig;
  objections: { deadlineDays: number };
  repairs: { decisionDeadlineDays: number };
  measures: MeasureConfig[];
  lifecycle: { expiryEnabled: boolean; expirySchedule: string; expiryBatchSize: number };
  destinations: DestinationConfig[];
  connectors: ConnectorsConfig;
  monitoring: MonitoringConfig;
  console: ConsoleConfig;
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
  auth: AuthConfig;
}

/** A registered partner agency (README "Onboarding a partner agency"). */
export interface PartnerConfig {
  /** the agency's own USCC */
  id: string;
  name: string;
  /** inline public keys, or jwksUri (exactly one of the two) */
  jwks?: { keys: Array<Record<string, unknown>> };
  jwksUri?: string;
  allowRs256: boolean;
  scopes: Array<import('../auth/scopes.js').Scope>;
  /** record.source.system values it writes under (its own) */
  sourceSystems: string[];
  /** category ids it may write, or ["*"] */
  categories: string[];
  /** GB/T 2260 prefixes of subject regions it may write, or ["*"] */
  regions: string[];
  rateLimit: { requests: number; perSeconds: number };
  /** allowed client addresses (CIDR); empty = any */
  cidrs: string[];
}

export interface AuthConfig {
  /** false only for local development and the benchmark baseline: no verification, signing or audit */
  enabled: boolean;
  audience: string;
  clockSkewSeconds: number;
  maxTokenLifetimeSeconds: number;
  maxFutureIatSeconds: number;
  jwksCacheSeconds: number;
  jwksCooldownSeconds: number;
  /** replay store and rate counters in Redis instead of PostgreSQL */
  redisUrl: string | null;
  signingKeys: { dir: string; alg: 'ES256' | 'PS256' | 'EdDSA'; rotateAfterDays: number; retainDays: number };
  /** signed copies of the audit chain head, appended to a file outside the database (null file = in signingKeys.dir) */
  auditCheckpoints: { enabled: boolean; file: string | null; intervalSeconds: number };
  partners: PartnerConfig[];
}
