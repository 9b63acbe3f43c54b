/**
 * One source row → one record input, as a source file's `record` section says. Pure.
 *
 * The subject: its name; person or organisation (the source's codes mapped); its code, read for what
 * it is — a USCC, a 组织机构代码 (GB 11714), or an identity number as published (masked in one of the
 * published layouts: it is kept masked, and never quoted in an error); its region when no code tells
 * it. An organisation with no USCC is not an error: the record is stored pending and the subject
 * registry resolves it later. Every other value goes through read-value.ts; every source field the
 * file neither reads nor ignores is an unknown-field issue.
 */
import type { CategoryId } from '../../domain/catalogue.js';
import { checkPersonalId } from '../../domain/personal-id.js';
import type { RecordInput } from '../../domain/record.js';
import { checkUscc, isOrgCode, normalizeIdentifier } from '../../domain/uscc.js';
import type { FieldError } from '../../errors.js';
import type { MapEnv, MapResult, SourceIssue } from '../types.js';
import { fieldsReadBy, readValue, type ReadOutcome, type SourceRow, type SubjectType } from './read-value.js';
import type { MappingSpec, ValueSpec } from './spec.js';

const SEVERITIES = new Set(['minor', 'general', 'severe']);

/** Every source field the file reads or ignores: any other field of a row is an unknown-field issue. */
export function knownFields(spec: MappingSpec): Set<string> {
  const { record } = spec;
  const specs: Array<ValueSpec | undefined> = [
    ...record.key, record.subject.name, record.subject.kind, record.subject.code, record.subject.region,
    record.severity, record.decidedAt, record.publishFrom, record.publishUntil, ...Object.values(record.data),
  ];
  return new Set([...specs.flatMap(fieldsReadBy), ...spec.ignore, ...Object.keys(spec.skipWhen ?? {})]);
}

/** What a subject's code is, read for itself (the kind the source gives decides between readings). */
type SubjectCode =
  | { kind: 'uscc'; code: string }
  | { kind: 'orgCode'; code: string }
  | { kind: 'personalId'; code: string }
  | { kind: 'maskedUscc' }
  | { kind: 'unreadable' };

function readSubjectCode(text: string, type: SubjectType | undefined): SubjectCode {
  const code = normalizeIdentifier(text);
  if (type !== 'organisation' && checkPersonalId(code).ok) return { kind: 'personalId', code };
  if (type !== 'person') {
    const uscc = checkUscc(code);
    if (uscc.ok && uscc.code === code) return { kind: 'uscc', code };
    if (isOrgCode(code)) return { kind: 'orgCode', code };
    // an organisation's USCC published with a run of * (9114082306****333G): no use as a code
    if (code.length === 18 && code.includes('*')) return { kind: 'maskedUscc' };
  }
  return { kind: 'unreadable' };
}

export function mapSourceRow(spec: MappingSpec, raw: unknown, env: MapEnv, known: ReadonlySet<string>): MapResult[] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return [{ ok: false, errors: [{ pointer: '', rule: 'source.row_shape', zh: '来源行不是对象', en: 'the source row is not an object' }], issues: [] }];
  }
  const row = raw as SourceRow;
  const other = otherListOf(spec, row);
  if (other) return [{ ok: false, errors: [other], issues: [] }];
  if (isSkipped(spec, row)) return [];
  const reading = startReading(row, known);
  const { record } = spec;
  const key = readKey(record, reading);
  const { subject, type } = readSubject(record, env, reading);
  const decision = readDecision(record, type, reading);
  const { errors, issues } = reading;
  if (errors.length || !key) return [{ ok: false, ...(key ? { key } : {}), errors, issues }];
  return [{ ok: true, key, input: recordInput(spec, env, key, subject, decision), issues }];
}

/**
 * A row of another list (the file's `otherLists`: it holds every field one of them names) is not read
 * as this list's: one error says which list it is and why no record is made of it. It is quarantined,
 * not skipped: a pass of another list's rows counts as invalid, so it never drives removals.
 */
function otherListOf(spec: MappingSpec, row: SourceRow): FieldError | undefined {
  const other = spec.otherLists?.find((o) => o.has.every((field) => Object.hasOwn(row, field)));
  if (!other) return undefined;
  return {
    pointer: '', rule: 'source.other_list',
    zh: `来源行是另一列表“${other.list}”的条目，不是本来源列表的条目：${other.why.zh}`,
    en: `the source row is an entry of another list ("${other.list}"), not of this source's list: ${other.why.en}`,
  };
}

