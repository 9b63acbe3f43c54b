import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { CATEGORIES, CATEGORY_IDS, categoryInfo, type CategoryId, type Severity } from '../../src/domain/catalogue.js';
import { contentHashOf, contentOf, recordIdFor, type RecordInput } from '../../src/domain/record.js';
import { syntheticPersonalId } from '../../src/domain/personal-id.js';
import { syntheticUscc } from '../../src/domain/uscc.js';
import { addIdentifierFormats } from '../../src/validation/formats.js';
import { loadSchemaFiles, schemaIdFor } from '../../src/validation/schema-files.js';
import { RecordValidator } from '../../src/validation/validator.js';
import { sampleRecordInput, type DeepPartial } from '../../src/dev/sample-records.js';

type Finding = { instancePath: string; keyword: string; params: Record<string, unknown> };

let ajv: Ajv2020;
const files = loadSchemaFiles();

function validator(name: string): ValidateFunction {
  const v = ajv.getSchema(schemaIdFor(name));
  if (!v) throw new Error(`no schema ${name}`);
  return v;
}

function findings(errors: ErrorObject[] | null | undefined, prefix = ''): Finding[] {
  return (errors ?? []).map((e) => ({
    instancePath: prefix + e.instancePath,
    keyword: e.keyword,
    params: e.params as Record<string, unknown>,
  }));
}

/** Validates like the gateway: the envelope first, then `data` against its category schema. */
function check(item: unknown): Finding[] {
  const input = validator('record-input');
  if (!input(item)) return findings(input.errors);
  const { category, data } = item as RecordInput;
  const cat = validator(`categories/${category}`);
  return cat(data) ? [] : findings(cat.errors, '/data');
}

function sample(category: CategoryId, n: number, overrides?: DeepPartial<RecordInput>): RecordInput {
  return sampleRecordInput(category, n, overrides);
}

/** Stored envelope as the gateway builds it from a valid input. */
function envelopeOf(input: RecordInput): Record<string, unknown> {
  const content = contentOf(input);
  return {
    ...content,
    recordId: recordIdFor(input.source.system, input.source.key),
    source: { ...content.source, fetchedAt: '2024-06-01T08:00:00+08:00' },
    status: 'active',
    version: 1,
    contentHash: contentHashOf(content),
    createdAt: '2024-06-01T08:00:00.000Z',
    updatedAt: '2024-06-01T08:00:00.000Z',
    flags: { governmentSubject: false },
  };
}

beforeAll(() => {
  ajv = new Ajv2020({ allErrors: true, strict: true });
  addIdentifierFormats(ajv);
  for (const f of files) ajv.addSchema(f.schema);
});

