/**
 * ajv's findings, said precisely in Chinese and English: which field (JSON pointer), which rule, what
 * was expected. Identifier formats are explained by the identifier modules' own rule messages.
 */
import type { ErrorObject } from 'ajv';
import type { FieldError } from '../errors.js';
import { checkPersonalId } from '../domain/personal-id.js';
import { checkUscc } from '../domain/uscc.js';

type Params = Record<string, unknown>;

const TYPE_ZH: Record<string, string> = {
  string: '字符串', number: '数字', integer: '整数', boolean: '布尔值', object: '对象', array: '数组', null: '空值',
};

function typeZh(t: unknown): string {
  return String(t).split(',').map((x) => TYPE_ZH[x] ?? x).join('或');
}

/** Resolves a JSON pointer inside a value (for reporting what was found). */
export function valueAt(root: unknown, pointer: string): unknown {
  if (!pointer) return root;
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function describeAjvError(e: ErrorObject, root: unknown): FieldError[] {
  const p = e.params as Params;
  const at = e.instancePath;
  const one = (pointer: string, zh: string, en: string, rule = e.keyword): FieldError[] => [{ pointer, rule, zh, en }];
  switch (e.keyword) {
    case 'required': {
      const field = String(p.missingProperty);
      return one(`${at}/${escapePointer(field)}`, `缺少必填字段“${field}”`, `required field "${field}" is missing`);
    }
    case 'additionalProperties': {
      const field = String(p.additionalProperty);
      return one(`${at}/${escapePointer(field)}`, `不允许的字段“${field}”`, `field "${field}" is not allowed here`);
    }
    case 'type':
      return one(at, `类型应为${typeZh(p.type)}`, `must be of type ${String(p.type)}`);
    case 'enum':
      return one(at, `取值应为以下之一：${(p.allowedValues as unknown[]).join('、')}`, `must be one of: ${(p.allowedValues as unknown[]).join(', ')}`);
    case 'const':
      return one(at, `取值应为 ${JSON.stringify(p.allowedValue)}`, `must equal ${JSON.stringify(p.allowedValue)}`);
    case 'format': {
      const value = valueAt(root, at);
      // the identifier's own rules say what is wrong; a code that is only not written in normalised form
      // (which the data fields that are normalised on the way in never are) is said so
      const checked = typeof value !== 'string' ? null : p.format === 'uscc' ? checkUscc(value) : p.format === 'personal-id' ? checkPersonalId(value) : null;
      if (checked && checked.errors.length) return checked.errors.map((issue) => ({ pointer: at, rule: issue.rule, zh: issue.zh, en: issue.en }));
      if (checked) {
        return one(at, `代码须写作规范形式“${checked.code}”（半角、大写、无空格）`, `the code must be written in normalised form "${checked.code}" (half-width, upper case, no spaces)`, `${String(p.format)}.normalised_form`);
      }
      return one(at, `格式应为 ${String(p.format)}`, `must be a valid ${String(p.format)}`, `format.${String(p.format)}`);
    }
    case 'pattern':
      return one(at, `不符合格式规则 ${String(p.pattern)}`, `must match pattern ${String(p.pattern)}`);
    case 'minLength':
      return one(at, `长度至少为 ${p.limit} 个字符`, `must be at least ${p.limit} characters long`);
    case 'maxLength':
      return one(at, `长度不得超过 ${p.limit} 个字符`, `must be at most ${p.limit} characters long`);
    case 'minimum':
    case 'exclusiveMinimum':
    case 'maximum':
    case 'exclusiveMaximum': {
      const cmp = String(p.comparison);
      const zhCmp: Record<string, string> = { '>=': '不小于', '>': '大于', '<=': '不大于', '<': '小于' };
      return one(at, `数值应${zhCmp[cmp] ?? cmp} ${p.limit}`, `must be ${cmp} ${p.limit}`);
    }
    case 'minItems':
      return one(at, `至少应有 ${p.limit} 项`, `must have at least ${p.limit} items`);
    case 'maxItems':
      return one(at, `最多 ${p.limit} 项`, `must have at most ${p.limit} items`);
    case 'minProperties':
      return one(at, `至少应有 ${p.limit} 个字段`, `must have at least ${p.limit} fields`);
    case 'maxProperties':
      return one(at, `最多 ${p.limit} 个字段`, `must have at most ${p.limit} fields`);
    case 'uniqueItems':
      return one(at, `第 ${p.j} 项与第 ${p.i} 项重复`, `items ${p.j} and ${p.i} are identical`);
    case 'anyOf':
    case 'oneOf':
      return one(at, '不符合任何一种允许的结构', 'does not match any of the allowed shapes');
    case 'dependentRequired':
      return one(`${at}/${escapePointer(String(p.missingProperty))}`, `存在“${p.property}”时必须提供“${p.missingProperty}”`, `"${p.missingProperty}" is required when "${p.property}" is present`);
    case 'if':
      return [];
    case 'false schema':
      return one(at, '此处不允许该字段', 'this field is not allowed here', 'not_allowed');
    default:
      return one(at, `不符合规则 ${e.keyword}`, e.message ?? `fails rule ${e.keyword}`);
  }
}

// A resident identity number is full (personalIdFull) or masked (personalIdMasked): when it is neither,
// ajv reports each branch's rules and the anyOf; the number's own rules say in one place what is wrong.
const PERSONAL_ID_BRANCH = /^#\/\$defs\/personalId(?:Full|Masked)\//;

function withPersonalIdsExplained(errors: ErrorObject[], root: unknown): ErrorObject[] {
  const paths = new Set(errors.filter((e) => PERSONAL_ID_BRANCH.test(e.schemaPath)).map((e) => e.instancePath));
  if (!paths.size) return errors;
  const rest = errors.filter((e) => !paths.has(e.instancePath) || !(PERSONAL_ID_BRANCH.test(e.schemaPath) || e.keyword === 'anyOf'));
  const explained = [...paths].map((instancePath): ErrorObject => ({
    keyword: 'format', instancePath, schemaPath: '#/$defs/personalId', params: { format: 'personal-id' }, data: valueAt(root, instancePath),
  }));
  return [...explained, ...rest];
}

/** All findings, with an optional prefix on each pointer (e.g. "/records/3"), without repeats. */
export function describeAjvErrors(errors: ErrorObject[] | null | undefined, root: unknown, prefix = ''): FieldError[] {
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const e of withPersonalIdsExplained(errors ?? [], root)) {
    for (const fe of describeAjvError(e, root)) {
      const key = `${fe.pointer}|${fe.rule}|${fe.en}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ ...fe, pointer: prefix + fe.pointer });
    }
  }
  return out;
}
