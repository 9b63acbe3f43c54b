/**
 * JSON Schema of the whole configuration: the one source of truth. ajv checks a loaded configuration
 * against it and fills in the defaults (src/config/load.ts); the TypeScript types are derived from it
 * (src/config/types.ts), so a key documented here is the key the code reads. Environment variables
 * are parsed to their types in load.ts before the check.
 */
import { SCOPES } from '../domain/scopes.js';

const hostPort = { type: 'string', pattern: '^[A-Za-z0-9.\\-\\[\\]:]+:[0-9]{1,5}$', maxLength: 255 } as const;
const positiveInt = { type: 'integer', minimum: 1 } as const;

/** What every way of delivery has: how long it waits at most between attempts, and how big a batch is. */
const deliveryCommon = {
  /** longest wait between two attempts at a batch the platform did not take */
  maxBackoffMs: { type: 'integer', minimum: 50, maximum: 600000, default: 30000 },
  /** most bytes fetched per partition in one batch (so one package) */
  maxBytesPerPartition: { type: 'integer', minimum: 1024, maximum: 104857600, default: 1048576 },
  /** partitions one process delivers at once (each under its own lock; the platform sees that many batches in flight) */
  partitionsConcurrently: { type: 'integer', minimum: 1, maximum: 64, default: 3 },
} as const;

/**
 * `file`: packages (JSON Lines data file and manifest) written atomically into `directory`; the
 * platform's feedback files are read from `feedbackDirectory` and moved to `archiveDirectory` once applied.
 */
export const fileDeliverySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['way', 'directory', 'feedbackDirectory', 'archiveDirectory'],
  properties: {
    way: { const: 'file' },
    directory: { type: 'string', minLength: 1, maxLength: 1000 },
    feedbackDirectory: { type: 'string', minLength: 1, maxLength: 1000 },
    archiveDirectory: { type: 'string', minLength: 1, maxLength: 1000 },
    /** how often the feedback directory is read */
    feedbackPollMs: { type: 'integer', minimum: 20, maximum: 3600000, default: 1000 },
    ...deliveryCommon,
    // packages of about 4 MiB: per package the way pays a transaction, four fsyncs and an offset commit
    // (bench:deliver: 27–36% more events/s than with 1 MiB, about 50 MiB more peak RSS)
    maxBytesPerPartition: { ...deliveryCommon.maxBytesPerPartition, default: 4194304 },
    // every partition of a default topic (relay.topicPartitions) at once: a package's time is mostly
    // waiting (fsyncs, the transaction), which other partitions' packages overlap (bench:deliver, file
    // way, interleaved: median 19,406 events/s against 17,912 with 3; peak RSS 495–520 against 472–501 MiB)
    partitionsConcurrently: { ...deliveryCommon.partitionsConcurrently, default: 6 },
  },
} as const;

const envName = { type: 'string', pattern: '^[A-Z_][A-Z0-9_]{0,99}$' } as const;
const filePath = { type: 'string', minLength: 1, maxLength: 1000 } as const;

/**
 * `service`: batches POSTed to the platform's intake `url` (README "Delivery to platforms", the intake
 * contract), authenticated by a JWT signed like a partner's request to us, by a client certificate
 * (mTLS), or by a bearer token; the answer's per-event results are the feedback.
 */
