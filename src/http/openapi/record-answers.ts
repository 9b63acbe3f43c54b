/**
 * Component schemas of what the record routes take and answer (src/routes/records.ts, subjects.ts,
 * catalog.ts, the case routes): the pushed batch and its per-item results, a record with its
 * versions, the change feed, a subject's profile, registry matches, the catalogue, objections and
 * repair requests. The record itself is the `record` component (schemas/record.schema.json).
 */
import { REPAIR_TABLE, OBJECTION_TABLE } from '../../store/case-tables.js';
import { DELIVERY_STATES } from '../../store/deliveries-repo.js';
import { componentRef, defComponentOf, rootComponentOf, type JsonSchema } from './schema-components.js';

const str = { type: 'string' } as const;
const int = { type: 'integer', minimum: 0 } as const;
const bool = { type: 'boolean' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const orNull = (schema: object) => ({ anyOf: [schema, { type: 'null' }] });
const arrayOf = (items: object) => ({ type: 'array', items });
const RECORD = componentRef('record');
const RECORD_STATUS = { $ref: '#/components/schemas/record/properties/status' };

/** A field error of a rejected batch item. */
const FIELD_ERROR: JsonSchema = {
  type: 'object',
  required: ['pointer', 'rule', 'zh', 'en'],
  properties: {
    pointer: { type: 'string', description: 'JSON pointer into the batch, e.g. `/records/3/subject/uscc`' },
    rule: { type: 'string', description: 'the rule that failed, e.g. `uscc.check_digit`, `required`, `text.control_character`' },
    zh: str,
    en: str,
  },
};

const ITEM_RESULT: JsonSchema = {
  type: 'object',
  required: ['index', 'status'],
  properties: {
    index: { type: 'integer', minimum: 0, description: 'position of the item in `records`' },
    status: { enum: ['created', 'updated', 'unchanged', 'rejected'] },
    recordId: { type: 'string', format: 'uuid', description: 'absent for an item rejected before its id was known' },
    version: { type: 'integer', minimum: 1, description: 'the stored version (not for rejected items)' },
    errors: { ...arrayOf(componentRef('FieldError')), description: 'why the item was rejected' },
  },
};

const BATCH_ANSWER: JsonSchema = {
  type: 'object',
  required: ['summary', 'results'],
  properties: {
    summary: {
      type: 'object',
      required: ['created', 'updated', 'unchanged', 'rejected'],
      properties: { created: int, updated: int, unchanged: int, rejected: int },
    },
    results: { ...arrayOf(componentRef('ItemResult')), description: 'one per item, in the order sent' },
  },
};

/** One pushed item: the record-input envelope, its `data` checked against the schema of its category. */
function recordInputItem(categories: Array<{ category: string; file: string }>): JsonSchema {
  return {
    title: 'One pushed record / 推送记录（按类别校验 data）',
    description: 'schemas/record-input.schema.json, with `data` validated against schemas/categories/<category>.schema.json.',
    allOf: [componentRef('record-input')],
    oneOf: categories.map(({ category, file }) => ({
      title: category,
      type: 'object',
      required: ['category', 'data'],
      properties: { category: { const: category }, data: componentRef(rootComponentOf(file)) },
    })),
  };
}

const RECORD_BATCH: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['records'],
  description: 'At most `server.maxBatchSize` records (default 1,000; more: 413 `GW_BATCH_TOO_LARGE`; none: 422 `GW_BATCH_EMPTY`).',
  properties: { records: { type: 'array', minItems: 1, items: componentRef('RecordInputItem') } },
};

const RECORD_VERSION: JsonSchema = {
  type: 'object',
  required: ['version', 'changeKind', 'status', 'contentHash', 'actor', 'reason', 'recordedAt', 'envelope'],
  properties: {
    version: { type: 'integer', minimum: 1 },
    changeKind: { type: 'string', description: '`created`, `updated` or `status_changed`' },
    status: RECORD_STATUS,
    contentHash: str,
    actor: { type: 'string', description: 'the partner id, connector or operator that made the version' },
    reason: orNull(str),
    recordedAt: dateTime,
    envelope: RECORD,
  },
};

const RECORD_WITH_VERSIONS: JsonSchema = {
  type: 'object',
  required: ['record', 'versions', 'deliveries'],
  properties: {
    record: RECORD,
    versions: arrayOf(componentRef('RecordVersion')),
    deliveries: { ...arrayOf(componentRef('DeliveryState')), description: 'per destination delivered to a platform: the latest event and the platform\'s answer' },
  },
};

