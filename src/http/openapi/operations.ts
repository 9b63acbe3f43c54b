/**
 * What the OpenAPI document says about each operation beyond what its route declares, keyed by
 * `METHOD /path/{param}` as the document lists it. A route gives its summary, scope, path, query and
 * body schemas (src/routes/*.ts); this table gives its operationId and tag, its answers and the error
 * codes of its own. Nothing here takes part in handling a request: fastify never sees this table, so
 * validation and serialisation stay exactly as the routes define them.
 *
 * Error codes every operation of its kind can give (authentication, body parsing, parameter
 * validation, dependencies) are added by ./route-operation.ts; list here only the route's own.
 */
import { CATEGORY_IDS } from '../../domain/catalogue.js';
import type { ErrorCode } from '../../errors.js';
import type { HeaderParameter, ResponseHeader } from './headers.js';
import { componentRef, type JsonSchema } from './schema-components.js';

export interface Answer {
  description: string;
  /** the body schema (application/json unless `mediaType`) */
  schema?: JsonSchema;
  /** instead of `schema`: the route's own response schema for this status, as a component of this name */
  routeSchemaAs?: string;
  mediaType?: string;
  /** further media types the answer may come in */
  alternatives?: Record<string, JsonSchema>;
  headers?: ResponseHeader[];
}

export interface OperationDoc {
  operationId: string;
  tag: string;
  description?: string;
  /** path parameters the route does not validate with a schema of its own */
  pathParameters?: Record<string, { description: string; schema: JsonSchema }>;
  /** the documented request body, where the route's own schema is only a placeholder */
  requestBody?: JsonSchema;
  /** a request body in other media types than JSON (a file upload), by media type */
  requestContent?: Record<string, JsonSchema>;
  /** request headers beyond those every operation of its kind gets */
  headers?: HeaderParameter[];
  answers: Record<number, Answer>;
  errors: ErrorCode[];
}

export const TAGS = [
  { name: 'Records', description: 'Push records, read one with its history, follow the change feed / 信用记录' },
  { name: 'Subjects', description: 'Credit profiles and the subject registry / 主体信用档案' },
  { name: 'Checks', description: 'Bulk joint-punishment checks / 联合惩戒核查' },
  { name: 'Objections', description: 'Objections against records / 异议' },
  { name: 'Repairs', description: 'Credit repair requests / 信用修复' },
  { name: 'Catalogue', description: 'Record categories and their JSON Schemas / 数据目录与规范' },
  { name: 'Connectors', description: 'The scheduled source connectors / 采集器' },
  { name: 'Monitoring', description: 'Government integrity reports and alerts / 政务诚信监测' },
  { name: 'Gateway keys', description: 'The keys that sign the gateway\'s answers / 网关应答签名公钥' },
] as const;

const json = (component: string, description: string, headers?: ResponseHeader[]): Answer => ({ description, schema: componentRef(component), ...(headers ? { headers } : {}) });

const CASE_ID = { type: 'string', format: 'uuid' };

function caseOperations(path: 'objections' | 'repairs', names: { one: string; Ones: string; file: string; decide: string }, own: { file: ErrorCode[] }) {
  const Answer = names.one === 'objection' ? 'ObjectionAnswer' : 'RepairAnswer';
  const One = names.one === 'objection' ? 'Objection' : 'Repair';
  const notFound: ErrorCode = names.one === 'objection' ? 'GW_OBJECTION_NOT_FOUND' : 'GW_REPAIR_NOT_FOUND';
  const decided: ErrorCode = names.one === 'objection' ? 'GW_OBJECTION_ALREADY_DECIDED' : 'GW_REPAIR_ALREADY_DECIDED';
  return {
    [`POST /v1/records/{recordId}/${path}`]: {
      operationId: names.file, tag: names.Ones, answers: { 201: json(Answer, `Filed: the case and the record after the change`) },
      errors: ['GW_RECORD_NOT_FOUND', ...own.file, 'GW_TRANSITION_NOT_ALLOWED'],
    },
    [`POST /v1/${path}/{id}/decision`]: {
      operationId: names.decide, tag: names.Ones, answers: { 200: json(Answer, 'Decided: the case and the record after the change') },
      errors: [notFound, decided, 'GW_TRANSITION_NOT_ALLOWED'],
    },
    [`GET /v1/${path}/{id}`]: {
      operationId: `get${One}`, tag: names.Ones, answers: { 200: json(One, `The ${names.one}`) }, errors: [notFound],
      pathParameters: { id: { description: `the ${names.one} id`, schema: CASE_ID } },
    },
    [`GET /v1/${path}`]: { operationId: `list${One}s`, tag: names.Ones, answers: { 200: json(`${One}List`, 'Oldest first') }, errors: [] },
  } satisfies Record<string, OperationDoc>;
}

