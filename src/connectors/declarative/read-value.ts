/**
 * Reads one value of a record from a source row, as a source file's value spec says (spec.ts): which
 * source field, how its text is parsed (src/domain/values), which codes map to what. Pure.
 *
 * An empty value (无, 暂无, /, - …) is absent. A value that cannot be read is a field error naming
 * the source field and the rule; an unknown code is also a source issue, so it is counted. A field
 * whose rule concerns an identity number never quotes the value.
 */
import { provinceCodeByName, isRegionCode } from '../../domain/regions.js';
import { normalizeIdentifier } from '../../domain/uscc.js';
import {
  banEnd, isPlaceholderCode, parseAmount, parseDate, parseDateRange, placeholderWarning, textValue, type ValueProblem,
} from '../../domain/values/index.js';
import type { FieldError } from '../../errors.js';
import type { SourceIssue } from '../types.js';
import type { ValueSpec } from './spec.js';

export type SourceRow = Record<string, unknown>;
export type SubjectType = 'person' | 'organisation';

export type ReadOutcome =
  | { ok: true; value: unknown; warning?: FieldError }
  | { ok: false; error: FieldError; issue?: SourceIssue };

const ABSENT: ReadOutcome = { ok: true, value: undefined };

/** Characters a source may leave in its texts that are never data (C0 controls other than tab, LF, CR; DEL). */
const STRAY_CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

const pointerOf = (field: string) => `/${field.replace(/~/g, '~0').replace(/\//g, '~1')}`;

function fieldError(field: string, problem: ValueProblem): FieldError {
  return { pointer: pointerOf(field), rule: problem.rule, zh: `来源字段 ${field}：${problem.zh}`, en: `source field ${field}: ${problem.en}` };
}

/** The first source field of `from` that holds a non-empty value, with its name. */
function firstPresent(row: SourceRow, from: string | readonly string[]): { field: string; raw: unknown; text: string } | null {
  for (const field of typeof from === 'string' ? [from] : from) {
    const raw = row[field];
    const text = textValue(raw);
    if (text !== null) return { field, raw, text: text.replace(STRAY_CONTROLS, '') };
  }
  return null;
}

/** Every source field a value spec reads (for the unknown-field check). */
export function fieldsReadBy(spec: ValueSpec | undefined): string[] {
  if (spec === undefined) return [];
  if (typeof spec === 'string') return [spec];
  const fields: string[] = [];
  if (spec.from !== undefined) fields.push(...(typeof spec.from === 'string' ? [spec.from] : spec.from));
  if (spec.template) for (const m of spec.template.matchAll(/\{([^}|]+)(?:\|([^}]+))?\}/g)) fields.push(m[1]!, ...(m[2] ? [m[2]] : []));
  if (spec.since) fields.push(spec.since);
  return fields;
}

/** "{caseCode}|{cardNum|iname}": each {a|b} is a's text, else b's; an empty part leaves the whole template empty. */
function fillTemplate(template: string, row: SourceRow): string | null {
  let missing = false;
  const out = template.replace(/\{([^}|]+)(?:\|([^}]+))?\}/g, (_m, a: string, b?: string) => {
    const found = firstPresent(row, b ? [a, b] : [a]);
    if (!found) missing = true;
    return found?.text ?? '';
  });
  return missing ? null : out;
}

function failed(field: string, problem: ValueProblem): ReadOutcome {
  return { ok: false, error: fieldError(field, problem) };
}

/** A parser's result as a read outcome: its problem as the field's error, its warning kept. */
function outcomeOf<T>(field: string, r: { ok: true; value: T; warning?: ValueProblem } | { ok: false; problem: ValueProblem }): ReadOutcome {
  if (!r.ok) return failed(field, r.problem);
  return r.warning ? { ok: true, value: r.value ?? undefined, warning: fieldError(field, r.warning) } : { ok: true, value: r.value ?? undefined };
}

