/**
 * The AsyncAPI 3.0 document of what the gateway publishes to Kafka (served at /docs/asyncapi.json):
 * one channel per configured destination and one for the alerts topic; per message the key, the
 * headers (the names and constant values come from `eventHeaders`), the value, and the record schema
 * by category, bundled from the schema files with every `$ref` rewritten to point inside the document.
 * For destinations that mask personal identity numbers, every schema that carries one has a `masked.`
 * copy in which identity numbers are the masked form only. Pure: configuration and schema files in,
 * document out.
 *
 * The schema files are JSON Schema 2020-12; an AsyncAPI schema is a superset of draft-07. Bundling
 * therefore hoists each file's `$defs` into components of their own (`common.date`), turns
 * `dependentSchemas` into draft-07 `dependencies`, and moves a `$ref` that has constraining siblings
 * into an `allOf` (draft-07 ignores a `$ref`'s siblings; 2020-12 applies both).
 */
import type { DestinationConfig } from '../config/load.js';
import type { AlertKind } from '../store/alerts-repo.js';
import type { SchemaFile } from '../validation/schema-files.js';
import { ALERT_EVENT_TYPE, eventHeaders, type RecordEventType } from './events.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface AsyncApiDocument {
  asyncapi: '3.0.0';
  id: string;
  info: JsonObject;
  defaultContentType: string;
  channels: Record<string, JsonObject>;
  operations: Record<string, JsonObject>;
  components: { schemas: Record<string, Json>; messages: Record<string, JsonObject> };
  [extension: `x-${string}`]: Json;
}

export interface AsyncApiInput {
  /** the gateway's version (info.version) */
  version: string;
  config: { destinations: readonly DestinationConfig[]; monitoring: { alertsTopic: string } };
  /** every schema under schemas/ (src/validation/schema-files.ts) */
  schemaFiles: readonly SchemaFile[];
}

const SCHEMAS = '#/components/schemas/';
const MESSAGES = '#/components/messages/';
/** prefix of the copy of a schema (or message) in which personal identity numbers are masked */
const MASKED = 'masked.';
const KAFKA_BINDING = '0.5.0';

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const ref = (pointer: string): JsonObject => ({ $ref: pointer });

// ---------------------------------------------------------------------------------------------------
// Bundling the schema files
// ---------------------------------------------------------------------------------------------------

/** One component to be: a schema file without its `$defs`, or one of its `$defs`. */
interface Unit {
  component: string;
  /** the `$id` of the file it comes from: the base of its relative `$ref`s */
  fileId: string;
  node: Json;
}

const componentKey = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');
const fileComponent = (name: string) => componentKey(name.replaceAll('/', '.'));
const defComponent = (name: string, def: string) => `${fileComponent(name)}.${componentKey(def)}`;
const unescapePointer = (token: string) => token.replaceAll('~1', '/').replaceAll('~0', '~');

function schemaUnits(files: readonly SchemaFile[]): Unit[] {
  const units: Unit[] = [];
  for (const f of files) {
    const { $defs, ...root } = f.schema as JsonObject;
    units.push({ component: fileComponent(f.name), fileId: f.id, node: root });
    for (const [def, node] of Object.entries(isObject($defs) ? $defs : {})) {
      units.push({ component: defComponent(f.name, def), fileId: f.id, node });
    }
  }
  return units;
}

/** The component a schema file's `$ref` points to, and the JSON pointer below it ('' for the whole). */
function refTarget(files: ReadonlyMap<string, string>, value: string, baseId: string): { component: string; rest: string } {
  const hash = value.indexOf('#');
  const uri = hash < 0 ? value : value.slice(0, hash);
  const fragment = hash < 0 ? '' : value.slice(hash + 1);
  const name = files.get(uri || baseId);
  if (name === undefined) throw new Error(`AsyncAPI document: $ref ${value} in ${baseId} names no schema file`);
  if (fragment !== '' && !fragment.startsWith('/')) throw new Error(`AsyncAPI document: $ref ${value} in ${baseId}: only JSON-pointer fragments are supported`);
  const def = /^\/\$defs\/([^/]+)(.*)$/.exec(fragment);
  if (def) return { component: defComponent(name, unescapePointer(def[1]!)), rest: def[2]! };
  return { component: fileComponent(name), rest: fragment === '/' ? '' : fragment };
}