const RECORD_OPERATIONS: Record<string, OperationDoc> = {
  'POST /v1/records': {
    operationId: 'pushRecords', tag: 'Records', requestBody: componentRef('RecordBatch'), headers: ['IdempotencyKey'],
    description: 'Each item is stored or rejected on its own: valid items are kept when others are rejected (the answer is still 200). ' +
      'Items outside the partner\'s source systems, categories or regions refuse the whole batch (403).',
    answers: { 200: json('BatchAnswer', 'Per item, in order: created, updated, unchanged or rejected with its errors', ['Idempotent-Replayed']) },
    errors: ['GW_BATCH_EMPTY', 'GW_BATCH_TOO_LARGE', 'GW_IDEMPOTENCY_KEY_INVALID', 'GW_IDEMPOTENCY_KEY_REUSED', 'GW_AUTH_SOURCE_NOT_OWNED', 'GW_AUTH_GRANT_MISSING'],
  },
  'GET /v1/records/{recordId}': {
    operationId: 'getRecord', tag: 'Records', answers: { 200: json('RecordWithVersions', 'The record and all its versions') },
    errors: ['GW_RECORD_NOT_FOUND'],
  },
  'GET /v1/records': {
    operationId: 'listRecordChanges', tag: 'Records', answers: { 200: json('ChangeFeedPage', 'The next page of changes') },
    description: 'A cursor is valid only with the filters it was issued for.',
    errors: ['GW_CURSOR_INVALID'],
  },
  'GET /v1/subjects': {
    operationId: 'findSubjects', tag: 'Subjects', answers: { 200: json('SubjectMatches', 'Registry subjects, best first') }, errors: [],
  },
  'GET /v1/subjects/{uscc}': {
    operationId: 'getSubjectProfile', tag: 'Subjects', answers: { 200: json('SubjectProfile', 'The subject\'s credit profile') },
    pathParameters: {
      uscc: { description: 'the unified social credit code; normalised (NFKC, trimmed, upper-case) before it is checked', schema: { type: 'string', minLength: 1, maxLength: 200 } },
    },
    errors: ['GW_USCC_INVALID'],
  },
  ...caseOperations('objections', { one: 'objection', Ones: 'Objections', file: 'fileObjection', decide: 'decideObjection' }, { file: [] }),
  ...caseOperations('repairs', { one: 'repair', Ones: 'Repairs', file: 'requestRepair', decide: 'decideRepair' }, { file: ['GW_REPAIR_NOT_APPLICABLE', 'GW_REPAIR_TOO_EARLY'] }),
  'POST /v1/checks': {
    operationId: 'runCheck', tag: 'Checks', answers: { 200: { description: 'One result per code, in the order sent', routeSchemaAs: 'CheckAnswer' } },
    errors: ['GW_CHECK_TOO_MANY_CODES', 'GW_CHECK_PURPOSE_REQUIRED'],
  },
};