export const serviceDeliverySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['way', 'url', 'auth'],
  properties: {
    way: { const: 'service' },
    url: { type: 'string', pattern: '^https?://', maxLength: 2048 },
    auth: {
      type: 'object',
      required: ['type'],
      properties: { type: { enum: ['jwt', 'mtls', 'token'] } },
      discriminator: { propertyName: 'type' },
      oneOf: [
        {
          type: 'object', additionalProperties: false, required: ['type', 'issuer', 'audience', 'keyFile'],
          properties: {
            type: { const: 'jwt' },
            /** iss and sub of the JWT: the gateway's id at the platform (e.g. the centre's USCC) */
            issuer: { type: 'string', minLength: 1, maxLength: 200 },
            /** aud: the platform's audience */
            audience: { type: 'string', minLength: 1, maxLength: 500 },
            /** a private JWK (JSON) with its kid */
            keyFile: filePath,
            alg: { enum: ['ES256', 'PS256', 'EdDSA', 'RS256'], default: 'ES256' },
          },
        },
        {
          type: 'object', additionalProperties: false, required: ['type', 'certFile', 'keyFile'],
          properties: { type: { const: 'mtls' }, certFile: filePath, keyFile: filePath, passphraseEnv: envName },
        },
        {
          type: 'object', additionalProperties: false, required: ['type', 'tokenEnv'],
          /** the environment variable holding the bearer token (never the YAML) */
          properties: { type: { const: 'token' }, tokenEnv: envName },
        },
      ],
    },
    /** CA certificate(s) (PEM) the platform's HTTPS certificate is checked against, besides the system's */
    caFile: filePath,
    /** most events in one request */
    batchSize: { type: 'integer', minimum: 1, maximum: 10000, default: 500 },
    /** a request not answered within this long is given up and tried again */
    timeoutMs: { type: 'integer', minimum: 100, maximum: 600000, default: 30000 },
    /** keep-alive connections to the platform */
    connections: { type: 'integer', minimum: 1, maximum: 64, default: 4 },
    /** the longest Retry-After (429, 503) honoured; a longer one waits this long */
    maxRetryAfterMs: { type: 'integer', minimum: 0, maximum: 3600000, default: 300000 },
    ...deliveryCommon,
  },
} as const;

/**
 * `database`: rows upserted into the platform's exchange tables (one per category, `<tablePrefix><category>`)
 * in PostgreSQL or MySQL/MariaDB; the platform writes its verdicts into `feedbackTable`, which the
 * gateway reads every `feedbackPollMs`. The URL comes from an environment variable, never the YAML.
 */
export const databaseDeliverySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['way', 'urlEnv'],
  properties: {
    way: { const: 'database' },
    /** the environment variable holding postgres://… or mysql://… (MySQL and MariaDB) */
    urlEnv: envName,
    /** a category's table is this prefix and the category id */
    tablePrefix: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,29}$', default: 'credit_' },
    feedbackTable: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,62}$', default: 'credit_feedback' },
    /** the gateway creates missing tables (else they must exist: delivery waits, naming the table) */
    createTables: { type: 'boolean', default: false },
    /** how often the feedback table is read */
    feedbackPollMs: { type: 'integer', minimum: 20, maximum: 3600000, default: 1000 },
    /** answers younger than this (by the database's clock) wait for the next read: a late commit is not passed by */
    feedbackSettleMs: { type: 'integer', minimum: 0, maximum: 600000, default: 2000 },
    statementTimeoutMs: { type: 'integer', minimum: 100, maximum: 3600000, default: 30000 },
    connectTimeoutMs: { type: 'integer', minimum: 100, maximum: 600000, default: 5000 },
    ...deliveryCommon,
  },
} as const;

/** How a destination's topic is delivered to its platform (issue 17; README "Delivery to platforms"), by `way`. */
export const deliverySchema = {
  type: 'object',
  required: ['way'],
  properties: { way: { enum: ['file', 'service', 'database'] } },
  discriminator: { propertyName: 'way' },
  oneOf: [fileDeliverySchema, serviceDeliverySchema, databaseDeliverySchema],
} as const;

export const destinationSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'topic', 'categories'],
  properties: {
    name: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,62}$' },
    topic: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,249}$' },
    /** category ids, or ["*"] for all */
    categories: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', pattern: '^(\\*|[a-z][a-z0-9_]{0,62})$' } },
    /** GB/T 2260 prefixes of subject regions; empty = all regions */
    regions: { type: 'array', default: [], uniqueItems: true, items: { type: 'string', pattern: '^[0-9]{2,6}$' } },
    maskPersonalIds: { type: 'boolean', default: true },
    /** take only records whose subject has a USCC (a pending organisation is sent once it is resolved) */
    requireUscc: { type: 'boolean', default: false },
    /** delivery of the topic to the destination's platform (src/delivery/); absent: the topic only */
    delivery: deliverySchema,
  },
} as const;