/** keywords whose value is data, not a schema */
const LITERAL_KEYWORDS = new Set(['const', 'enum', 'default', 'examples']);
/** keywords whose value maps names to schemas */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'dependentSchemas', 'dependencies', '$defs', 'definitions']);
/** keywords that only annotate: they may stay next to a `$ref` */
const ANNOTATIONS = new Set(['$ref', 'title', 'description', '$comment', 'deprecated', 'readOnly', 'writeOnly', 'examples', 'default']);
const FULL_ID_FORMAT = 'personal-id';
const MASKED_ID_FORMAT = 'personal-id-masked';

interface Rewrite {
  /** the document-internal `$ref` for a `$ref` of the schema being converted */
  ref(value: string): string;
  /** set in the masked variant: what an inline full identity number becomes */
  maskedId?: string;
}

/** A copy of one schema with its `$ref`s rewritten, in the draft-07 form an AsyncAPI schema takes. */
function convertSchema(node: Json, rw: Rewrite): Json {
  if (Array.isArray(node)) return node.map((n) => convertSchema(n, rw));
  if (!isObject(node)) return node;
  if (rw.maskedId && node.format === FULL_ID_FORMAT) {
    const { title, description } = node;
    return { ...(title === undefined ? {} : { title }), ...(description === undefined ? {} : { description }), $ref: rw.maskedId };
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema' || key === '$id') continue;
    if (key === '$ref' && typeof value === 'string') out.$ref = rw.ref(value);
    else if (LITERAL_KEYWORDS.has(key)) out[key] = value;
    else if (SCHEMA_MAPS.has(key) && isObject(value)) out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convertSchema(v, rw)]));
    else out[key] = convertSchema(value, rw);
  }
  return asDraft07(out);
}

function asDraft07(node: JsonObject): JsonObject {
  let out = node;
  if (isObject(out.dependentSchemas)) {
    const { dependentSchemas, ...rest } = out;
    out = { ...rest, dependencies: { ...(isObject(rest.dependencies) ? rest.dependencies : {}), ...dependentSchemas } };
  }
  if (typeof out.$ref === 'string' && Object.keys(out).some((k) => !ANNOTATIONS.has(k))) {
    const { $ref, ...rest } = out;
    out = { ...rest, allOf: [{ $ref }, ...(Array.isArray(rest.allOf) ? rest.allOf : [])] };
  }
  return out;
}

/** The components each component's `$ref`s point to. */
function refsIn(node: Json, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const n of node) refsIn(n, found);
  else if (isObject(node)) {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith(SCHEMAS)) found.add(value.slice(SCHEMAS.length).split('/')[0]!);
      else if (!LITERAL_KEYWORDS.has(key)) refsIn(value, found);
    }
  }
  return found;
}

function hasInlineFullId(node: Json): boolean {
  if (Array.isArray(node)) return node.some(hasInlineFullId);
  if (!isObject(node)) return false;
  if (node.format === FULL_ID_FORMAT) return true;
  return Object.entries(node).some(([key, value]) => !LITERAL_KEYWORDS.has(key) && hasInlineFullId(value));
}

/**
 * The identity-number components: the masked form (format personal-id-masked), and every component
 * that may be a full number — format personal-id, or a choice (anyOf/oneOf) of such and the masked form.
 */
function identityComponents(schemas: Record<string, Json>): { full: Set<string>; masked: string | undefined } {
  const names = Object.keys(schemas);
  const masked = names.find((c) => isObject(schemas[c]) && schemas[c].format === MASKED_ID_FORMAT);
  const full = new Set(names.filter((c) => isObject(schemas[c]) && schemas[c].format === FULL_ID_FORMAT));
  const refOf = (branch: Json) => (isObject(branch) && typeof branch.$ref === 'string' ? branch.$ref.slice(SCHEMAS.length) : '');
  for (let grew = true; grew;) {
    grew = false;
    for (const c of names) {
      const node = schemas[c];
      const branches = isObject(node) ? (node.anyOf ?? node.oneOf) : undefined;
      if (full.has(c) || c === masked || !Array.isArray(branches) || branches.length === 0) continue;
      const targets = branches.map(refOf);
      if (targets.every((t) => full.has(t) || t === masked) && targets.some((t) => full.has(t))) {
        full.add(c);
        grew = true;
      }
    }
  }
  return { full, masked };
}

