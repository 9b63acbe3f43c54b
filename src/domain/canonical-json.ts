/**
 * Canonical JSON (the RFC 8785 idea, for the values records hold): object keys sorted by code point,
 * no insignificant white space, `undefined` members dropped. Two records with the same content give
 * byte-identical text, so their hashes match whatever order a source sent the fields in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('non-finite number in canonical JSON');
    return JSON.stringify(value) ?? 'null';
  }
  // Plain loops and string appends: this runs for every record stored (its content hash).
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += value[i] === undefined ? 'null' : canonicalJson(value[i]);
    }
    return `${out}]`;
  }
  const keys = Object.keys(value).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const member = (value as Record<string, unknown>)[key];
    if (member === undefined) continue;
    if (out.length > 1) out += ',';
    out += memberName(key) + canonicalJson(member);
  }
  return `${out}}`;
}

/** `"key":`, remembered for the few hundred keys records use (bounded: pushed data may bring any key). */
const memberNames = new Map<string, string>();

function memberName(key: string): string {
  let name = memberNames.get(key);
  if (name === undefined) {
    name = `${JSON.stringify(key)}:`;
    if (memberNames.size < 4096) memberNames.set(key, name);
  }
  return name;
}