const connectorHttpProperties = {
  connectTimeoutMs: { type: 'integer', minimum: 100, maximum: 600000 },
  /** time allowed for the response headers and between body chunks */
  readTimeoutMs: { type: 'integer', minimum: 100, maximum: 600000 },
  /** attempts per request, the first included */
  maxAttempts: { type: 'integer', minimum: 1, maximum: 20 },
  backoffBaseMs: { type: 'integer', minimum: 1, maximum: 600000 },
  backoffMaxMs: { type: 'integer', minimum: 1, maximum: 3600000 },
  /** a Retry-After longer than this fails the request instead of waiting */
  maxRetryAfterMs: { type: 'integer', minimum: 0, maximum: 3600000 },
  perHostConcurrency: { type: 'integer', minimum: 1, maximum: 64 },
  /** requests started per second per host (token bucket) */
  perHostRatePerSecond: { type: 'number', exclusiveMinimum: 0, maximum: 10000 },
  // header values must be visible ASCII (undici refuses anything else)
  userAgent: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[\\x20-\\x7E]+$' },
} as const;

/** A column or table name of an exchange database: letters (Chinese too), digits, _ and $, not starting with a digit. */
const sqlIdentifier = { type: 'string', pattern: '^[\\p{L}_][\\p{L}\\p{N}_$]{0,62}$' } as const;
/** `table` or `schema.table` */
const sqlTableName = { type: 'string', pattern: '^([\\p{L}_][\\p{L}\\p{N}_$]{0,62}\\.)?[\\p{L}_][\\p{L}\\p{N}_$]{0,62}$' } as const;

/**
 * An exchange database (前置库) a department writes its rows into: which table, how it is paged and
 * what it may write back (src/connectors/exchange-db/). The connection URL is read from an
 * environment variable, never from the YAML.
 */
export const exchangeDbSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['urlEnv', 'table', 'key', 'cursor'],
  properties: {
    /** the environment variable holding postgres://… or mysql://… (MySQL and MariaDB) with a read-only account */
    urlEnv: { type: 'string', pattern: '^[A-Z_][A-Z0-9_]{0,99}$' },
    table: sqlTableName,
    /** the columns that identify a row (unique, not null): the tie-breaker of the cursor and the feedback's address */
    key: { type: 'array', minItems: 1, maxItems: 5, uniqueItems: true, items: sqlIdentifier },
    cursor: {
      type: 'object',
      additionalProperties: false,
      required: ['column'],
      properties: {
        /** an update time or a sequence the department sets on every insert and change */
        column: sqlIdentifier,
        /** time cursors only: rows newer than this many seconds (by the source's clock) wait for the next run */
        settleSeconds: { type: 'integer', minimum: 0, maximum: 86400, default: 0 },
        kind: { enum: ['time', 'sequence'], default: 'time' },
      },
    },
    /** complete: every pass reads the whole table and rows gone from it are removed (the removal sweep); incremental: rows changed since the cursor */
    listing: { enum: ['incremental', 'complete'], default: 'incremental' },
    /** a deletion flag: a row whose column holds one of these values withdraws its record */
    deleted: {
      type: 'object',
      additionalProperties: false,
      required: ['column', 'values'],
      properties: {
        column: sqlIdentifier,
        values: { type: 'array', minItems: 1, maxItems: 10, items: { type: ['string', 'integer'] } },
      },
    },
    /** where each row's verdict is written back: columns of the exchange table, or a feedback table keyed like it */
    feedback: {
      type: 'object',
      additionalProperties: false,
      required: ['status', 'message'],
      properties: {
        /** a table of its own (with a unique key on the key columns); absent: the exchange table's own columns */
        table: sqlTableName,
        status: sqlIdentifier,
        message: sqlIdentifier,
        at: sqlIdentifier,
        accepted: { type: 'string', minLength: 1, maxLength: 20, default: 'accepted' },
        rejected: { type: 'string', minLength: 1, maxLength: 20, default: 'rejected' },
        /** the longest message written (characters) */
        maxLength: { type: 'integer', minimum: 50, maximum: 4000, default: 1000 },
      },
    },
    pageSize: { type: 'integer', minimum: 1, maximum: 10000, default: 500 },
    /** every statement on the source connection is cancelled after this long */
    statementTimeoutMs: { type: 'integer', minimum: 100, maximum: 3600000, default: 30000 },
    connectTimeoutMs: { type: 'integer', minimum: 100, maximum: 600000, default: 5000 },
  },
} as const;

