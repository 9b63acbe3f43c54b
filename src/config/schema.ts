/** JSON Schema of the whole configuration. ajv fills defaults and coerces env-var strings against it. */

const hostPort = { type: 'string', pattern: '^[A-Za-z0-9.\\-\\[\\]:]+:[0-9]{1,5}$', maxLength: 255 } as const;
const positiveInt = { type: 'integer', minimum: 1 } as const;

export const destinationSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'topic', 'categories'],
  properties: {
    name: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,62}$' },
    topic: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,249}$' },
    categories: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', pattern: '^(\\*|[a-z][a-z0-9_]{0,62})$' } },
    regions: { type: 'array', default: [], uniqueItems: true, items: { type: 'string', pattern: '^[0-9]{2,6}$' } },
    maskPersonalIds: { type: 'boolean', default: true },
  },
} as const;

export const configSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  required: ['server', 'store', 'kafka', 'relay', 'destinations', 'log', 'idempotency'],
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
      },
    },
    idempotency: {
      type: 'object',
      additionalProperties: false,
      properties: { ttlHours: { ...positiveInt, maximum: 8760, default: 24 } },
    },
    destinations: {
      type: 'array',
      items: destinationSchema,
    },
    log: {
      type: 'object',
      additionalProperties: false,
      properties: {
        level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
      },
    },
  },
} as const;