/** The components that hold a full identity number somewhere (themselves or through a `$ref`). */
function identityCarriers(schemas: Record<string, Json>, full: ReadonlySet<string>): Set<string> {
  const names = Object.keys(schemas).filter((c) => !full.has(c));
  const graph = new Map(names.map((c) => [c, refsIn(schemas[c]!)]));
  const carriers = new Set(names.filter((c) => hasInlineFullId(schemas[c]!)));
  for (let grew = true; grew;) {
    grew = false;
    for (const c of names) {
      if (carriers.has(c) || ![...graph.get(c)!].some((t) => full.has(t) || carriers.has(t))) continue;
      carriers.add(c);
      grew = true;
    }
  }
  return carriers;
}

interface Bundle {
  schemas: Record<string, Json>;
  /** the name of a component in the masked variant (itself when it carries no identity number) */
  masked(component: string): string;
  /** the component with this format, if any (the first by name) */
  withFormat(format: string): string | undefined;
}

function addComponent(target: Record<string, Json>, key: string, value: Json): void {
  if (Object.hasOwn(target, key)) throw new Error(`AsyncAPI document: two schemas would be named ${key}`);
  target[key] = value;
}

const MASKED_TITLE = '（公民身份号码已脱敏 / identity numbers masked）';

function bundleSchemas(files: readonly SchemaFile[]): Bundle {
  const ids = new Map(files.map((f) => [f.id, f.name]));
  const units = schemaUnits(files);
  const schemas: Record<string, Json> = {};
  for (const u of units) {
    const rw: Rewrite = { ref: (v) => { const t = refTarget(ids, v, u.fileId); return SCHEMAS + t.component + t.rest; } };
    addComponent(schemas, u.component, convertSchema(u.node, rw));
  }
  const withFormat = (format: string) => Object.keys(schemas).find((c) => isObject(schemas[c]) && schemas[c].format === format);
  const { full, masked } = identityComponents(schemas);
  if (masked === undefined) return { schemas, masked: (c) => c, withFormat };
  const carriers = identityCarriers(schemas, full);
  for (const u of units.filter((x) => carriers.has(x.component))) {
    const rw: Rewrite = {
      maskedId: SCHEMAS + masked,
      ref: (v) => {
        const t = refTarget(ids, v, u.fileId);
        if (full.has(t.component)) return SCHEMAS + masked;
        return SCHEMAS + (carriers.has(t.component) ? MASKED + t.component : t.component) + t.rest;
      },
    };
    const copy = convertSchema(u.node, rw);
    if (isObject(copy) && typeof copy.title === 'string') copy.title += MASKED_TITLE;
    addComponent(schemas, MASKED + u.component, copy);
  }
  return { schemas, masked: (c) => (carriers.has(c) ? MASKED + c : c), withFormat };
}

// ---------------------------------------------------------------------------------------------------
// The event contract: texts
// ---------------------------------------------------------------------------------------------------

const RECORD_EVENTS: Record<RecordEventType, { title: string; summary: string; description: string }> = {
  'record.upserted': {
    title: '记录新增或更新 / Record created or updated',
    summary: 'A record was created, or its content changed.',
    description: [
      'Sent when a record is created or its content changes: the value carries the new version of the record.',
      'Content that is the same as before (same `contentHash`) makes no version and no event.',
      'When new content from the source brings a `corrected` or `removed` record back to `active`, the record gets two versions:',
      '`record.upserted` at version N (the new content), then `record.status_changed` at N+1 (status `active`).',
    ].join(' '),
  },
  'record.status_changed': {
    title: '记录状态变更 / Record status changed',
    summary: 'The record\'s status moved; the value carries the new version, in the new status.',
    description: [
      'Sent for every status move (docs/architecture.md §4.1): into `objected`, `corrected`, `revoked`, `repair_requested`,',
      '`repaired`, `expired`, `removed`, and back to `active` (objection rejected, repair rejected, republished, listed again).',
      'Each move is a new version of the record. A move into `repaired`, `revoked`, `expired` or `removed` is followed by a',
      '`record.retracted` at the next version (N+1).',
    ].join(' '),
  },
  'record.retracted': {
    title: '记录撤回 / Record retracted',
    summary: 'Stop showing and sharing this record.',
    description: [
      'Sent at version N+1 right after the `record.status_changed` at version N that moved the record into `repaired`,',
      '`revoked`, `expired` or `removed`: the record must no longer be shown or shared (终止公示、停止共享).',
      'The value carries the record at version N+1, in the same status as at N.',
    ].join(' '),
  },
};