export const connectorInstanceSchema = {
  type: 'object',
  additionalProperties: false,
  // a source file by name, or one inline (src/connectors/declarative/spec.ts checks it at start-up); an
  // HTTP source needs its baseUrl, an exchange database its exchangeDb
  allOf: [
    { oneOf: [{ required: ['source'], properties: { source: true } }, { required: ['spec'], properties: { spec: true } }] },
    { oneOf: [{ required: ['baseUrl'], properties: { baseUrl: true } }, { required: ['exchangeDb'], properties: { exchangeDb: true } }] },
  ],
  properties: {
    /** a source file: connectors/<connector>/<variant>.source.yaml (an exchange table: <variant>.table.yaml), named `<connector>/<variant>` */
    source: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,62}/[a-z0-9][a-z0-9.-]{0,62}$' },
    /** or the source file's content inline (checked the same way at start-up) */
    spec: { type: 'object' },
    exchangeDb: exchangeDbSchema,
    enabled: { type: 'boolean', default: false },
    /** cron expression (node-cron, time zone connectors.defaults.timeZone); null = only on demand */
    schedule: { type: ['string', 'null'], minLength: 9, maxLength: 100, default: null },
    baseUrl: { type: 'string', pattern: '^https?://', maxLength: 2048 },
    auth: {
      default: { type: 'none' },
      oneOf: [
        { type: 'object', additionalProperties: false, required: ['type'], properties: { type: { const: 'none' } } },
        {
          type: 'object', additionalProperties: false, required: ['type', 'header', 'token'],
          properties: { type: { const: 'header' }, header: { type: 'string', pattern: '^[A-Za-z0-9-]{1,100}$' }, token: { type: 'string', minLength: 1 } },
        },
        {
          type: 'object', additionalProperties: false, required: ['type', 'username', 'password'],
          properties: { type: { const: 'basic' }, username: { type: 'string', minLength: 1 }, password: { type: 'string' } },
        },
        {
          type: 'object', additionalProperties: false, required: ['type', 'certFile', 'keyFile'],
          properties: {
            type: { const: 'client-cert' }, certFile: { type: 'string', minLength: 1 }, keyFile: { type: 'string', minLength: 1 },
            caFile: { type: 'string', minLength: 1 }, passphrase: { type: 'string' },
          },
        },
      ],
    },
    /** source system id stored in record.source.system (default: the source file's) */
    system: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{1,63}$' },
    /** GB/T 2260 code of the source's jurisdiction: the subject's region when neither the row nor its code tells it */
    region: { type: 'string', pattern: '^[0-9]{6}$' },
    /** rows per page asked for (default: the source file's) */
    pageSize: { type: 'integer', minimum: 1, maximum: 10000 },
    /** force a character set instead of the one the source declares (e.g. "gb18030") */
    encoding: { type: 'string', pattern: '^[A-Za-z0-9_-]{2,40}$' },
    http: { type: 'object', additionalProperties: false, properties: connectorHttpProperties },
    invalidThreshold: { type: 'number', minimum: 0, maximum: 1 },
    removalAfterRuns: { type: 'integer', minimum: 1, maximum: 1000 },
    removalMaxShare: { type: 'number', minimum: 0, maximum: 1 },
    removalBrakeMinRecords: { type: 'integer', minimum: 0 },
  },
} as const;