describe('schema files', () => {
  it('loads record, record-input, common and one file per category, each with its $id', () => {
    const names = files.map((f) => f.name);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['common', 'record', 'record-input']));
    for (const f of files) {
      expect(f.id).toBe(schemaIdFor(f.name));
      expect((f.schema as { $id: string }).$id).toBe(f.id);
      expect((f.schema as { $schema: string }).$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    }
    expect(loadSchemaFiles()).toBe(files);
  });

  it('every schema compiles in strict mode in one Ajv instance (cross-file $ref resolves offline)', () => {
    for (const f of files) {
      expect(() => ajv.getSchema(f.id), f.name).not.toThrow();
      expect(ajv.getSchema(f.id), f.name).toBeTypeOf('function');
    }
  });

  it('every catalogue entry has a category schema file and vice versa', () => {
    const categoryFiles = files.filter((f) => f.name.startsWith('categories/')).map((f) => f.name).sort();
    expect(categoryFiles).toEqual(CATEGORIES.map((c) => c.schema).sort());
    for (const c of CATEGORIES) expect(c.schema).toBe(`categories/${c.id}`);
  });

  it('record-input category enum equals the catalogue ids', () => {
    const common = files.find((f) => f.name === 'common')!.schema as { $defs: { category: { enum: string[] } } };
    expect(common.$defs.category.enum).toEqual([...CATEGORY_IDS]);
  });

  // Hostile input: every string is bounded, every array too; every object closes its properties.
  it('bounds every string and array, closes every object, and titles every property in Chinese and English', () => {
    const problems: string[] = [];
    const titled = /[\u4e00-\u9fff].* \/ [A-Za-z]/;
    // `openAllowed`: inside $defs used as then-branches of a schema with unevaluatedProperties: false;
    // `condition`: inside an `if` (a test, not a constraint).
    const walk = (node: unknown, at: string, openAllowed: boolean, condition: boolean): void => {
      if (typeof node !== 'object' || node === null) return;
      if (Array.isArray(node)) {
        node.forEach((n, i) => walk(n, `${at}/${i}`, openAllowed, condition));
        return;
      }
      const s = node as Record<string, unknown>;
      if (typeof s.title === 'string' && !titled.test(s.title)) problems.push(`${at}: title not bilingual`);
      if (s.type === 'string' && !condition && s.maxLength === undefined && s.enum === undefined && s.const === undefined) {
        problems.push(`${at}: string without maxLength`);
      }
      if (s.type === 'array' && s.maxItems === undefined) problems.push(`${at}: array without maxItems`);
      // A union discriminated by if/then, whose then-branches are closed $defs, may stay open itself.
      const discriminated = Array.isArray(s.allOf) && s.allOf.every((b) => typeof (b as { then?: { $ref?: unknown } }).then?.$ref === 'string');
      if (s.type === 'object' && s.properties && s.$ref === undefined && !openAllowed && !discriminated) {
        if (s.additionalProperties !== false && s.unevaluatedProperties !== false) {
          problems.push(`${at}: object without additionalProperties: false`);
        }
      }
      if (s.type === 'object' && !s.properties && s.additionalProperties === undefined && s.maxProperties === undefined) {
        problems.push(`${at}: open object without maxProperties`);
      }
      if (s.properties && typeof s.properties === 'object') {
        for (const [key, prop] of Object.entries(s.properties as Record<string, unknown>)) {
          if (typeof prop !== 'object' || prop === null) continue;
          const p = prop as Record<string, unknown>;
          const pureRef = p.$ref !== undefined && Object.keys(p).length === 1;
          const inConditional = /\/(if|then|else|dependentSchemas)(\/|$)/.test(at);
          if (!pureRef && !inConditional && typeof p.title !== 'string') problems.push(`${at}/properties/${key}: no title`);
        }
      }
      for (const [key, child] of Object.entries(s)) {
        if (key === 'enum' || key === 'const' || key === 'examples') continue;
        // Branches referenced from then-clauses of a schema with unevaluatedProperties: false stay open.
        const open = openAllowed || (key === '$defs' && s.unevaluatedProperties === false);
        walk(child, `${at}/${key}`, open, condition || key === 'if');
      }
    };
    for (const f of files) walk(f.schema, f.name + '#', false, false);
    expect(problems).toEqual([]);
  });
});

describe('catalogue', () => {
  it('has six categories with consistent polarity and severities', () => {
    expect(CATEGORY_IDS).toEqual([
      'dishonest_debtor', 'court_judgment', 'admin_penalty', 'admin_license', 'procurement_breach', 'bidding_misconduct',
    ]);
    for (const c of CATEGORIES) {
      expect(categoryInfo(c.id)).toBe(c);
      expect(c.nameZh).toMatch(/[\u4e00-\u9fff]/);
      expect(c.nameEn).toMatch(/^[A-Z]/);
      expect(c.basis.length).toBeGreaterThan(0);
      expect(c.publicationZh.length).toBeGreaterThan(0);
      if (c.polarity === 'negative') {
        expect(c.severities.length).toBeGreaterThan(0);
        expect(c.severities).toContain(c.defaultSeverity);
      } else {
        expect(c.severities).toEqual([]);
        expect(c.defaultSeverity).toBeUndefined();
      }
    }
    expect(categoryInfo('dishonest_debtor')!.basis.join()).toContain('法释〔2017〕7号');
    expect(categoryInfo('nope')).toBeUndefined();
  });

  it('record-input admits exactly the severities the catalogue lists', () => {
    for (const c of CATEGORIES) {
      for (const severity of ['minor', 'general', 'severe'] as Severity[]) {
        const errors = check(sample(c.id, 3, { severity }));
        expect(errors.length === 0, `${c.id} ${severity}`).toBe(c.severities.includes(severity));
      }
    }
  });
});