const ALERT_KINDS: Record<AlertKind, string> = {
  government_severe_record: 'a government subject (机关、事业单位) has a severe negative record (政务失信)',
  region_score_below_threshold: 'a region\'s integrity score for the current period fell below monitoring.scoreAlertThreshold',
  connector_run_failed: 'a connector run needs attention (`details.reason`: run_failed, invalid_share, removal_held, pass_incomplete)',
  console_lockout: 'an operator account was locked out of the console after failed sign-ins',
  delivery_rejections: 'a destination\'s platform rejected more than monitoring.deliveryRejectedShare of what it answered in the last hour (`details.destination`, `answered`, `rejected`, `share`)',
  delivery_parked: 'an event could not be delivered and was parked (`details.destination`, `reason`, `eventId`, `recordId`); delivery went on past it',
  upload_failed: 'an uploaded file could not be processed to its end (`details.uploadId`, `partner`, `category`, `code`, `message`); the rows stored before stay',
};

const SUBJECT_KEY_DESCRIPTION = [
  'The Kafka message key: who the record is about. The subject\'s USCC (统一社会信用代码); for a natural person',
  '`P:` + the first 32 hex digits of SHA-256(identity number + NUL + name), never the number itself (a record that',
  'names a person by a masked number carries the key of the one known person with that masked number and name, if',
  'exactly one is known);',
  'for an organisation without a USCC (pending), `O:` + its organisation code (GB 11714), else `N:` + the first 32 hex',
  'digits of SHA-256(name). When the subject registry resolves a pending organisation\'s USCC, the events that follow',
  'carry the USCC as key. All events of one key go to one partition, in the order the gateway wrote them.',
].join(' ');

const MASKING_NOTE = [
  'This destination masks personal identity numbers (`maskPersonalIds: true`): every resident identity number in the',
  'record — typed fields (format `personal-id-masked`) and any valid GB 11643 number in free text — is masked, keeping',
  'the first six and last four characters (`110101********123X`). Numbers the source already masked stay as published.',
].join(' ');

const CLEAR_NOTE = [
  'This destination does **not** mask personal identity numbers (`maskPersonalIds: false`): natural persons\'',
  'identity numbers are sent as stored (full or masked). It is personal information: handle it accordingly.',
].join(' ');

const INFO_DESCRIPTION = [
  'Events the credit-exchange gateway (信用信息交换网关) publishes to Kafka, as configured in this gateway: one channel',
  '(topic) per configured destination, and the monitoring alerts topic. Brokers are those of the operator\'s Kafka cluster.',
  '',
  '## Messages',
  '',
  '- **Key**: the subject key (`event.subjectKey`) — the USCC, `O:<orgCode>`, `N:<hash>` or `P:<hash>`.',
  '- **Headers** (UTF-8 strings): `event-id`, `event-type`, `record-id`, `record-version`, `schema` (`credit-record/v1`),',
  '  `content-type` (`application/json`).',
  '- **Value**: JSON `{"eventId", "type", "occurredAt", "record"}`; `record` is the record envelope of that version',
  '  (`record`), its `data` by category (`categories.<category>`). `occurredAt` is when the version was recorded.',
  '',
  '## Event semantics',
  '',
  '- Every event of a record carries a strictly higher `record-version` than the one before: one event per version.',
  '- `record.upserted`: the record was created, or its content changed.',
  '- `record.status_changed`: every status move (objected, corrected, revoked, repair_requested, repaired, expired,',
  '  removed, active again).',
  '- A move into `repaired`, `revoked`, `expired` or `removed`: `record.status_changed` at version N, then',
  '  `record.retracted` at N+1 — the record must no longer be shown or shared.',
  '- A record brought back to `active` by new content from its source: `record.upserted` at N, then',
  '  `record.status_changed` at N+1.',
  '',
  '## Delivery guarantee',
  '',
  '- **At least once**, through a transactional outbox: an event exists exactly when its change committed, and is',
  '  marked sent only after the broker acknowledged it (`acks=all`). After a crash an event may arrive again.',
  '- A re-send has the **same `event-id`** (a UUID v5 of destination, record, version and event type) and the same',
  '  bytes. **Deduplicate by `event-id`.**',
  '- Per record, `record-version` rises strictly. A consumer may keep, per `record-id`, the highest version applied',
  '  and ignore events at or below it.',
  '- Per subject key, one partition, in the order the gateway wrote them. A pending organisation\'s key changes to its USCC once resolved;',
  '  across that change, order by `record-version`.',
  '',
  '## Personal identity numbers',
  '',
  'Destinations with `maskPersonalIds: true` (`x-destination.maskPersonalIds` on each channel) send every resident',
  'identity number masked; their messages use the `masked.` schemas, in which identity numbers are `personal-id-masked`.',
].join('\n');