export const connectorsSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    defaults: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        connectTimeoutMs: { ...connectorHttpProperties.connectTimeoutMs, default: 5000 },
        readTimeoutMs: { ...connectorHttpProperties.readTimeoutMs, default: 30000 },
        maxAttempts: { ...connectorHttpProperties.maxAttempts, default: 5 },
        backoffBaseMs: { ...connectorHttpProperties.backoffBaseMs, default: 500 },
        backoffMaxMs: { ...connectorHttpProperties.backoffMaxMs, default: 30000 },
        maxRetryAfterMs: { ...connectorHttpProperties.maxRetryAfterMs, default: 120000 },
        perHostConcurrency: { ...connectorHttpProperties.perHostConcurrency, default: 2 },
        perHostRatePerSecond: { ...connectorHttpProperties.perHostRatePerSecond, default: 5 },
        userAgent: { ...connectorHttpProperties.userAgent, default: 'credit-exchange-gateway/0.1 (+connectors; government-integrity credit collection)' },
        /** share of invalid rows (0..1) above which a run is failed and alerts */
        invalidThreshold: { type: 'number', minimum: 0, maximum: 1, default: 0.2 },
        /** complete listings a record may be missing from before it is marked removed */
        removalAfterRuns: { type: 'integer', minimum: 1, maximum: 1000, default: 2 },
        /**
         * The removal brake: a pass that would remove more than this share of the connector's listed
         * records (and more than removalBrakeMinRecords of them) removes none, fails and alerts. A listing
         * that suddenly lacks a third of its rows is far more often a fault at the source than a court's decision.
         */
        removalMaxShare: { type: 'number', minimum: 0, maximum: 1, default: 0.3 },
        removalBrakeMinRecords: { type: 'integer', minimum: 0, default: 10 },
        timeZone: { type: 'string', minLength: 1, default: 'Asia/Shanghai' },
      },
    },
    instances: {
      type: 'object',
      default: {},
      propertyNames: { pattern: '^[a-z][a-z0-9-]{0,62}$' },
      additionalProperties: connectorInstanceSchema,
    },
  },
} as const;

/** One registered partner agency (src/auth; README "Onboarding a partner agency"). USCC and key checks: src/auth/registry-check.ts. */
export const partnerSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'scopes'],
  properties: {
    id: { type: 'string', minLength: 18, maxLength: 18 },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    jwks: {
      type: 'object',
      required: ['keys'],
      properties: { keys: { type: 'array', minItems: 1, items: { type: 'object', required: ['kty', 'kid'], properties: { kty: { type: 'string' }, kid: { type: 'string', minLength: 1 } } } } },
    },
    jwksUri: { type: 'string', pattern: '^https?://', maxLength: 2000 },
    allowRs256: { type: 'boolean', default: false },
    scopes: { type: 'array', uniqueItems: true, items: { enum: [...SCOPES] } },
    /** the record.source.system values the agency writes under; no two partners, and no connector, share one */
    sourceSystems: { type: 'array', default: [], uniqueItems: true, items: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{1,63}$' } },
    categories: { type: 'array', default: [], uniqueItems: true, items: { type: 'string', pattern: '^(\\*|[a-z][a-z0-9_]{0,62})$' } },
    regions: { type: 'array', default: [], uniqueItems: true, items: { type: 'string', pattern: '^(\\*|[0-9]{2,6})$' } },
    rateLimit: {
      type: 'object',
      additionalProperties: false,
      default: { requests: 600, perSeconds: 60 },
      required: ['requests', 'perSeconds'],
      properties: { requests: { ...positiveInt, maximum: 1000000 }, perSeconds: { ...positiveInt, maximum: 86400 } },
    },
    cidrs: { type: 'array', default: [], items: { type: 'string', maxLength: 64 } },
  },
} as const;