const OTHER_OPERATIONS: Record<string, OperationDoc> = {
  'GET /v1/catalog': { operationId: 'getCatalog', tag: 'Catalogue', answers: { 200: json('Catalog', 'The categories and schemas') }, errors: [] },
  'GET /v1/schemas/{name}': {
    operationId: 'getSchema', tag: 'Catalogue',
    pathParameters: {
      name: {
        description: 'a schema name as the catalogue lists it (`record`, `record-input`, `common`, `categories/dishonest_debtor`); the `/` is part of the path; `.schema.json` or `.json` may follow',
        schema: { type: 'string', minLength: 1, maxLength: 200 },
      },
    },
    answers: { 200: { description: 'The JSON Schema', mediaType: 'application/schema+json', schema: componentRef('JsonSchemaDocument') } },
    errors: ['GW_SCHEMA_NOT_FOUND'],
  },
  'GET /v1/templates/{category}': {
    operationId: 'getCategoryTemplate', tag: 'Catalogue',
    description: 'The category\'s 填报模板 generated from its JSON Schema: XLSX (sheet 填报: row 1 Chinese headings with the rule of each column as a comment, row 2 the column keys, drop-downs for enumerated columns; sheet 示例: the example rows) or, with `format=csv`, CSV in UTF-8 with a BOM (rows: headings, keys, rules, examples).',
    pathParameters: { category: { description: 'a category id as the catalogue lists it', schema: { type: 'string', enum: [...CATEGORY_IDS] } } },
    answers: {
      200: {
        description: 'The template, as an attachment named after the category',
        mediaType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        schema: { type: 'string', contentMediaType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
        alternatives: { 'text/csv': { type: 'string' } },
        headers: ['Content-Disposition'],
      },
    },
    errors: ['GW_SCHEMA_NOT_FOUND'],
  },
  'GET /v1/connectors': { operationId: 'listConnectors', tag: 'Connectors', answers: { 200: json('ConnectorList', 'Each configured connector') }, errors: [] },
  'GET /v1/connectors/{name}/runs': {
    operationId: 'listConnectorRuns', tag: 'Connectors', answers: { 200: json('ConnectorRuns', 'Its runs, newest first') }, errors: ['GW_CONNECTOR_NOT_FOUND'],
  },
  'POST /v1/connectors/{name}/runs': {
    operationId: 'startConnectorRun', tag: 'Connectors', answers: { 202: json('RunStarted', 'The run has started', ['Location']) },
    errors: ['GW_CONNECTOR_NOT_FOUND', 'GW_CONNECTOR_DISABLED', 'GW_CONNECTOR_BUSY'],
  },
  'GET /v1/reports/integrity': {
    operationId: 'getIntegrityReport', tag: 'Monitoring',
    description: 'CSV instead of JSON with `format=csv`, or without `format` when `Accept` prefers `text/csv`.',
    answers: {
      200: { description: 'The report with its ranking', schema: componentRef('IntegrityReport'), alternatives: { 'text/csv': { type: 'string' } }, headers: ['Content-Disposition'] },
    },
    errors: ['GW_REPORT_PERIOD_INVALID', 'GW_REPORT_PERIOD_NOT_STARTED'],
  },
  'GET /v1/alerts': { operationId: 'listAlerts', tag: 'Monitoring', answers: { 200: json('AlertPage', 'Alerts, newest first') }, errors: ['GW_CURSOR_INVALID'] },
  'GET /.well-known/jwks.json': {
    operationId: 'getGatewayKeys', tag: 'Gateway keys',
    answers: { 200: { description: 'The current and retained public keys', mediaType: 'application/jwk-set+json', schema: componentRef('Jwks'), headers: ['Cache-Control'] } },
    errors: [],
  },
  // delivery to platforms (issue 17)
  'GET /v1/deliveries': {
    operationId: 'listDeliveries', tag: 'Monitoring', answers: { 200: json('DeliveryPage', 'Delivery states, in the order they last changed') },
    description: 'Per record and destination delivered to a platform: the latest event delivered and the platform\'s answer. A cursor is valid only with the filters it was issued for.',
    errors: ['GW_CURSOR_INVALID'],
  },
  'GET /v1/deliveries/parked': {
    operationId: 'listParkedEvents', tag: 'Monitoring', answers: { 200: json('ParkedPage', 'Parked events, oldest first') },
    description: 'Events a delivery could not read or hand over (poison), with the reason; delivery went on past them. A cursor is valid only with the filter it was issued for.',
    errors: ['GW_CURSOR_INVALID'],
  },
  'POST /v1/records/{recordId}/deliveries/{destination}/redelivery': {
    operationId: 'redeliverRecord', tag: 'Records',
    description: 'For a platform that rejected a record for a reason on its own side, now fixed. A record whose content changed is delivered again without this.',
    answers: { 202: json('RedeliveryAnswer', 'Queued: the state is `queued` under the new event id until the delivery hands it over') },
    errors: ['GW_DELIVERY_NOT_FOUND', 'GW_DELIVERY_EVENT_GONE'],
  },
  // file uploads (issue 18): src/routes/uploads.ts
  'POST /v1/uploads': {
    operationId: 'createUpload', tag: 'Records',
    description: 'A department\'s filled template (XLSX, or CSV in UTF-8 or GB18030), or a file with the national 双公示 headings, as the raw request body. The file is checked whole first (type, zip bombs, XML entities, the sheet with the category\'s headings, merged heading cells, the row limit) and refused with nothing stored; a file that passes is answered at once and read in the background, each row through the same preparer as `POST /v1/records`.',
    requestContent: {
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { type: 'string', contentMediaType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
      'text/csv': { type: 'string', description: 'UTF-8 (with or without BOM) or GB18030; `charset=` in the content type wins' },
    },
    answers: { 202: json('UploadProgress', 'Taken: the upload is queued; follow its progress at Location', ['Location']) },
    errors: ['GW_UPLOAD_TYPE_UNSUPPORTED', 'GW_UPLOAD_TYPE_MISMATCH', 'GW_UPLOAD_ZIP_INVALID', 'GW_UPLOAD_ZIP_BOMB', 'GW_UPLOAD_XML_ENTITY',
      'GW_UPLOAD_CSV_INVALID', 'GW_UPLOAD_SHEET_NOT_FOUND', 'GW_UPLOAD_MERGED_HEADER', 'GW_UPLOAD_TOO_MANY_ROWS', 'GW_BODY_TOO_LARGE', 'GW_BODY_EMPTY', 'GW_SCHEMA_NOT_FOUND',
      'GW_AUTH_GRANT_MISSING', 'GW_AUTH_SOURCE_NOT_OWNED'],
  },
  'GET /v1/uploads': {
    operationId: 'listUploads', tag: 'Records', answers: { 200: json('UploadPage', 'The partner\'s own uploads, newest first') },
    description: 'A partner sees its own uploads only. A cursor is valid only with the `state` filter it was issued for.',
    errors: ['GW_CURSOR_INVALID'],
  },
  'GET /v1/uploads/{id}': {
    operationId: 'getUpload', tag: 'Records', answers: { 200: json('UploadProgress', 'The upload\'s progress') }, errors: ['GW_UPLOAD_NOT_FOUND'],
  },
  'GET /v1/uploads/{id}/feedback': {
    operationId: 'getUploadFeedback', tag: 'Records',
    description: 'The uploaded file in its own format (XLSX, or CSV in its encoding) with two columns added: 处理结果 (已入库/未变更/拒收) and 错误说明 (field heading, rule, value). Text cells starting with =, +, -, @, tab or CR are prefixed with \'.',
    answers: {
      200: {
        description: 'The feedback file, as an attachment',
        mediaType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        schema: { type: 'string', contentMediaType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
        alternatives: { 'text/csv': { type: 'string' } },
        headers: ['Content-Disposition'],
      },
    },
    errors: ['GW_UPLOAD_NOT_FOUND', 'GW_UPLOAD_NOT_FINISHED'],
  },
};

/** Every documented operation, by `METHOD /path/{param}`. */
export const OPERATIONS: Readonly<Record<string, OperationDoc>> = { ...RECORD_OPERATIONS, ...OTHER_OPERATIONS };