const DELIVERY: JsonObject = {
  guarantee: 'at-least-once',
  deduplicateBy: 'header event-id (the same on a re-send)',
  recordOrder: 'record-version rises strictly per record, one event per version',
  partitioning: 'one partition per message key (subject key), events in the order the gateway wrote them',
};

// ---------------------------------------------------------------------------------------------------
// The event contract: schemas
// ---------------------------------------------------------------------------------------------------

const RECORD_EVENT_TYPES = Object.keys(RECORD_EVENTS) as RecordEventType[];
const HEADERS = 'event.recordHeaders';
const ALERT_HEADERS = 'event.alertHeaders';
const SUBJECT_KEY = 'event.subjectKey';
const RECORD_VALUE = 'event.recordValue';
const ALERT_VALUE = 'event.alertValue';
const ALERT = 'event.alert';
const recordOf = (category: string) => `event.record.${componentKey(category)}`;

function subjectKeySchema(usccComponent: string | undefined): JsonObject {
  const uscc: JsonObject = usccComponent ? { title: 'USCC', allOf: [ref(SCHEMAS + usccComponent)] } : { title: 'USCC', type: 'string', maxLength: 18 };
  return {
    title: '主体键 / Subject key',
    description: SUBJECT_KEY_DESCRIPTION,
    type: 'string',
    anyOf: [
      uscc,
      { title: '自然人 / Natural person', pattern: '^P:[0-9a-f]{32}$' },
      { title: '待识别机构（组织机构代码） / Pending organisation by organisation code', pattern: '^O:[0-9A-Z]{8}[0-9X]$' },
      { title: '待识别机构（名称） / Pending organisation by name', pattern: '^N:[0-9a-f]{32}$' },
    ],
  };
}

const HEADER_TEXTS: Record<string, JsonObject> = {
  'event-id': { type: 'string', format: 'uuid', description: 'The event\'s id, the same on a re-send: deduplicate by it. Same as the value\'s `eventId`.' },
  'record-id': { type: 'string', format: 'uuid', description: 'The record\'s id (`record.recordId`).' },
  'record-version': { type: 'string', pattern: '^[1-9][0-9]*$', description: 'The record\'s version (`record.version`), in decimal: rises strictly per record.' },
};

/** The headers of events of `types`: names and constant values from `eventHeaders`, the rest described. */
function headersSchema(types: readonly string[], texts: Record<string, JsonObject>): JsonObject {
  const samples = types.map((type) => eventHeaders({ eventId: '', type, recordId: '', recordVersion: 1 }));
  const names = Object.keys(samples[0]!);
  const property = (name: string): JsonObject => {
    if (name === 'event-type') return { type: 'string', enum: [...types], description: 'The event type (the value\'s `type`).' };
    if (texts[name]) return texts[name];
    const values = [...new Set(samples.map((s) => s[name]!))];
    return values.length === 1 ? { type: 'string', const: values[0]! } : { type: 'string', enum: values };
  };
  return {
    title: 'Kafka 消息头 / Kafka headers',
    type: 'object',
    required: names,
    properties: Object.fromEntries(names.map((n) => [n, property(n)])),
  };
}