describe('valid samples', () => {
  const ns = [0, 1, 2, 3, 4, 5, 17, 365, 499, 500, 12_345, 99_999_999];
  for (const category of CATEGORY_IDS) {
    it(`${category}: every sample validates against record-input and its category schema`, () => {
      for (const n of ns) expect(check(sample(category, n)), `n=${n}`).toEqual([]);
    });

    it(`${category}: samples are deterministic and keyed as documented`, () => {
      const a = sample(category, 42);
      expect(sample(category, 42)).toEqual(a);
      expect(sample(category, 43)).not.toEqual(a);
      expect(a.subject.uscc).toBe(syntheticUscc(42));
      expect(a.source).toEqual({ system: `sample-${category}`, key: 'K42' });
    });

    it(`${category}: the stored envelope built from a sample validates against record`, () => {
      const env = validator('record');
      for (const n of [0, 1, 2, 7]) {
        const e = envelopeOf(sample(category, n));
        expect(env(e) ? [] : findings(env.errors), `n=${n}`).toEqual([]);
      }
    });
  }

  it('overrides deep-merge, replace arrays and delete keys given as undefined', () => {
    const s = sample('court_judgment', 1, {
      subject: { name: '改名' },
      severity: undefined,
      source: { url: 'https://wenshu.court.gov.cn/x' },
      data: { causes: ['行政许可', '行政处罚'], procedure: undefined },
    });
    expect(s.subject.name).toBe('改名');
    expect(s.subject.uscc).toBe(syntheticUscc(1));
    expect(s.source.url).toBe('https://wenshu.court.gov.cn/x');
    expect(s.data.causes).toEqual(['行政许可', '行政处罚']);
    expect('procedure' in s.data).toBe(false);
    expect(check(s)).toEqual([]);
  });

  it('procurement samples rotate through the three list types', () => {
    expect([0, 1, 2].map((n) => sample('procurement_breach', n).data.listType)).toEqual([
      'serious_dishonesty', 'contract_default', 'payment_default',
    ]);
  });

  it('natural persons: idNumber instead of uscc, kind person', () => {
    const id = syntheticPersonalId(5);
    const item = sample('dishonest_debtor', 5, {
      subject: { uscc: undefined, idNumber: id, name: '张某', kind: 'person', region: '320583' },
      data: { partyType: '自然人', orgCode: undefined, legalRepresentative: undefined, idNumberMasked: `${id.slice(0, 10)}****${id.slice(14)}` },
    });
    expect(check(item)).toEqual([]);
    expect(check(sample('dishonest_debtor', 5, { subject: { uscc: undefined, idNumber: id, kind: undefined } }))).toEqual([]);
  });

  it('double-publicised penalties of natural persons and fines-only penalties', () => {
    const id = syntheticPersonalId(9);
    const person = sample('admin_penalty', 9, {
      subject: { uscc: undefined, idNumber: id, name: '王某', kind: 'person' },
      data: {
        CF_XDR_MC: '王某', CF_XDR_LB: '自然人', CF_XDR_SHXYM: undefined, CF_FRDB: undefined,
        CF_XDR_ZJLX: '身份证', CF_XDR_ZJHM: id, CF_CFLB: '警告', CF_NR: '警告', CF_NR_FK: undefined, CF_NR_WFFF: undefined,
      },
    });
    expect(check(person)).toEqual([]);
    const business = sample('admin_license', 9, { data: { XK_XDR_LB: '个体工商户', XK_FRDB: undefined } });
    expect(check(business)).toEqual([]);
  });
});

