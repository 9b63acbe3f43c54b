/**
 * Text the gateway accepts in a body: well-formed Unicode without control characters. Tab, line feed
 * and carriage return are allowed (real sources put them inside long texts); every other C0 control
 * character, DEL, and an unpaired surrogate (`"\ud800"` in JSON) is refused where it appears — in a
 * value or in a member name. PostgreSQL cannot store NUL or an unpaired surrogate as text, and the
 * other controls are never data. Pure.
 */
import type { FieldError } from '../errors.js';

const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const MAX_FAULTS = 20;

function faultOf(text: string, pointer: string): FieldError | null {
  if (!text.isWellFormed()) {
    return {
      pointer,
      rule: 'text.lone_surrogate',
      zh: '文本含有不成对的代理项（不是合法的 Unicode 字符）',
      en: 'the text contains an unpaired surrogate (not a valid Unicode character)',
    };
  }
  const control = CONTROL.exec(text);
  if (control) {
    const code = `U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    return {
      pointer,
      rule: 'text.control_character',
      zh: `文本含有控制字符 ${code}（只允许制表符、换行符和回车符）`,
      en: `the text contains the control character ${code} (only tab, line feed and carriage return are allowed)`,
    };
  }
  return null;
}

const escapePointer = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/** faultOf without its details: one test per string of every body, and nothing built unless it fails */
const breaksRule = (text: string) => faultOf(text, '') !== null;

/**
 * Whether any string in `value` (a value or a member name) breaks the rule: the walk of every body,
 * so it builds no pointers (allocating a pointer for every value was about 10 KB a record).
 */
function anyFault(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length) {
    const node = stack.pop();
    if (typeof node === 'string') {
      if (breaksRule(node)) return true;
    } else if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) stack.push(node[i]);
    } else if (node !== null && typeof node === 'object') {
      for (const key in node) {
        if (!Object.hasOwn(node, key)) continue;
        if (breaksRule(key)) return true;
        stack.push((node as Record<string, unknown>)[key]);
      }
    }
  }
  return false;
}

/**
 * Every string in `value` (values and member names) that breaks the rule, as field errors under
 * `pointerPrefix`; at most 20. Walks iteratively, so a deeply nested body cannot exhaust the stack.
 */
export function textFaults(value: unknown, pointerPrefix = ''): FieldError[] {
  if (!anyFault(value)) return [];
  const faults: FieldError[] = [];
  // [node, pointer, is a member name]: popped in document order
  const stack: Array<[unknown, string, boolean]> = [[value, pointerPrefix, false]];
  while (stack.length && faults.length < MAX_FAULTS) {
    const [node, pointer, isName] = stack.pop()!;
    if (typeof node === 'string') {
      const fault = faultOf(node, pointer);
      if (fault) faults.push(isName ? { ...fault, zh: `字段名${fault.zh}`, en: `the member name: ${fault.en}` } : fault);
    } else if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push([node[i], `${pointer}/${i}`, false]);
    } else if (node !== null && typeof node === 'object') {
      const keys = Object.keys(node);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        const at = `${pointer}/${escapePointer(key)}`;
        stack.push([(node as Record<string, unknown>)[key], at, false], [key, at, true]);
      }
    }
  }
  return faults;
}