/** One record schema per category: the envelope with `category` fixed and `data` of that category. */
function categoryRecords(bundle: Bundle, files: readonly SchemaFile[], masked: boolean): Record<string, Json> {
  const name = (c: string) => (masked ? bundle.masked(c) : c);
  const out: Record<string, Json> = {};
  for (const f of files.filter((x) => x.name.startsWith('categories/'))) {
    const category = f.name.slice('categories/'.length);
    const title = (f.schema as { title?: unknown }).title;
    out[(masked ? MASKED : '') + recordOf(category)] = {
      title: `信用记录：${typeof title === 'string' ? title : category}${masked ? MASKED_TITLE : ''}`,
      allOf: [
        ref(SCHEMAS + name('record')),
        { properties: { category: { const: category }, data: ref(SCHEMAS + name(fileComponent(f.name))) } },
      ],
    };
  }
  return out;
}

/** schema files that, when present, describe the event values (the document then builds on them) */
const RECORD_EVENT_FILE = 'record-event';
const ALERT_EVENT_FILE = 'alert-event';

function recordValueSchema(bundle: Bundle, categories: readonly string[], masked: boolean): JsonObject {
  const prefix = masked ? MASKED : '';
  const title = `记录事件 / Record event${masked ? MASKED_TITLE : ''}`;
  const record: JsonObject = {
    description: 'The record envelope of this version, its `data` by category.',
    oneOf: categories.map((c) => ref(SCHEMAS + prefix + recordOf(c))),
  };
  if (Object.hasOwn(bundle.schemas, RECORD_EVENT_FILE)) {
    const file = masked ? bundle.masked(RECORD_EVENT_FILE) : RECORD_EVENT_FILE;
    return { title, type: 'object', allOf: [ref(SCHEMAS + file), { properties: { record } }] };
  }
  return {
    title,
    type: 'object',
    additionalProperties: false,
    required: ['eventId', 'type', 'occurredAt', 'record'],
    properties: {
      eventId: { type: 'string', format: 'uuid', description: 'Same as the `event-id` header.' },
      type: { type: 'string', enum: [...RECORD_EVENT_TYPES] },
      occurredAt: { type: 'string', format: 'date-time', description: 'When this version of the record was recorded (UTC, ISO 8601 with milliseconds).' },
      record,
    },
  };
}

const nullable = (schema: JsonObject): JsonObject => ({ ...schema, type: [schema.type as string, 'null'] });

function alertSchema(): JsonObject {
  const properties: JsonObject = {
    alertId: { type: 'string', format: 'uuid' },
    seq: { type: 'integer', minimum: 1, description: 'Order in which alerts were raised.' },
    kind: { type: 'string', enum: Object.keys(ALERT_KINDS), description: Object.entries(ALERT_KINDS).map(([k, v]) => `\`${k}\`: ${v}`).join('; ') },
    region: nullable({ type: 'string', description: 'GB/T 2260 region code' }),
    recordId: nullable({ type: 'string', description: 'record alerts: the record' }),
    recordVersion: nullable({ type: 'integer' }),
    uscc: nullable({ type: 'string' }),
    level: nullable({ type: 'string', description: 'region alerts: province, city or county' }),
    period: nullable({ type: 'string', description: 'region alerts: the reporting period' }),
    score: nullable({ type: 'number' }),
    threshold: nullable({ type: 'number' }),
    connector: nullable({ type: 'string', description: 'connector alerts: the connector instance' }),
    connectorRunId: nullable({ type: 'integer' }),
    details: { type: 'object', description: 'What the alert is about, by kind.' },
    raisedAt: { type: 'string', format: 'date-time' },
  };
  return { title: '预警 / Alert', type: 'object', required: Object.keys(properties), properties };
}

function alertValueSchema(bundle: Bundle): JsonObject {
  if (Object.hasOwn(bundle.schemas, ALERT_EVENT_FILE)) return { title: '预警事件 / Alert event', allOf: [ref(SCHEMAS + ALERT_EVENT_FILE)] };
  return {
    title: '预警事件 / Alert event',
    type: 'object',
    additionalProperties: false,
    required: ['eventId', 'type', 'occurredAt', 'alert'],
    properties: {
      eventId: { type: 'string', format: 'uuid', description: 'Same as the `event-id` header.' },
      type: { type: 'string', const: ALERT_EVENT_TYPE },
      occurredAt: { type: 'string', format: 'date-time', description: 'When the alert was raised.' },
      alert: ref(SCHEMAS + ALERT),
    },
  };
}