/** A row the file's `skipWhen` names (one of a field's listed values) maps to no record at all. */
function isSkipped(spec: MappingSpec, row: SourceRow): boolean {
  return Object.entries(spec.skipWhen ?? {})
    .some(([field, values]) => (values as Array<string | number>).some((v) => String(v) === String(row[field] ?? '')));
}

/** One row being read: every value that cannot be read leaves its error (and issue) here, and reading goes on. */
interface RowReading {
  errors: FieldError[];
  issues: SourceIssue[];
  /** The value the spec reads from the row, or undefined when it cannot be read. */
  read(spec: ValueSpec, type?: SubjectType): unknown;
}

/** Starts with an unknown-field issue for every field of the row the file neither reads nor ignores. */
function startReading(row: SourceRow, known: ReadonlySet<string>): RowReading {
  const errors: FieldError[] = [];
  const issues: SourceIssue[] = Object.keys(row).filter((f) => !known.has(f)).map((field) => ({ kind: 'unknown_field' as const, field }));
  const read = (spec: ValueSpec, type?: SubjectType): unknown => {
    const outcome: ReadOutcome = readValue(spec, row, type);
    if (!outcome.ok) {
      errors.push(outcome.error);
      if (outcome.issue) issues.push(outcome.issue);
      return undefined;
    }
    if (outcome.warning) issues.push(warningIssue(outcome.warning));
    return outcome.value;
  };
  return { errors, issues, read };
}

/** The source key: its parts joined by |, or undefined when one is missing (an error of its own only when no part failed to read). */
function readKey(record: MappingSpec['record'], reading: RowReading): string | undefined {
  const keyParts = record.key.map((k) => reading.read(k));
  const key = keyParts.every((p) => typeof p === 'string' && p !== '') ? (keyParts as string[]).join('|') : undefined;
  if (!key && !reading.errors.length) reading.errors.push({ pointer: '', rule: 'source.key', zh: '来源行缺少构成来源键的字段', en: 'the source row lacks the fields of its key' });
  return key;
}

/**
 * The subject: its name, its kind (as the source gives it, else as its code tells it), its code, and
 * its region. The kind found here decides how the rest of the row is read.
 */
function readSubject(record: MappingSpec['record'], env: MapEnv, reading: RowReading): { subject: RecordInput['subject']; type: SubjectType | undefined } {
  const name = reading.read(record.subject.name);
  if (typeof name !== 'string') reading.errors.push({ pointer: '', rule: 'source.subject_name', zh: '来源行缺少主体名称', en: 'the source row has no subject name' });
  const declaredType = readDeclaredType(record, reading);
  const codeText = record.subject.code ? reading.read(record.subject.code) : undefined;
  const code = typeof codeText === 'string' ? readSubjectCode(codeText, declaredType) : undefined;
  const type: SubjectType | undefined = declaredType
    ?? (code?.kind === 'personalId' ? 'person' : code?.kind === 'uscc' || code?.kind === 'orgCode' ? 'organisation' : undefined);

  const subject: RecordInput['subject'] = { name: typeof name === 'string' ? name : '' };
  const codeField = fieldsReadBy(record.subject.code).join('|');
  if (type === 'person') identifyPerson(subject, code, codeField, reading);
  else identifyOrganisation(subject, code, codeField, reading);
  const region = record.subject.region ? reading.read(record.subject.region, type) : undefined;
  if (typeof region === 'string') subject.region = region;
  else if (env.config.region && !subject.uscc && !subject.idNumber) subject.region = env.config.region;
  return { subject, type };
}

/**
 * The subject's kind as the source gives it, if the file reads one. A value other than person or
 * organisation is an error, but is still returned as read (the row is rejected anyway).
 */
function readDeclaredType(record: MappingSpec['record'], reading: RowReading): SubjectType | undefined {
  const declaredType = record.subject.kind ? reading.read(record.subject.kind) : undefined;
  if (declaredType !== undefined && declaredType !== 'person' && declaredType !== 'organisation') {
    reading.errors.push({ pointer: '', rule: 'source.subject_kind', zh: `主体类型须映射为 person 或 organisation，得到“${String(declaredType)}”`, en: `the subject kind must map to person or organisation, got "${String(declaredType)}"` });
  }
  return declaredType as SubjectType | undefined;
}