export const authSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['audience'],
  properties: {
    /** false only for local development and the benchmark baseline: no verification, signing or audit */
    enabled: { type: 'boolean', default: true },
    audience: { type: 'string', minLength: 1, maxLength: 500 },
    clockSkewSeconds: { type: 'integer', minimum: 0, maximum: 60, default: 5 },
    maxTokenLifetimeSeconds: { type: 'integer', minimum: 1, maximum: 300, default: 300 },
    maxFutureIatSeconds: { type: 'integer', minimum: 0, maximum: 60, default: 10 },
    jwksCacheSeconds: { type: 'integer', minimum: 1, maximum: 86400, default: 300 },
    jwksCooldownSeconds: { type: 'integer', minimum: 0, maximum: 3600, default: 30 },
    /** a /v1 request taking this long or longer is logged (warn) with when each of its steps ended; 0: none is */
    slowRequestMs: { type: 'integer', minimum: 0, maximum: 600000, default: 1000 },
    /** replay store and rate counters in Redis instead of PostgreSQL */
    redisUrl: { type: ['string', 'null'], pattern: '^rediss?://', default: null },
    signingKeys: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        dir: { type: 'string', minLength: 1, default: './data/keys' },
        alg: { enum: ['ES256', 'PS256', 'EdDSA'], default: 'ES256' },
        rotateAfterDays: { type: 'integer', minimum: 1, maximum: 3650, default: 90 },
        retainDays: { type: 'integer', minimum: 1, maximum: 3650, default: 30 },
      },
    },
    /** signed copies of the audit chain head, appended to a file outside the database (null file = in signingKeys.dir) */
    auditCheckpoints: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true },
        file: { type: ['string', 'null'], minLength: 1, default: null },
        intervalSeconds: { type: 'integer', minimum: 1, maximum: 86400, default: 60 },
      },
    },
    partners: { type: 'array', default: [], items: partnerSchema },
  },
} as const;

const scoreWeight = { type: 'number', minimum: 0, maximum: 10000 } as const;

export const monitoringSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    alertsTopic: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,249}$', default: 'credit.monitoring.alerts.v1' },
    scoreWeights: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        severe: { ...scoreWeight, default: 10 },
        general: { ...scoreWeight, default: 3 },
        minor: { ...scoreWeight, default: 1 },
        dishonestDebtor: { ...scoreWeight, default: 20 },
        paymentDefault: { ...scoreWeight, default: 5 },
        overdueHandling: { ...scoreWeight, default: 2 },
        halfScorePenalty: { type: 'number', exclusiveMinimum: 0, maximum: 1000000, default: 100 },
      },
    },
    /** a region whose score for the current period falls below this raises an alert */
    scoreAlertThreshold: { type: 'number', minimum: 0, maximum: 100, default: 60 },
    detectorEnabled: { type: 'boolean', default: true },
    detectorIntervalMs: { type: 'integer', minimum: 10, maximum: 3600000, default: 30000 },
    /** changed records examined per detector transaction */
    detectorBatchSize: { type: 'integer', minimum: 1, maximum: 100000, default: 1000 },
    /** a destination whose platform rejected more than this share of its answers in the last hour raises an alert */
    deliveryRejectedShare: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.2 },
    /** ... once it answered at least this many records in that hour */
    deliveryRejectedMinAnswers: { type: 'integer', minimum: 1, maximum: 1000000, default: 20 },
  },
} as const;

export const consoleSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    operators: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['username', 'passwordHash'],
        properties: {
          username: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' },
          passwordHash: { type: 'string', pattern: '^scrypt\\$[0-9]+\\$[0-9]+\\$[0-9]+\\$[A-Za-z0-9+/=_-]+\\$[A-Za-z0-9+/=_-]+$' },
        },
      },
    },
    sessionTtlMinutes: { type: 'integer', minimum: 1, maximum: 10080, default: 480 },
    /** origins (scheme://host[:port]) besides the one a request is addressed to, e.g. behind a reverse proxy that rewrites Host */
    allowedOrigins: { type: 'array', default: [], uniqueItems: true, items: { type: 'string', pattern: '^https?://[^/]+$', maxLength: 300 } },
    signIn: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        windowMinutes: { type: 'integer', minimum: 1, maximum: 1440, default: 15 },
        freeAttempts: { type: 'integer', minimum: 1, maximum: 100, default: 5 },
        /** the wait after the first failure beyond the free attempts; it doubles with each further failure */
        firstDelaySeconds: { type: 'integer', minimum: 1, maximum: 3600, default: 1 },
        maxDelaySeconds: { type: 'integer', minimum: 1, maximum: 86400, default: 900 },
        lockoutAlertAfter: { type: 'integer', minimum: 1, maximum: 1000, default: 10 },
      },
    },
  },
} as const;

