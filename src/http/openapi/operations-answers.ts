/**
 * Component schemas of what the operations routes answer: connectors and their runs
 * (src/routes/connectors.ts, src/connectors/status.ts), the integrity report (src/routes/reports.ts,
 * src/monitoring/report.ts), alerts (src/routes/alerts.ts) and the gateway's JWKS.
 */
import { REPORT_LEVELS } from '../../monitoring/report.js';
import { componentRef, defComponentOf, type JsonSchema } from './schema-components.js';
import { ALERT_KINDS } from '../../store/alerts-repo.js';

const str = { type: 'string' } as const;
const int = { type: 'integer', minimum: 0 } as const;
const num = { type: 'number' } as const;
const bool = { type: 'boolean' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const orNull = (schema: object) => ({ anyOf: [schema, { type: 'null' }] });
const arrayOf = (items: object) => ({ type: 'array', items });
const objectOf = (properties: Record<string, object>, required = Object.keys(properties)) => ({ type: 'object', required, properties });

/** A source's paging position: opaque to clients. */
const PAGE_CURSOR = { type: 'object', additionalProperties: { anyOf: [str, num, { type: 'null' }] } } as const;

const RUN_COUNTS = ['pages', 'pulled', 'created', 'updated', 'unchanged', 'rejected', 'skipped', 'removed', 'issues'] as const;

const CONNECTOR_RUN: JsonSchema = objectOf({
  runId: { type: 'integer', minimum: 1 },
  connector: str,
  trigger: { enum: ['schedule', 'api', 'cli', 'startup'] },
  state: { enum: ['running', 'succeeded', 'failed', 'abandoned'] },
  startedAt: dateTime,
  finishedAt: orNull(dateTime),
  ...Object.fromEntries(RUN_COUNTS.map((count) => [count, int])),
  cursorBefore: orNull(PAGE_CURSOR),
  cursorAfter: orNull(PAGE_CURSOR),
  error: orNull(str),
  host: orNull(str),
});

const CONNECTOR_STATUS: JsonSchema = objectOf({
  name: str,
  source: { type: 'string', description: 'the source definition the connector runs' },
  enabled: bool,
  schedule: { ...orNull(str), description: 'cron expression (Asia/Shanghai)' },
  state: { enum: ['idle', 'running', 'interrupted', 'disabled'] },
  runningHere: { type: 'boolean', description: 'running in the process that answered' },
  lastRun: orNull(componentRef('ConnectorRun')),
  lastSuccessAt: orNull(dateTime),
  lastError: orNull(objectOf({ runId: { type: 'integer' }, at: orNull(dateTime), message: orNull(str) })),
  counts: orNull(objectOf(Object.fromEntries(['pulled', 'created', 'updated', 'unchanged', 'rejected', 'skipped', 'removed'].map((c) => [c, int])))),
  cursor: orNull(PAGE_CURSOR),
  pass: { type: 'integer', minimum: 1 },
  nextRunAt: orNull(dateTime),
  quarantined: int,
  issues: int,
});

const BY_SEVERITY = objectOf({ severe: int, general: int, minor: int });
const HANDLING = orNull(objectOf({ handled: int, pastDeadline: int }));

const REPORT_ROW: JsonSchema = objectOf({
  rank: { type: 'integer', minimum: 1 },
  code: { type: 'string', description: 'region code (GB/T 2260), or a USCC at level subject' },
  name: str,
  activeNegative: objectOf({
    total: int,
    bySeverity: BY_SEVERITY,
    byCategory: { type: 'object', propertyNames: componentRef(defComponentOf('common', 'category')), additionalProperties: int },
  }),
  newInPeriod: objectOf({ total: int, bySeverity: BY_SEVERITY }),
  debtorSubjects: int,
  unresolvedPaymentDefaults: int,
  objections: HANDLING,
  repairs: HANDLING,
  penalty: num,
  score: { type: 'number', minimum: 0, maximum: 100 },
});

const INTEGRITY_REPORT: JsonSchema = objectOf({
  period: objectOf({ id: { type: 'string', description: '2026Q3, 2026-07 or 2026' }, start: str, end: str }),
  level: { enum: [...REPORT_LEVELS] },
  regionPrefix: orNull(str),
  stateAt: { ...dateTime, description: 'the instant whose state the report describes' },
  generatedAt: dateTime,
  regionCodes: { type: 'string', description: 'the edition of the region code table used' },
  weights: objectOf(Object.fromEntries(['severe', 'general', 'minor', 'dishonestDebtor', 'paymentDefault', 'overdueHandling', 'halfScorePenalty'].map((w) => [w, num]))),
  handlingAvailable: { type: 'boolean', description: 'false until the lifecycle tables exist' },
  rows: arrayOf(componentRef('ReportRow')),
});

const nullableInt = orNull({ type: 'integer' });

const ALERT: JsonSchema = objectOf({
  alertId: { type: 'string', format: 'uuid' },
  seq: { type: 'integer', minimum: 1 },
  kind: { enum: [...ALERT_KINDS] },
  region: orNull(str),
  recordId: orNull(str),
  recordVersion: nullableInt,
  uscc: orNull(str),
  level: orNull(str),
  period: orNull(str),
  score: orNull(num),
  threshold: orNull(num),
  connector: orNull(str),
  connectorRunId: nullableInt,
  details: { type: 'object', additionalProperties: true, description: 'what the alert is about' },
  raisedAt: dateTime,
});

/** An upload's progress (POST and GET /v1/uploads). */
const UPLOAD_PROGRESS = objectOf({
  id: { type: 'string', format: 'uuid' },
  category: str,
  sourceSystem: str,
  format: { enum: ['xlsx', 'csv'] },
  encoding: orNull(str),
  fileName: orNull(str),
  state: { enum: ['queued', 'running', 'done', 'failed'] },
  rowsTotal: { ...nullableInt, description: 'data rows at most (the sheet\'s rows below its headings)' },
  rowsRead: int,
  stored: { ...int, description: 'rows stored (created or updated)' },
  unchanged: int,
  rejected: int,
  error: { ...orNull(objectOf({ code: str, zh: str, en: str })), description: 'why a failed upload stopped' },
  createdAt: dateTime,
  startedAt: orNull(dateTime),
  finishedAt: orNull(dateTime),
  links: objectOf({ self: str, feedback: str }),
});

export function operationsAnswerComponents(): Record<string, JsonSchema> {
  return {
    ConnectorRun: CONNECTOR_RUN,
    ConnectorStatus: CONNECTOR_STATUS,
    ConnectorList: objectOf({ connectors: arrayOf(componentRef('ConnectorStatus')) }),
    ConnectorRuns: objectOf({ runs: { ...arrayOf(componentRef('ConnectorRun')), description: 'newest first' } }),
    RunStarted: objectOf({ runId: { type: 'integer', minimum: 1 }, state: { const: 'running' } }),
    ReportRow: REPORT_ROW,
    IntegrityReport: INTEGRITY_REPORT,
    Alert: ALERT,
    AlertPage: objectOf({ alerts: { ...arrayOf(componentRef('Alert')), description: 'newest first' }, hasMore: bool, nextCursor: orNull(str) }),
    Jwks: objectOf({ keys: arrayOf({ type: 'object', required: ['kty', 'kid'], properties: { kty: str, kid: str, alg: str, use: str } }) }),
    UploadProgress: UPLOAD_PROGRESS,
    UploadPage: objectOf({ uploads: { ...arrayOf(componentRef('UploadProgress')), description: 'newest first' }, hasMore: bool, nextCursor: orNull(str) }),
  };
}