describe('invalid items fail at the right place with the right rule', () => {
  const uscc3 = syntheticUscc(3);
  const badCheckDigit = uscc3.slice(0, 17) + (uscc3.endsWith('0') ? '1' : '0');
  // `only`: the expected findings are all the findings (no noise).
  const cases: Array<{ name: string; item: () => unknown; expect: Array<Partial<Finding>>; only?: boolean }> = [
    { name: 'wrong category', item: () => sample('admin_penalty', 3, { category: 'tax_arrears' as CategoryId }), expect: [{ instancePath: '/category', keyword: 'enum' }], only: true },
    { name: 'missing category', item: () => sample('admin_penalty', 3, { category: undefined }), expect: [{ instancePath: '', keyword: 'required', params: { missingProperty: 'category' } }] },
    { name: 'no subject identifier and no kind', item: () => sample('admin_penalty', 3, { subject: { uscc: undefined, kind: undefined } }), expect: [{ instancePath: '/subject', keyword: 'anyOf' }] },
    { name: 'a natural person without an identity number', item: () => sample('dishonest_debtor', 3, { subject: { uscc: undefined, kind: 'person' } }), expect: [{ instancePath: '/subject', keyword: 'anyOf' }] },
    { name: 'an organisation code on a natural person', item: () => sample('dishonest_debtor', 3, { subject: { uscc: undefined, kind: 'person', orgCode: '552698531' } }), expect: [{ instancePath: '/subject/kind', keyword: 'not' }] },
    { name: 'an organisation code with a wrong check character', item: () => sample('dishonest_debtor', 3, { subject: { uscc: undefined, kind: 'other', orgCode: '552698532' } }), expect: [{ instancePath: '/subject/orgCode', keyword: 'format' }] },
    { name: 'bad USCC check digit', item: () => sample('admin_penalty', 3, { subject: { uscc: badCheckDigit } }), expect: [{ instancePath: '/subject/uscc', keyword: 'format' }], only: true },
    { name: 'USCC not normalised', item: () => sample('admin_penalty', 3, { subject: { uscc: uscc3.toLowerCase() } }), expect: [{ instancePath: '/subject/uscc', keyword: 'format' }] },
    { name: 'USCC too long', item: () => sample('admin_penalty', 3, { subject: { uscc: `${uscc3}0` } }), expect: [{ instancePath: '/subject/uscc', keyword: 'maxLength' }] },
    { name: 'bad identity number', item: () => sample('dishonest_debtor', 3, { subject: { uscc: undefined, idNumber: '320583196001010001', kind: 'person' } }), expect: [{ instancePath: '/subject/idNumber', keyword: 'format' }] },
    { name: 'identity number on an enterprise', item: () => sample('dishonest_debtor', 3, { subject: { idNumber: syntheticPersonalId(3) } }), expect: [{ instancePath: '/subject/kind', keyword: 'const' }] },
    { name: 'unknown subject kind', item: () => sample('admin_penalty', 3, { subject: { kind: 'company' as 'enterprise' } }), expect: [{ instancePath: '/subject/kind', keyword: 'enum' }] },
    { name: 'region not GB/T 2260', item: () => sample('admin_penalty', 3, { subject: { region: '32058' } }), expect: [{ instancePath: '/subject/region', keyword: 'format' }] },
    { name: 'impossible date', item: () => sample('admin_penalty', 3, { decidedAt: '2023-02-29' }), expect: [{ instancePath: '/decidedAt', keyword: 'format' }] },
    { name: 'date-time where a date is due', item: () => sample('admin_penalty', 3, { publishUntil: '2024-01-01T00:00:00Z' }), expect: [{ instancePath: '/publishUntil', keyword: 'format' }, { instancePath: '/publishUntil', keyword: 'maxLength' }] },
    { name: 'fetchedAt without offset', item: () => sample('admin_penalty', 3, { source: { fetchedAt: '2024-01-01T08:00:00' } }), expect: [{ instancePath: '/source/fetchedAt', keyword: 'format' }] },
    { name: 'source url not a URI', item: () => sample('admin_penalty', 3, { source: { url: 'not a url' } }), expect: [{ instancePath: '/source/url', keyword: 'format' }] },
    { name: 'source system upper case', item: () => sample('admin_penalty', 3, { source: { system: 'Sample' } }), expect: [{ instancePath: '/source/system', keyword: 'pattern' }] },
    { name: 'unknown top-level property', item: () => ({ ...sample('admin_penalty', 3), recordId: 'x' }), expect: [{ instancePath: '', keyword: 'additionalProperties', params: { additionalProperty: 'recordId' } }] },
    { name: 'unknown subject property', item: () => ({ ...sample('admin_penalty', 3), subject: { ...sample('admin_penalty', 3).subject, phone: '1' } }), expect: [{ instancePath: '/subject', keyword: 'additionalProperties' }] },
    { name: 'over-long name', item: () => sample('admin_penalty', 3, { subject: { name: '名'.repeat(201) } }), expect: [{ instancePath: '/subject/name', keyword: 'maxLength' }] },
    { name: 'empty name', item: () => sample('admin_penalty', 3, { subject: { name: '' } }), expect: [{ instancePath: '/subject/name', keyword: 'minLength' }] },
    { name: 'over-long source key', item: () => sample('admin_penalty', 3, { source: { key: 'k'.repeat(257) } }), expect: [{ instancePath: '/source/key', keyword: 'maxLength' }] },
    { name: 'severity on a neutral category', item: () => sample('admin_license', 3, { severity: 'minor' }), expect: [{ instancePath: '/severity', keyword: 'false schema' }] },
    { name: 'severity not admitted by the category', item: () => sample('dishonest_debtor', 3, { severity: 'minor' }), expect: [{ instancePath: '/severity', keyword: 'enum' }] },
    { name: 'data not an object', item: () => ({ ...sample('admin_penalty', 3), data: [] }), expect: [{ instancePath: '/data', keyword: 'type' }] },
    { name: 'data with too many properties', item: () => ({ ...sample('admin_penalty', 3), data: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, i])) }), expect: [{ instancePath: '/data', keyword: 'maxProperties' }] },
    // category data
    { name: 'unknown data property', item: () => sample('bidding_misconduct', 3, { data: { score: 1 } }), expect: [{ instancePath: '/data', keyword: 'additionalProperties', params: { additionalProperty: 'score' } }], only: true },
    { name: 'data of another category', item: () => ({ ...sample('admin_penalty', 3), data: sample('admin_license', 3).data }), expect: [{ instancePath: '/data', keyword: 'additionalProperties' }, { instancePath: '/data', keyword: 'required', params: { missingProperty: 'CF_WSH' } }] },
    { name: 'debtor performance unknown', item: () => sample('dishonest_debtor', 3, { data: { performance: '已履行' } }), expect: [{ instancePath: '/data/performance', keyword: 'enum' }] },
    { name: 'debtor case number malformed', item: () => sample('dishonest_debtor', 3, { data: { caseNumber: '2019京0105执1234' } }), expect: [{ instancePath: '/data/caseNumber', keyword: 'pattern' }] },
    { name: 'debtor id number not masked', item: () => sample('dishonest_debtor', 3, { data: { partyType: '自然人', orgCode: undefined, legalRepresentative: undefined, idNumberMasked: syntheticPersonalId(3) } }), expect: [{ instancePath: '/data/idNumberMasked', keyword: 'pattern' }] },
    { name: 'debtor person with an organisation code', item: () => sample('dishonest_debtor', 3, { data: { partyType: '自然人' } }), expect: [{ instancePath: '/data/orgCode', keyword: 'false schema' }, { instancePath: '/data/legalRepresentative', keyword: 'false schema' }] },
    { name: 'debtor filing date malformed', item: () => sample('dishonest_debtor', 3, { data: { filingDate: '20190709' } }), expect: [{ instancePath: '/data/filingDate', keyword: 'format' }] },
    { name: 'debtor duty over-long', item: () => sample('dishonest_debtor', 3, { data: { duty: '义'.repeat(10_001) } }), expect: [{ instancePath: '/data/duty', keyword: 'maxLength' }] },
    { name: 'judgment without parties', item: () => sample('court_judgment', 3, { data: { parties: [] } }), expect: [{ instancePath: '/data/parties', keyword: 'minItems' }] },
    { name: 'judgment party with unknown property', item: () => sample('court_judgment', 3, { data: { parties: [{ name: 'A', role: '原告', phone: '1' }] } }), expect: [{ instancePath: '/data/parties/0', keyword: 'additionalProperties' }] },
    { name: 'judgment party with bad USCC', item: () => sample('court_judgment', 3, { data: { parties: [{ name: 'A', role: '被告', uscc: badCheckDigit }] } }), expect: [{ instancePath: '/data/parties/0/uscc', keyword: 'format' }], only: true },
    { name: 'judgment document type unknown', item: () => sample('court_judgment', 3, { data: { documentType: '判决' } }), expect: [{ instancePath: '/data/documentType', keyword: 'enum' }] },
    { name: 'judgment with too many causes', item: () => sample('court_judgment', 3, { data: { causes: Array.from({ length: 21 }, (_, i) => `案由${i}`) } }), expect: [{ instancePath: '/data/causes', keyword: 'maxItems' }] },
    { name: 'judgment governmentParty not boolean', item: () => sample('court_judgment', 3, { data: { governmentParty: 'yes' as unknown as boolean } }), expect: [{ instancePath: '/data/governmentParty', keyword: 'type' }] },
    { name: 'penalty missing mandatory fields', item: () => sample('admin_penalty', 3, { data: { CF_WSH: undefined, CF_CFJG: undefined } }), expect: [{ instancePath: '/data', keyword: 'required', params: { missingProperty: 'CF_WSH' } }, { instancePath: '/data', keyword: 'required', params: { missingProperty: 'CF_CFJG' } }] },
    { name: 'penalty fine without amount', item: () => sample('admin_penalty', 3, { data: { CF_NR_FK: undefined } }), expect: [{ instancePath: '/data', keyword: 'required', params: { missingProperty: 'CF_NR_FK' } }, { instancePath: '/data', keyword: 'if' }], only: true },
    { name: 'penalty negative fine', item: () => sample('admin_penalty', 3, { data: { CF_NR_FK: -1 } }), expect: [{ instancePath: '/data/CF_NR_FK', keyword: 'minimum' }] },
    { name: 'penalty fine as text', item: () => sample('admin_penalty', 3, { data: { CF_NR_FK: '5' } }), expect: [{ instancePath: '/data/CF_NR_FK', keyword: 'type' }] },
    { name: 'penalty authority USCC invalid', item: () => sample('admin_penalty', 3, { data: { CF_CFJGDM: badCheckDigit } }), expect: [{ instancePath: '/data/CF_CFJGDM', keyword: 'format' }] },
    { name: 'penalty organisation without USCC', item: () => sample('admin_penalty', 3, { data: { CF_XDR_SHXYM: undefined } }), expect: [{ instancePath: '/data', keyword: 'required', params: { missingProperty: 'CF_XDR_SHXYM' } }] },
    { name: 'penalty natural person without identity document', item: () => sample('admin_penalty', 3, { data: { CF_XDR_LB: '自然人', CF_FRDB: undefined, CF_XDR_SHXYM: undefined } }), expect: [{ instancePath: '/data', keyword: 'required', params: { missingProperty: 'CF_XDR_ZJHM' } }] },
    { name: 'penalty natural person with a USCC', item: () => sample('admin_penalty', 3, { data: { CF_XDR_LB: '自然人', CF_FRDB: undefined, CF_XDR_ZJLX: '护照号', CF_XDR_ZJHM: 'E12345678' } }), expect: [{ instancePath: '/data/CF_XDR_SHXYM', keyword: 'false schema' }, { instancePath: '/data', keyword: 'if' }], only: true },
    { name: 'penalty identity card number invalid', item: () => sample('admin_penalty', 3, { data: { CF_XDR_LB: '自然人', CF_FRDB: undefined, CF_XDR_SHXYM: undefined, CF_XDR_ZJLX: '身份证', CF_XDR_ZJHM: '320583196001010001' } }), expect: [{ instancePath: '/data/CF_XDR_ZJHM', keyword: 'format' }, { instancePath: '/data/CF_XDR_ZJHM', keyword: 'anyOf' }, { instancePath: '/data', keyword: 'if' }] },
    { name: 'licence state unknown', item: () => sample('admin_license', 3, { data: { XK_ZT: '有效' } }), expect: [{ instancePath: '/data/XK_ZT', keyword: 'enum' }] },
    { name: 'licence with a penalty code', item: () => sample('admin_license', 3, { data: { CF_WSH: 'x' } }), expect: [{ instancePath: '/data', keyword: 'additionalProperties', params: { additionalProperty: 'CF_WSH' } }], only: true },
    { name: 'procurement list type unknown', item: () => sample('procurement_breach', 0, { data: { listType: 'blacklist' } }), expect: [{ instancePath: '/data/listType', keyword: 'enum' }], only: true },
    { name: 'procurement list type missing', item: () => sample('procurement_breach', 0, { data: { listType: undefined } }), expect: [{ instancePath: '/data', keyword: 'required', params: { missingProperty: 'listType' } }], only: true },
    { name: 'procurement field of the wrong list', item: () => sample('procurement_breach', 0, { data: { purchaser: '某局' } }), expect: [{ instancePath: '/data', keyword: 'additionalProperties', params: { additionalProperty: 'purchaser' } }, { instancePath: '/data', keyword: 'if' }], only: true },
    { name: 'procurement wrong list type for the fields', item: () => sample('procurement_breach', 0, { data: { listType: 'payment_default' } }), expect: [{ instancePath: '/data', keyword: 'required', params: { missingProperty: 'purchaser' } }, { instancePath: '/data', keyword: 'additionalProperties', params: { additionalProperty: 'enterpriseName' } }] },
    { name: 'procurement payment default without amount', item: () => sample('procurement_breach', 2, { data: { amountOverdue: undefined } }), expect: [{ instancePath: '/data', keyword: 'required', params: { missingProperty: 'amountOverdue' } }, { instancePath: '/data', keyword: 'if' }], only: true },
    { name: 'procurement resolved without date', item: () => sample('procurement_breach', 1, { data: { resolved: true } }), expect: [{ instancePath: '/data', keyword: 'required', params: { missingProperty: 'resolvedAt' } }] },
    { name: 'procurement unresolved with a date', item: () => sample('procurement_breach', 1, { data: { resolvedAt: '2024-01-01' } }), expect: [{ instancePath: '/data/resolvedAt', keyword: 'false schema' }] },
    { name: 'procurement negative overdue days', item: () => sample('procurement_breach', 2, { data: { overdueDays: -1 } }), expect: [{ instancePath: '/data/overdueDays', keyword: 'minimum' }, { instancePath: '/data', keyword: 'if' }], only: true },
    { name: 'bidding party role unknown', item: () => sample('bidding_misconduct', 3, { data: { partyRole: '中标人' } }), expect: [{ instancePath: '/data/partyRole', keyword: 'enum' }] },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const errors = check(c.item());
      expect(errors.length).toBeGreaterThan(0);
      for (const e of c.expect) expect(errors).toContainEqual(expect.objectContaining(e));
      if (c.only) expect(errors).toHaveLength(c.expect.length);
    });
  }
});