const months = { type: 'integer', minimum: 0, maximum: 600 } as const;
const periodRange = {
  type: 'object', additionalProperties: false, required: ['min', 'max'], properties: { min: months, max: months },
} as const;
const severityPeriods = {
  type: 'object', additionalProperties: false, properties: { minor: periodRange, general: periodRange, severe: periodRange },
} as const;

/** Publication periods (months) by regime, category and severity; every regime needs a complete "*" entry. */
export const publicationPeriodsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['regimes', 'dishonestDebtor'],
  properties: {
    regimes: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'nameZh', 'from', 'rules'],
        properties: {
          id: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' },
          nameZh: { type: 'string', minLength: 1, maxLength: 200 },
          from: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' },
          rules: {
            type: 'object',
            required: ['*'],
            propertyNames: { pattern: '^(\\*|[a-z][a-z0-9_]{0,62})$' },
            properties: { '*': { ...severityPeriods, required: ['minor', 'general', 'severe'] } },
            additionalProperties: severityPeriods,
          },
        },
      },
    },
    dishonestDebtor: {
      type: 'object',
      additionalProperties: false,
      required: ['months'],
      properties: {
        months: { ...months, minimum: 1 },
        /** months after publishFrom when removal or repair may be asked for */
        repairAfterMonths: { ...months, default: 0 },
        /** behaviours (substring of data.behaviour) listed without a fixed end date */
        indefiniteBehaviours: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
      },
    },
  },
} as const;

export const measureSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'nameZh', 'nameEn', 'appliesTo'],
  properties: {
    id: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$' },
    nameZh: { type: 'string', minLength: 1, maxLength: 200 },
    nameEn: { type: 'string', minLength: 1, maxLength: 200 },
    appliesTo: {
      type: 'object',
      additionalProperties: false,
      required: ['categories', 'severities'],
      properties: {
        categories: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', pattern: '^(\\*|[a-z][a-z0-9_]{0,62})$' } },
        severities: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['minor', 'general', 'severe'] } },
      },
    },
  },
} as const;

/** File uploads (POST /v1/uploads, src/uploads/): the limits a file is checked against before anything is stored. */
export const uploadsSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    /** the largest upload body (bytes); a larger one is refused with 413 GW_BODY_TOO_LARGE */
    maxBytes: { type: 'integer', minimum: 1024, maximum: 1073741824, default: 67108864 },
    /** the most data rows a file may hold (header rows not counted) */
    maxRows: { type: 'integer', minimum: 1, maximum: 1048575, default: 200000 },
    /** XLSX: the most bytes all parts of the zip may inflate to, declared and actual */
    maxUncompressedBytes: { type: 'integer', minimum: 1024, maximum: 4294967296, default: 536870912 },
    /** XLSX: the highest ratio of a part's inflated size to its compressed size */
    maxCompressionRatio: { type: 'integer', minimum: 2, maximum: 10000, default: 200 },
    /** XLSX: the most parts (zip entries) a workbook may have */
    maxZipEntries: { type: 'integer', minimum: 4, maximum: 100000, default: 2000 },
    /** rows stored per transaction */
    batchSize: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 },
    /** an upload whose worker has not reported for this long (a crashed process) is resumed by another */
    staleAfterSeconds: { type: 'integer', minimum: 5, maximum: 86400, default: 60 },
    /** how often a gateway looks for queued or interrupted uploads */
    pollIntervalMs: { type: 'integer', minimum: 50, maximum: 600000, default: 2000 },
    /** false: this process takes uploads but does not work on them (another process does) */
    workerEnabled: { type: 'boolean', default: true },
  },
} as const;