const ALERT_HEADER_TEXTS: Record<string, JsonObject> = {
  'event-id': { type: 'string', format: 'uuid', description: 'The event\'s id (random, stored with the alert): the same on a re-send.' },
  'record-id': { type: 'string', format: 'uuid', description: 'The alert\'s id (`alert.alertId`).' },
  'record-version': { type: 'string', const: '1', description: 'Always 1: an alert never changes.' },
};

function eventSchemas(bundle: Bundle, files: readonly SchemaFile[]): Record<string, Json> {
  const categories = files.filter((f) => f.name.startsWith('categories/')).map((f) => f.name.slice('categories/'.length));
  return {
    [SUBJECT_KEY]: subjectKeySchema(bundle.withFormat('uscc')),
    [HEADERS]: headersSchema(RECORD_EVENT_TYPES, HEADER_TEXTS),
    ...categoryRecords(bundle, files, false),
    ...categoryRecords(bundle, files, true),
    [RECORD_VALUE]: recordValueSchema(bundle, categories, false),
    [MASKED + RECORD_VALUE]: recordValueSchema(bundle, categories, true),
    [ALERT_HEADERS]: headersSchema([ALERT_EVENT_TYPE], ALERT_HEADER_TEXTS),
    ...(Object.hasOwn(bundle.schemas, ALERT_EVENT_FILE) ? {} : { [ALERT]: alertSchema() }),
    [ALERT_VALUE]: alertValueSchema(bundle),
  };
}

// ---------------------------------------------------------------------------------------------------
// Messages, channels, operations
// ---------------------------------------------------------------------------------------------------

function message(type: string, texts: { title: string; summary: string; description: string }, parts: { headers: string; value: string }): JsonObject {
  return {
    name: type,
    title: texts.title,
    summary: texts.summary,
    description: texts.description,
    contentType: 'application/json',
    headers: { type: 'object', allOf: [ref(SCHEMAS + parts.headers), { properties: { 'event-type': { const: type } } }] },
    payload: { type: 'object', allOf: [ref(SCHEMAS + parts.value), { properties: { type: { const: type } } }] },
    bindings: { kafka: { key: ref(SCHEMAS + SUBJECT_KEY), bindingVersion: KAFKA_BINDING } },
  };
}

const ALERT_MESSAGE = {
  title: '预警 / Alert raised',
  summary: 'An early-warning alert was raised.',
  description: [
    'One event per alert, on the alerts topic. Key: the subject\'s USCC, else the region code, else `connector:<name>`,',
    'else `<kind>:<username>` (console lockouts) or `<kind>:<upload id>` (uploads). Headers: `record-id` is the alert id, `record-version` is always 1, `schema` is',
    '`credit-alert/v1`. Delivered at least once like record events: deduplicate by `event-id`.',
  ].join(' '),
};

function messages(): Record<string, JsonObject> {
  const out: Record<string, JsonObject> = {};
  for (const type of RECORD_EVENT_TYPES) {
    const texts = RECORD_EVENTS[type];
    out[type] = message(type, texts, { headers: HEADERS, value: RECORD_VALUE });
    out[MASKED + type] = message(type, { ...texts, description: `${texts.description}\n\n${MASKING_NOTE}` }, { headers: HEADERS, value: MASKED + RECORD_VALUE });
  }
  const alert = message(ALERT_EVENT_TYPE, ALERT_MESSAGE, { headers: ALERT_HEADERS, value: ALERT_VALUE });
  out[ALERT_EVENT_TYPE] = { ...alert, bindings: { kafka: { key: { type: 'string', description: 'USCC, region code, `connector:<name>`, `<kind>:<username>` or `<kind>:<upload id>`' }, bindingVersion: KAFKA_BINDING } } };
  return out;
}