export function readValue(spec: ValueSpec, row: SourceRow, subjectType?: SubjectType): ReadOutcome {
  if (typeof spec === 'string') {
    const found = firstPresent(row, spec);
    return found ? { ok: true, value: found.text } : ABSENT;
  }
  if (spec.when !== undefined && subjectType !== undefined && spec.when !== subjectType) return ABSENT;
  if (spec.value !== undefined) return { ok: true, value: spec.value };
  if (spec.byKind !== undefined) return { ok: true, value: subjectType === undefined ? undefined : spec.byKind[subjectType] };
  const label = spec.template ?? (typeof spec.from === 'string' ? spec.from : spec.from?.join('|')) ?? '';
  let found: { field: string; raw: unknown; text: string } | null;
  if (spec.template !== undefined) {
    const text = fillTemplate(spec.template, row);
    found = text === null ? null : { field: label, raw: text, text };
  } else {
    found = spec.from === undefined ? null : firstPresent(row, spec.from);
  }
  if (!found) {
    if (spec.default !== undefined) return { ok: true, value: spec.default };
    if (spec.required) {
      return {
        ok: false,
        error: { pointer: pointerOf(label), rule: 'source.required', zh: `来源字段 ${label} 缺失或为空`, en: `source field ${label} is missing or empty` },
      };
    }
    return ABSENT;
  }
  if (spec.placeholders === 'warn' && isPlaceholderCode(found.text)) {
    return { ok: true, value: undefined, warning: fieldError(found.field, placeholderWarning(found.field, found.text)) };
  }
  if (spec.map) {
    const mapped = spec.map[found.text];
    if (mapped === undefined) {
      const known = Object.keys(spec.map);
      return {
        ok: false,
        issue: { kind: 'unknown_code', field: found.field, value: found.text.slice(0, 100) },
        error: {
          pointer: pointerOf(found.field),
          rule: 'source.unknown_code',
          zh: `来源字段 ${found.field} 的代码值“${found.text.slice(0, 40)}”不在已知取值（${known.join('、')}）中`,
          en: `source field ${found.field}: code value "${found.text.slice(0, 40)}" is not one of the known values (${known.join(', ')})`,
        },
      };
    }
    return { ok: true, value: mapped };
  }
  if (spec.match !== undefined) {
    const part = new RegExp(spec.match, 'u').exec(found.text)?.[1];
    if (part === undefined) return ABSENT;
    found = { ...found, raw: part, text: part };
  }
  return parsed(spec, found, row);
}

/** The last period read and its reading: a row's period is read for its start and for its end, often twice each. */
let lastRange: { raw: unknown; range: ReturnType<typeof parseDateRange> } | undefined;

function rangeOf(raw: unknown): ReturnType<typeof parseDateRange> {
  if (lastRange === undefined || lastRange.raw !== raw) lastRange = { raw, range: parseDateRange(raw) };
  return lastRange.range;
}

function parsed(spec: Exclude<ValueSpec, string>, found: { field: string; raw: unknown; text: string }, row: SourceRow): ReadOutcome {
  switch (spec.parse ?? 'text') {
    case 'text':
      return { ok: true, value: found.text };
    case 'code':
      return { ok: true, value: normalizeIdentifier(found.text) };
    case 'date':
      return outcomeOf(found.field, parseDate(found.raw));
    case 'dateFrom':
    case 'dateUntil': {
      const range = rangeOf(found.raw);
      if (!range.ok) return failed(found.field, range.problem);
      const day = spec.parse === 'dateFrom' ? range.value?.from : range.value?.until;
      return { ok: true, value: day ?? undefined };
    }
    case 'amount':
      return outcomeOf(found.field, parseAmount(found.raw, { into: spec.into ?? '元', ...(spec.unit ? { declaredUnit: spec.unit } : {}) }));
    case 'number':
    case 'integer': {
      const n = Number(found.text.replace(/[,，]/g, ''));
      if (!Number.isFinite(n) || (spec.parse === 'integer' && !Number.isInteger(n))) {
        return failed(found.field, { rule: `value.${spec.parse}`, zh: `“${found.text.slice(0, 40)}”不是${spec.parse === 'integer' ? '整数' : '数字'}`, en: `"${found.text.slice(0, 40)}" is not ${spec.parse === 'integer' ? 'an integer' : 'a number'}` });
      }
      return { ok: true, value: n };
    }
    case 'list': {
      const separator = spec.separator ? new RegExp(`[${spec.separator.replace(/[\]\\^-]/g, '\\$&')}]`) : /[;；]/;
      const items = found.text.split(separator).map((s) => s.trim()).filter((s) => s !== '');
      return { ok: true, value: items.length ? items : undefined };
    }
    case 'province': {
      const code = isRegionCode(found.text) ? found.text : provinceCodeByName(found.text);
      if (!code) return failed(found.field, { rule: 'value.province', zh: `“${found.text.slice(0, 40)}”不是省级行政区名称或区划代码`, en: `"${found.text.slice(0, 40)}" is not a province name or region code` });
      return { ok: true, value: code };
    }
    case 'banEnd': {
      const since = spec.since ? parseDate(row[spec.since]) : undefined;
      if (!since?.ok || !since.value) {
        return failed(found.field, { rule: 'value.ban_start', zh: `禁止期限的起算日（来源字段 ${spec.since ?? '?'}）缺失或无法识别`, en: `the start day of the ban (source field ${spec.since ?? '?'}) is missing or unreadable` });
      }
      return { ok: true, value: banEnd(found.text, since.value) ?? undefined };
    }
  }
}
