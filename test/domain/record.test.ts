import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/domain/canonical-json.js';
import { contentHashOf, contentOf, maskEnvelope, recordIdFor, subjectKeyOf, MissingRegionError } from '../../src/domain/record.js';
import { syntheticPersonalId } from '../../src/domain/personal-id.js';
import { sampleRecordInput } from '../../src/dev/sample-records.js';

describe('canonical JSON', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[3,{"y":2,"z":1}]},"b":1}');
  });
  it('refuses non-finite numbers', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/non-finite/);
    expect(() => canonicalJson({ a: [{ n: Infinity }] })).toThrow(/non-finite/);
  });
  it('sorts integer-like keys as text too, and keeps a __proto__ member (keys an object cannot hold in sorted order)', () => {
    expect(canonicalJson({ b: 1, 10: 'x', 2: 'y', a: { 1: true } })).toBe('{"10":"x","2":"y","a":{"1":true},"b":1}');
    expect(canonicalJson(JSON.parse('{"z":0,"__proto__":{"b":1,"a":2}}'))).toBe('{"__proto__":{"a":2,"b":1},"z":0}');
    // leading zeros, signs and exponents are ordinary keys; so is an integer past the array-index range
    expect(canonicalJson({ 'b': 1, '01': 2, '-1': 3, '1e3': 4, '4294967295': 5 })).toBe('{"-1":3,"01":2,"1e3":4,"4294967295":5,"b":1}');
  });
  it('writes functions and symbols as null, as the member-by-member text did', () => {
    expect(canonicalJson({ f: () => 1, s: Symbol('s'), u: undefined, a: [undefined, () => 1] })).toBe('{"a":[null,null],"f":null,"s":null}');
    expect(canonicalJson(undefined)).toBe('null');
  });
  it('sorts objects with many keys (past the in-place insertion sort) the same way', () => {
    const keys = Array.from({ length: 40 }, (_, i) => `k${(i * 7) % 40}`);
    const text = canonicalJson(Object.fromEntries(keys.map((k) => [k, 1])));
    expect(text).toBe(`{${[...keys].sort().map((k) => `"${k}":1`).join(',')}}`);
  });
  it('keeps the content hashes already stored: two sample records hash as they did before (golden values)', () => {
    expect(contentHashOf(contentOf(sampleRecordInput('dishonest_debtor', 7)))).toBe('sha256:91767d99081777554cfbf1d7ae714b25bedcc33125e8dee9670487828b837c14');
    expect(contentHashOf(contentOf(sampleRecordInput('admin_license', 8)))).toBe('sha256:b7ca4066ab996aa087cbbbfea8aedab83789c68493cfa634fd5a811addf61083');
  });
  it('property: is JSON of the same value, with the keys of every object in sorted order', () => {
    const sortedCopy = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(sortedCopy)
        : v !== null && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortedCopy((v as Record<string, unknown>)[k])]))
          : v;
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      const text = canonicalJson(value);
      expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      // JSON.stringify keeps insertion order except for integer-like keys, which it always puts first
      if (!JSON.stringify(value).match(/"\d+":/)) expect(text).toBe(JSON.stringify(sortedCopy(value)));
    }), { numRuns: 500 });
  });
});

describe('record ids and hashes', () => {
  it('recordId is a deterministic UUID v5 of (system, key), distinct for distinct inputs', () => {
    const id = recordIdFor('court-dishonest', '（2023）京0105执123号');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(recordIdFor('court-dishonest', '（2023）京0105执123号')).toBe(id);
    expect(recordIdFor('court-dishonest', '（2023）京0105执124号')).not.toBe(id);
    // the separator keeps ("ab","c") and ("a","bc") apart
    expect(recordIdFor('ab', 'c')).not.toBe(recordIdFor('a', 'bc'));
  });

  it('the content hash ignores field order and fetchedAt, and changes with any content change', () => {
    const input = sampleRecordInput('dishonest_debtor', 7);
    const reverseKeys = (v: unknown): unknown =>
      v && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverseKeys(x)]))
        : v;
    const reordered = reverseKeys(input) as typeof input;
    expect(Object.keys(reordered)[0]).toBe(Object.keys(input).at(-1));
    const a = contentHashOf(contentOf(input));
    expect(contentHashOf(contentOf(reordered))).toBe(a);
    expect(contentHashOf(contentOf({ ...input, source: { ...input.source, fetchedAt: '2026-11-23T00:00:00Z' } }))).toBe(a);
    expect(contentHashOf(contentOf({ ...input, data: { ...input.data, duty: '另一项义务' } }))).not.toBe(a);
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('derives polarity, default severity, subject kind and region from the catalogue and the USCC', () => {
    const c = contentOf(sampleRecordInput('dishonest_debtor', 8));
    expect(c.polarity).toBe('negative');
    expect(c.severity).toBe('severe');
    expect(c.subject.kind).toBe('enterprise');
    expect(c.subject.region).toMatch(/^\d{6}$/);
    expect(contentOf(sampleRecordInput('admin_license', 8)).severity).toBeUndefined();
  });

  it('a person without region or derivable id number is refused', () => {
    const input = sampleRecordInput('admin_penalty', 9);
    const person = { ...input, subject: { name: '张三', idNumber: '1101**********123X', kind: 'person' as const } };
    expect(() => contentOf(person)).toThrow(MissingRegionError);
  });

  it('the Kafka key of a natural person never contains the id number', () => {
    const id = syntheticPersonalId(42);
    const key = subjectKeyOf({ name: '张三', idNumber: id, kind: 'person', region: '320583' });
    expect(key).toMatch(/^P:[0-9a-f]{32}$/);
    expect(key).not.toContain(id.slice(6, 14));
  });
});

describe('maskEnvelope', () => {
  it('masks identity numbers in fields and inside free text, leaving everything else', () => {
    const id = syntheticPersonalId(1234);
    const masked = maskEnvelope({ subject: { idNumber: id, uscc: '91350100M000100Y43' }, data: { note: `当事人身份证号${id}，已送达`, n: 5 } });
    expect(masked.subject.idNumber).toBe(`${id.slice(0, 6)}********${id.slice(14)}`);
    expect(masked.subject.uscc).toBe('91350100M000100Y43');
    expect(masked.data.note).not.toContain(id);
    expect(masked.data.n).toBe(5);
  });

  it('masks a number written with full-width digits or a lower-case x, and leaves masked numbers and codes with letters', () => {
    const id = syntheticPersonalId(77);
    const fullWidth = [...id].map((c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).join('');
    let n = 0;
    while (!syntheticPersonalId(n).endsWith('X')) n++;
    const withX = syntheticPersonalId(n);
    const masked = maskEnvelope({ a: fullWidth, b: withX.toLowerCase(), c: '110101********123X', d: '91320583042000017C', e: `${id.slice(0, 17)}A` });
    expect(masked.a).toBe(`${id.slice(0, 6)}********${id.slice(14)}`);
    expect(masked.b).toBe(`${withX.slice(0, 6)}********${withX.slice(14)}`);
    expect(masked.c).toBe('110101********123X');
    expect(masked.d).toBe('91320583042000017C');
    expect(masked.e).toBe(`${id.slice(0, 17)}A`);
  });
});