describe('record (stored envelope)', () => {
  const base = (): Record<string, unknown> => envelopeOf(sampleRecordInput('admin_penalty', 11));
  const run = (e: unknown): Finding[] => {
    const v = validator('record');
    return v(e) ? [] : findings(v.errors);
  };

  it('accepts a neutral record without severity and with publishUntil null', () => {
    const e = envelopeOf(sampleRecordInput('admin_license', 11));
    expect(e.polarity).toBe('neutral');
    expect(e.publishUntil).toBeNull();
    expect(run(e)).toEqual([]);
  });

  const cases: Array<{ name: string; patch: (e: Record<string, unknown>) => void; expect: Partial<Finding> }> = [
    { name: 'negative without severity', patch: (e) => delete e.severity, expect: { instancePath: '', keyword: 'required', params: { missingProperty: 'severity' } } },
    { name: 'neutral with severity', patch: (e) => (e.polarity = 'neutral'), expect: { instancePath: '/severity', keyword: 'false schema' } },
    { name: 'subject without region', patch: (e) => delete (e.subject as Record<string, unknown>).region, expect: { instancePath: '/subject', keyword: 'required', params: { missingProperty: 'region' } } },
    { name: 'subject without kind', patch: (e) => delete (e.subject as Record<string, unknown>).kind, expect: { instancePath: '/subject', keyword: 'required', params: { missingProperty: 'kind' } } },
    { name: 'recordId not a UUID', patch: (e) => (e.recordId = 'abc'), expect: { instancePath: '/recordId', keyword: 'format' } },
    { name: 'status unknown', patch: (e) => (e.status = 'deleted'), expect: { instancePath: '/status', keyword: 'enum' } },
    { name: 'version 0', patch: (e) => (e.version = 0), expect: { instancePath: '/version', keyword: 'minimum' } },
    { name: 'version not integer', patch: (e) => (e.version = 1.5), expect: { instancePath: '/version', keyword: 'type' } },
    { name: 'content hash malformed', patch: (e) => (e.contentHash = 'sha1:abc'), expect: { instancePath: '/contentHash', keyword: 'pattern' } },
    { name: 'publishUntil malformed', patch: (e) => (e.publishUntil = '2024/01/01'), expect: { instancePath: '/publishUntil', keyword: 'anyOf' } },
    { name: 'publishUntil missing', patch: (e) => delete e.publishUntil, expect: { instancePath: '', keyword: 'required', params: { missingProperty: 'publishUntil' } } },
    { name: 'unknown flag', patch: (e) => (e.flags = { governmentSubject: true, vip: true }), expect: { instancePath: '/flags', keyword: 'additionalProperties' } },
    { name: 'updatedAt not a date-time', patch: (e) => (e.updatedAt = '2024-06-01'), expect: { instancePath: '/updatedAt', keyword: 'format' } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const e = base();
      expect(run(e)).toEqual([]);
      c.patch(e);
      expect(run(e)).toContainEqual(expect.objectContaining(c.expect));
    });
  }
});