export const configSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  required: ['server', 'store', 'kafka', 'relay', 'destinations', 'log', 'idempotency', 'publicationPeriods', 'auth'],
  properties: {
    server: {
      type: 'object',
      additionalProperties: false,
      required: ['host', 'port'],
      properties: {
        host: { type: 'string', minLength: 1 },
        port: { type: 'integer', minimum: 0, maximum: 65535 },
        bodyLimitBytes: { type: 'integer', minimum: 1024, maximum: 268435456, default: 8388608 },
        maxBatchSize: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 },
        shutdownGraceMs: { type: 'integer', minimum: 0, maximum: 600000, default: 15000 },
      },
    },
    store: {
      type: 'object',
      additionalProperties: false,
      required: ['embedded'],
      properties: {
        databaseUrl: { type: ['string', 'null'], pattern: '^postgres(ql)?://', default: null },
        embedded: {
          type: 'object',
          additionalProperties: false,
          required: ['dataDir', 'port'],
          properties: {
            dataDir: { type: 'string', minLength: 1 },
            port: { type: 'integer', minimum: 1, maximum: 65535 },
            user: { type: 'string', pattern: '^[a-z_][a-z0-9_]{0,62}$', default: 'gateway' },
            password: { type: 'string', minLength: 1, default: 'gateway' },
            database: { type: 'string', pattern: '^[a-z_][a-z0-9_]{0,62}$', default: 'gateway' },
          },
        },
        poolMax: { type: 'integer', minimum: 2, maximum: 200, default: 10 },
        statementTimeoutMs: { type: 'integer', minimum: 100, default: 30000 },
        /** longest wait for a free pooled connection before a request gets 503 GW_STORE_UNAVAILABLE */
        connectionTimeoutMs: { type: 'integer', minimum: 100, maximum: 600000, default: 10000 },
        /**
         * the planner's cost of a random page read on the gateway's connections (PostgreSQL's
         * random_page_cost; its default 4 assumes spinning disks): with 4, a batch's lookups by key scan
         * the whole records and subjects tables until they hold 100,000 rows or more
         */
        randomPageCost: { type: 'number', minimum: 0.1, maximum: 100, default: 1.1 },
      },
    },
    kafka: {
      type: 'object',
      additionalProperties: false,
      required: ['brokers'],
      properties: {
        brokers: { type: 'array', minItems: 1, items: hostPort },
        clientId: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,100}$', default: 'credit-gateway' },
        startLocalBroker: { type: 'boolean', default: true },
        connectionTimeoutMs: { type: 'integer', minimum: 100, default: 3000 },
        requestTimeoutMs: { type: 'integer', minimum: 1000, default: 30000 },
      },
    },
    relay: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean', default: true },
        batchSize: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 },
        idleIntervalMs: { type: 'integer', minimum: 10, maximum: 60000, default: 200 },
        maxBackoffMs: { type: 'integer', minimum: 100, maximum: 600000, default: 30000 },
        topicPartitions: { ...positiveInt, maximum: 1000, default: 6 },
        /**
         * the most bytes (keys, values, headers) one produce request carries: a round's events go out
         * in requests of at most this much, so no partition's batch passes the broker's
         * message.max.bytes (1 MiB by default; keep this below it and the topics' max.message.bytes)
         */
        maxRequestBytes: { type: 'integer', minimum: 65536, maximum: 104857600, default: 524288 },
      },
    },
    idempotency: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ttlHours: { ...positiveInt, maximum: 8760, default: 24 },
        /** how often answers older than ttlHours are deleted */
        purgeIntervalSeconds: { type: 'integer', minimum: 1, maximum: 86400, default: 300 },
      },
    },
    publicationPeriods: publicationPeriodsSchema,
    objections: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { deadlineDays: { ...positiveInt, maximum: 365, default: 10 } },
    },
    repairs: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { decisionDeadlineDays: { ...positiveInt, maximum: 365, default: 7 } },
    },
    measures: { type: 'array', default: [], items: measureSchema },
    lifecycle: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        expiryEnabled: { type: 'boolean', default: true },
        expirySchedule: { type: 'string', minLength: 9, maxLength: 100, default: '0 7 * * * *' },
        expiryBatchSize: { ...positiveInt, maximum: 10000, default: 1000 },
      },
    },
    destinations: {
      type: 'array',
      items: destinationSchema,
    },
    connectors: connectorsSchema,
    auth: authSchema,
    monitoring: monitoringSchema,
    console: consoleSchema,
    uploads: uploadsSchema,
    log: {
      type: 'object',
      additionalProperties: false,
      properties: {
        level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
      },
    },
  },
} as const;