/** A record's delivery state at one destination (issue 17; src/store/deliveries-repo.ts). */
const DELIVERY_STATE: JsonSchema = {
  type: 'object',
  required: ['recordId', 'destination', 'eventId', 'recordVersion', 'eventType', 'state', 'reason', 'field', 'package', 'deliveredAt', 'feedbackAt', 'updatedAt'],
  properties: {
    recordId: { type: 'string', format: 'uuid' },
    destination: str,
    eventId: { type: 'string', format: 'uuid', description: 'the latest event of the record delivered (or parked) there' },
    recordVersion: { type: 'integer', minimum: 1 },
    eventType: str,
    state: { enum: [...DELIVERY_STATES], description: '`queued` (an operator re-delivered it, not handed over yet), `delivered` (the platform has it), `accepted`, `rejected`, `parked` (could not be delivered)' },
    reason: { ...orNull(str), description: 'the platform\'s reason of a rejection, or why the event was parked' },
    field: { ...orNull(str), description: 'the field the platform names in a rejection' },
    package: { ...orNull(str), description: 'the file way\'s package that carried the event' },
    deliveredAt: dateTime,
    feedbackAt: orNull(dateTime),
    updatedAt: dateTime,
  },
};

/** An event a delivery parked (src/store/deliveries-repo.ts ParkedRow). */
const PARKED_EVENT: JsonSchema = {
  type: 'object',
  required: ['id', 'destination', 'topic', 'partition', 'offset', 'eventId', 'recordId', 'reason', 'valueExcerpt', 'parkedAt'],
  properties: {
    id: int,
    destination: str,
    topic: str,
    partition: int,
    offset: int,
    eventId: { ...orNull({ type: 'string', format: 'uuid' }), description: 'null when the message named none' },
    recordId: orNull({ type: 'string', format: 'uuid' }),
    reason: { ...str, description: 'why it could not be delivered' },
    valueExcerpt: { ...orNull(str), description: 'the start of the message value, for an operator' },
    parkedAt: dateTime,
  },
};

const CHANGE_FEED_PAGE: JsonSchema = {
  type: 'object',
  required: ['items', 'nextCursor', 'hasMore'],
  properties: {
    items: { ...arrayOf(RECORD), description: 'current states, in change-feed position order' },
    nextCursor: { type: 'string', description: 'pass it with the same filters to read only later changes' },
    hasMore: bool,
  },
};

const IDENTIFIER_ISSUE: JsonSchema = {
  type: 'object',
  required: ['rule', 'zh', 'en'],
  properties: { rule: str, zh: str, en: str, position: { type: 'integer', minimum: 1, description: '1-based character position, when about one place' } },
};

const SUBJECT_PROFILE: JsonSchema = {
  type: 'object',
  required: ['uscc', 'name', 'kind', 'kindZh', 'region', 'warnings', 'counts', 'truncated', 'records'],
  properties: {
    uscc: { type: 'string', description: 'the code, normalised' },
    name: { ...orNull(str), description: 'the subject name on its newest record; null without records' },
    kind: orNull(componentRef(defComponentOf('common', 'subjectKind'))),
    kindZh: orNull(str),
    region: orNull(str),
    warnings: { ...arrayOf(componentRef('IdentifierIssue')), description: 'non-fatal findings about the code (GB 11714 check)' },
    counts: {
      type: 'object',
      required: ['total', 'byCategory', 'byPolarity'],
      properties: {
        total: int,
        byCategory: { type: 'object', additionalProperties: int },
        byPolarity: { type: 'object', required: ['negative', 'positive', 'neutral'], properties: { negative: int, positive: int, neutral: int } },
      },
    },
    truncated: { type: 'boolean', description: 'true when more than 500 published records exist (the newest 500 are listed)' },
    records: { ...arrayOf(RECORD), description: 'published records (active, repair_requested), newest decision first' },
  },
};

const REGISTERED_SUBJECT: JsonSchema = {
  type: 'object',
  required: ['uscc', 'orgCode', 'name', 'names', 'kind', 'region', 'governmentSubject', 'similarity'],
  properties: {
    uscc: str,
    orgCode: str,
    name: { type: 'string', description: 'the current name' },
    names: { ...arrayOf(str), description: 'every name known, oldest first' },
    kind: str,
    region: orNull(str),
    governmentSubject: bool,
    similarity: { type: 'number', minimum: 0, maximum: 1, description: '1 for exact matches' },
  },
};

const SUBJECT_MATCHES: JsonSchema = {
  type: 'object',
  required: ['match', 'subjects'],
  properties: { match: { enum: ['exact', 'fuzzy'] }, subjects: arrayOf(componentRef('RegisteredSubject')) },
};

const CATALOG: JsonSchema = {
  type: 'object',
  required: ['categories', 'schemas'],
  properties: {
    categories: arrayOf({
      type: 'object',
      required: ['id', 'nameZh', 'nameEn', 'polarity', 'severities', 'schema', 'sourceZh', 'basis', 'publicationZh', 'schemaUrl'],
      properties: {
        id: componentRef(defComponentOf('common', 'category')),
        nameZh: str,
        nameEn: str,
        polarity: componentRef(defComponentOf('common', 'polarity')),
        defaultSeverity: componentRef(defComponentOf('common', 'severity')),
        severities: arrayOf(componentRef(defComponentOf('common', 'severity'))),
        schema: { type: 'string', description: 'schema name, e.g. `categories/dishonest_debtor`' },
        sourceZh: str,
        basis: arrayOf(str),
        publicationZh: str,
        schemaUrl: str,
      },
    }),
    schemas: arrayOf({ type: 'object', required: ['name', 'url'], properties: { name: str, url: str } }),
  },
};