describe('USCCs in data fields', () => {
  const validator = new RecordValidator();
  const penalty = (code: string) => {
    const item = sampleRecordInput('admin_penalty', 5);
    (item.data as Record<string, unknown>).CF_CFJGDM = code;
    return validator.validateRecordInput(item);
  };

  it('are normalised like the subject\'s: a full-width, lower-case or padded code is the same code', () => {
    for (const code of ['91230500ma1b3n1n2m', '９１２３０５００ＭＡ１Ｂ３Ｎ１Ｎ２Ｍ', ' 91230500MA1B3N1N2M ']) {
      const result = penalty(code);
      expect(result.ok && result.value.data.CF_CFJGDM).toBe('91230500MA1B3N1N2M');
    }
  });

  it('a wrong one is refused with its rule, never with an empty error list', () => {
    const result = penalty('91230500MA1B3N1N2X');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors).toEqual([expect.objectContaining({ pointer: '/data/CF_CFJGDM', rule: 'uscc.check_digit' })]);
  });
});

describe('resident identity numbers: full or masked', () => {
  const validator = new RecordValidator();
  const person = (idNumber: string) => validator.validateRecordInput(sampleRecordInput('admin_penalty', 6, {
    data: { CF_XDR_LB: '自然人', CF_FRDB: undefined, CF_XDR_SHXYM: undefined, CF_XDR_ZJLX: '身份证', CF_XDR_ZJHM: idNumber },
  } as DeepPartial<RecordInput>));

  it('takes a full number or a masked one as its source published it', () => {
    for (const id of [syntheticPersonalId(6), '320583********0016', '41072619780****1211']) expect(person(id).ok, id).toBe(true);
  });

  it('says once, by the number\'s own rule, what is wrong with one that is neither (not each branch of the anyOf)', () => {
    const wrongCheck = person('320583196001010001');
    expect(wrongCheck.ok).toBe(false);
    if (!wrongCheck.ok) expect(wrongCheck.errors).toEqual([expect.objectContaining({ pointer: '/data/CF_XDR_ZJHM', rule: 'personal_id.check_digit' })]);
    const twoMasks = person('3205**1960****0016');
    if (!twoMasks.ok) expect(twoMasks.errors).toEqual([expect.objectContaining({ pointer: '/data/CF_XDR_ZJHM', rule: 'personal_id.mask' })]);
    expect(twoMasks.ok).toBe(false);
  });
});