/** A natural person is identified by an identity number, or the row is rejected. */
function identifyPerson(subject: RecordInput['subject'], code: SubjectCode | undefined, codeField: string, reading: RowReading): void {
  subject.kind = 'person';
  if (code?.kind === 'personalId') subject.idNumber = code.code;
  else {
    // the value is never quoted: it may be an identity number in a layout not known here
    reading.errors.push({
      pointer: `/${codeField}`, rule: 'source.subject_id',
      zh: `自然人的证件号码（来源字段 ${codeField}）缺失，或不是公民身份号码（含来源公布的脱敏格式）`,
      en: `the natural person's identity number (source field ${codeField}) is missing, or is not a resident identity number (masked layouts included)`,
    });
  }
}

/** An organisation keeps the code it has; with no USCC it is stored pending (kind other), never rejected for that. */
function identifyOrganisation(subject: RecordInput['subject'], code: SubjectCode | undefined, codeField: string, reading: RowReading): void {
  if (code?.kind === 'uscc') subject.uscc = code.code;
  else if (code?.kind === 'orgCode') subject.orgCode = code.code;
  else if (code?.kind === 'unreadable') {
    reading.issues.push({ kind: 'value_warning', field: codeField, value: 'source.subject_code' });
  }
  if (!subject.uscc) subject.kind = 'other';
}

/** What the row says of the decision itself, as read. */
interface Decision {
  severity: unknown;
  decidedAt: unknown;
  publishFrom: unknown;
  publishUntil: unknown;
  data: Record<string, unknown>;
}

/** Severity, dates and data: read for the subject's kind (a value spec may apply to one kind only). */
function readDecision(record: MappingSpec['record'], type: SubjectType | undefined, reading: RowReading): Decision {
  const severity = record.severity ? reading.read(record.severity, type) : undefined;
  if (severity !== undefined && !SEVERITIES.has(String(severity))) {
    reading.errors.push({ pointer: '', rule: 'source.severity', zh: `严重程度须为 minor、general 或 severe，得到“${String(severity)}”`, en: `severity must be minor, general or severe, got "${String(severity)}"` });
  }
  const decidedAt = reading.read(record.decidedAt, type);
  if (typeof decidedAt !== 'string' && !reading.errors.length) {
    reading.errors.push({ pointer: `/${fieldsReadBy(record.decidedAt).join('|')}`, rule: 'source.required', zh: '来源行缺少决定日期', en: 'the source row has no decision date' });
  }
  const publishFrom = record.publishFrom ? reading.read(record.publishFrom, type) : undefined;
  const publishUntil = record.publishUntil ? reading.read(record.publishUntil, type) : undefined;

  const data: Record<string, unknown> = {};
  for (const [field, valueSpec] of Object.entries(record.data)) {
    const value = reading.read(valueSpec as ValueSpec, type);
    if (value !== undefined) data[field] = value;
  }
  return { severity, decidedAt, publishFrom, publishUntil, data };
}

/** The record input of a row read without errors. */
function recordInput(spec: MappingSpec, env: MapEnv, key: string, subject: RecordInput['subject'], decision: Decision): RecordInput {
  const { severity, decidedAt, publishFrom, publishUntil, data } = decision;
  const input: RecordInput = {
    category: spec.category as CategoryId,
    subject,
    source: { system: env.system, key, fetchedAt: env.fetchedAt },
    decidedAt: decidedAt as string,
    data,
  };
  if (severity !== undefined) input.severity = severity as RecordInput['severity'];
  if (typeof publishFrom === 'string') input.publishFrom = publishFrom;
  if (typeof publishUntil === 'string') input.publishUntil = publishUntil;
  return input;
}

/** A value kept or dropped with a warning (a placeholder code, a rounded amount) is counted like an unknown field. */
function warningIssue(warning: FieldError): SourceIssue {
  return { kind: 'value_warning', field: warning.pointer.slice(1).replace(/~1/g, '/').replace(/~0/g, '~'), value: warning.rule };
}