function routingText(d: DestinationConfig): string {
  const categories = d.categories.includes('*') ? 'every category' : `categories ${d.categories.map((c) => `\`${c}\``).join(', ')}`;
  const regions = d.regions.length ? `subjects in regions ${d.regions.map((r) => `\`${r}*\``).join(', ')}` : 'subjects in every region';
  const uscc = d.requireUscc ? '; only subjects with a USCC (a pending organisation once the subject registry resolves it)' : '';
  return `Destination \`${d.name}\`: records of ${categories}, ${regions}${uscc}. Status changes go to this topic for every record it had been sent.`;
}

function destinationChannel(d: DestinationConfig): JsonObject {
  const prefix = d.maskPersonalIds ? MASKED : '';
  return {
    address: d.topic,
    title: `${d.name} — 信用记录 / credit records`,
    summary: `Credit record events for destination ${d.name}.`,
    description: `${routingText(d)}\n\n${d.maskPersonalIds ? MASKING_NOTE : CLEAR_NOTE}`,
    messages: Object.fromEntries(RECORD_EVENT_TYPES.map((t) => [t, ref(MESSAGES + prefix + t)])),
    bindings: { kafka: { topic: d.topic, bindingVersion: KAFKA_BINDING } },
    'x-destination': { name: d.name, categories: [...d.categories], regions: [...d.regions], requireUscc: d.requireUscc, maskPersonalIds: d.maskPersonalIds },
  };
}

function sendOperation(channelId: string, types: readonly string[], title: string): JsonObject {
  return {
    action: 'send',
    title,
    channel: ref(`#/channels/${channelId}`),
    messages: types.map((t) => ref(`#/channels/${channelId}/messages/${t}`)),
  };
}

/** The channel id of a destination (destination names have no dot, so never the alerts channel's id). */
export const destinationChannelId = (name: string) => `records.${name}`;
export const ALERTS_CHANNEL_ID = 'alerts';

function channelsAndOperations(input: AsyncApiInput): Pick<AsyncApiDocument, 'channels' | 'operations'> {
  const channels: Record<string, JsonObject> = {};
  const operations: Record<string, JsonObject> = {};
  for (const d of input.config.destinations) {
    const id = destinationChannelId(d.name);
    channels[id] = destinationChannel(d);
    operations[`publish.${d.name}`] = sendOperation(id, RECORD_EVENT_TYPES, `Publish record events to ${d.name}`);
  }
  const topic = input.config.monitoring.alertsTopic;
  channels[ALERTS_CHANNEL_ID] = {
    address: topic,
    title: '预警 / Monitoring alerts',
    summary: 'Early-warning alerts (monitoring.alertsTopic).',
    description: `Alerts raised by the gateway's monitoring, connectors and console. Identity numbers never appear here.`,
    messages: { [ALERT_EVENT_TYPE]: ref(MESSAGES + ALERT_EVENT_TYPE) },
    bindings: { kafka: { topic, bindingVersion: KAFKA_BINDING } },
  };
  operations['publish.alerts'] = sendOperation(ALERTS_CHANNEL_ID, [ALERT_EVENT_TYPE], 'Publish alerts');
  return { channels, operations };
}

/** The AsyncAPI 3.0 document of the topics this configuration publishes to. */
export function buildAsyncApiDocument(input: AsyncApiInput): AsyncApiDocument {
  const bundle = bundleSchemas(input.schemaFiles);
  const schemas = { ...bundle.schemas };
  for (const [key, value] of Object.entries(eventSchemas(bundle, input.schemaFiles))) addComponent(schemas, key, value);
  const all = messages();
  const used = new Set(input.config.destinations.map((d) => (d.maskPersonalIds ? MASKED : '')));
  const wanted = Object.fromEntries(Object.entries(all).filter(([key]) => key === ALERT_EVENT_TYPE || used.has(key.startsWith(MASKED) ? MASKED : '')));
  return {
    asyncapi: '3.0.0',
    id: 'urn:credit-gateway:events',
    info: {
      title: '信用信息交换网关 事件 / Credit-exchange gateway events',
      version: input.version,
      description: INFO_DESCRIPTION,
    },
    defaultContentType: 'application/json',
    ...channelsAndOperations(input),
    components: { schemas, messages: wanted },
    'x-delivery': DELIVERY,
  };
}