const EVIDENCE = arrayOf({ type: 'object', required: ['ref'], properties: { ref: str, description: str } });

const OBJECTION: JsonSchema = {
  type: 'object',
  required: ['objectionId', 'recordId', 'status', 'filedBy', 'filerRole', 'reason', 'evidence', 'filedAt', 'deadlineAt', 'overdue', 'outcome', 'decidedBy', 'decisionReason', 'decidedAt'],
  properties: {
    objectionId: { type: 'string', format: 'uuid' },
    recordId: { type: 'string', format: 'uuid' },
    status: { enum: [...OBJECTION_TABLE.statuses] },
    filedBy: str,
    filerRole: { enum: ['subject', 'partner'] },
    reason: str,
    evidence: EVIDENCE,
    filedAt: dateTime,
    deadlineAt: dateTime,
    overdue: { type: 'boolean', description: 'open and past its deadline' },
    outcome: { enum: ['corrected', 'revoked', null] },
    decidedBy: orNull(str),
    decisionReason: orNull(str),
    decidedAt: orNull(dateTime),
  },
};

const REPAIR: JsonSchema = {
  type: 'object',
  required: ['repairId', 'recordId', 'status', 'requestedBy', 'commitmentRef', 'reason', 'evidence', 'requestedAt', 'deadlineAt', 'overdue', 'decidedBy', 'decisionReason', 'decidedAt'],
  properties: {
    repairId: { type: 'string', format: 'uuid' },
    recordId: { type: 'string', format: 'uuid' },
    status: { enum: [...REPAIR_TABLE.statuses] },
    requestedBy: str,
    commitmentRef: str,
    reason: orNull(str),
    evidence: EVIDENCE,
    requestedAt: dateTime,
    deadlineAt: dateTime,
    overdue: { type: 'boolean', description: 'pending and past its deadline' },
    decidedBy: orNull(str),
    decisionReason: orNull(str),
    decidedAt: orNull(dateTime),
  },
};

const caseAnswer = (key: 'objection' | 'repair', component: string): JsonSchema => ({
  type: 'object',
  required: [key, 'record'],
  properties: { [key]: componentRef(component), record: { ...RECORD, description: 'the record after the change' } },
});

const caseList = (component: string): JsonSchema => ({
  type: 'object',
  required: ['items', 'count'],
  properties: { items: arrayOf(componentRef(component)), count: int },
});

/** The record routes' components; `categories` are the category schema files found at start. */
export function recordAnswerComponents(categories: Array<{ category: string; file: string }>): Record<string, JsonSchema> {
  return {
    RecordBatch: RECORD_BATCH,
    RecordInputItem: recordInputItem(categories),
    FieldError: FIELD_ERROR,
    ItemResult: ITEM_RESULT,
    BatchAnswer: BATCH_ANSWER,
    RecordVersion: RECORD_VERSION,
    RecordWithVersions: RECORD_WITH_VERSIONS,
    DeliveryState: DELIVERY_STATE,
    DeliveryPage: {
      type: 'object',
      required: ['deliveries', 'nextCursor', 'hasMore'],
      properties: { deliveries: arrayOf(componentRef('DeliveryState')), nextCursor: str, hasMore: bool },
    },
    RedeliveryAnswer: { type: 'object', required: ['delivery'], properties: { delivery: componentRef('DeliveryState') } },
    ParkedEvent: PARKED_EVENT,
    ParkedPage: {
      type: 'object',
      required: ['parked', 'nextCursor', 'hasMore'],
      properties: { parked: arrayOf(componentRef('ParkedEvent')), nextCursor: str, hasMore: bool },
    },
    ChangeFeedPage: CHANGE_FEED_PAGE,
    IdentifierIssue: IDENTIFIER_ISSUE,
    SubjectProfile: SUBJECT_PROFILE,
    RegisteredSubject: REGISTERED_SUBJECT,
    SubjectMatches: SUBJECT_MATCHES,
    Catalog: CATALOG,
    JsonSchemaDocument: { type: 'object', additionalProperties: true, description: 'A JSON Schema (draft 2020-12) document, as in schemas/.' },
    Objection: OBJECTION,
    Repair: REPAIR,
    ObjectionAnswer: caseAnswer('objection', 'Objection'),
    RepairAnswer: caseAnswer('repair', 'Repair'),
    ObjectionList: caseList('Objection'),
    RepairList: caseList('Repair'),
  };
}
