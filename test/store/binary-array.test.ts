/**
 * A batch's columns go to PostgreSQL as binary arrays (src/store/binary-array.ts): each element arrives
 * as the value it was, NULLs included, whatever its characters; elements of the wrong kind are refused
 * before anything is sent.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binaryArray } from '../../src/store/binary-array.js';
import { pgAdminUrl } from '../support/env.js';

let client: pg.Client;

beforeAll(async () => {
  client = new pg.Client({ connectionString: pgAdminUrl() });
  await client.connect();
});

afterAll(async () => {
  await client.end();
});

/** The elements as PostgreSQL reads them back, as text (NULL as null), in order. */
async function roundTrip(sqlType: string, bytes: Buffer): Promise<(string | null)[]> {
  const { rows } = await client.query<{ v: string | null }>(`SELECT e::text AS v FROM unnest($1::${sqlType}[]) WITH ORDINALITY AS u(e, n) ORDER BY n`, [bytes]);
  return rows.map((r) => r.v);
}

const envelopes = [
  { recordId: 'a', subject: { name: '样例企业（苏州）有限公司', uscc: '91320583042000017C' }, note: 'quote " backslash \\ tab \t newline \n' },
  { recordId: 'b', subject: { name: '某某 𠀀𝒳 emoji 😀' }, separators: '\u2028\u2029', control: '\u0001\u001f', empty: {}, list: [1, 2.5, -0, 1e21, null, true] },
  {},
];

describe('binaryArray', () => {
  it('is a one-dimensional array in binary format: header, then each element\'s length and bytes', () => {
    const bytes = binaryArray('json', envelopes);
    expect([bytes.readInt32BE(0), bytes.readInt32BE(4), bytes.readUInt32BE(8), bytes.readInt32BE(12), bytes.readInt32BE(16)]).toEqual([1, 0, 114, 3, 1]);
    const texts: string[] = [];
    for (let at = 20; at < bytes.length;) {
      const length = bytes.readInt32BE(at);
      texts.push(bytes.toString('utf8', at + 4, at + 4 + length));
      at += 4 + length;
    }
    expect(texts).toEqual(envelopes.map((e) => JSON.stringify(e)));
  });

  it('json: each element arrives as the text the gateway wrote, and as the same value', async () => {
    expect(await roundTrip('json', binaryArray('json', envelopes))).toEqual(envelopes.map((e) => JSON.stringify(e)));
    const { rows } = await client.query<{ e: unknown }>('SELECT e FROM unnest($1::json[]) WITH ORDINALITY AS u(e, n) ORDER BY n', [binaryArray('json', envelopes)]);
    expect(rows.map((r) => r.e)).toEqual(JSON.parse(JSON.stringify(envelopes)));
  });

  it('text: what a text array literal would have to escape arrives as it was, NULLs as NULL', async () => {
    const values = ['a,b', '{braces}', 'quote " and backslash \\', 'NULL', '', ' spaced ', '样例企业', '𠀀😀', null, undefined, 'x'];
    expect(await roundTrip('text', binaryArray('text', values))).toEqual(values.map((v) => v ?? null));
  });

  it('uuid, bool and int4', async () => {
    const ids = ['10b9357c-21e0-5c19-a2a8-e345b4621fba', '6F1C2B3A-9D8E-4F7A-8B6C-5D4E3F2A1B0C', null];
    expect(await roundTrip('uuid', binaryArray('uuid', ids))).toEqual([ids[0], ids[1]!.toLowerCase(), null]);
    expect(await roundTrip('bool', binaryArray('bool', [true, false, null]))).toEqual(['true', 'false', null]);
    expect(await roundTrip('int4', binaryArray('int4', [0, 1, -1, 2147483647, -2147483648, null]))).toEqual(['0', '1', '-1', '2147483647', '-2147483648', null]);
  });

  it('an empty array', async () => {
    const { rows } = await client.query<{ n: number }>('SELECT cardinality($1::text[]) AS n', [binaryArray('text', [])]);
    expect(rows[0]!.n).toBe(0);
  });

  it('refuses an element of the wrong kind before sending anything', () => {
    expect(() => binaryArray('text', ['a', 1])).toThrow(TypeError);
    expect(() => binaryArray('bool', ['true'])).toThrow(TypeError);
    expect(() => binaryArray('int4', [1.5])).toThrow(TypeError);
    expect(() => binaryArray('int4', [2147483648])).toThrow(TypeError);
    expect(() => binaryArray('uuid', ['10b9357c21e05c19a2a8e345b4621fba'])).toThrow(TypeError);
    expect(() => binaryArray('uuid', ['zzzzzzzz-21e0-5c19-a2a8-e345b4621fba'])).toThrow(TypeError);
  });

  it('is refused by PostgreSQL when an element is not JSON, and when the statement wants another element type', async () => {
    const notJson = binaryArray('json', ['x']);
    notJson.write('{', 24); // the element's text '"x"' becomes '{x"'
    await expect(client.query('SELECT $1::json[]', [notJson])).rejects.toThrow(/invalid input syntax for type json/);
    await expect(client.query('SELECT $1::jsonb[]', [binaryArray('json', [{}])])).rejects.toThrow(/element type 114 \(json\) instead of expected 3802 \(jsonb\)/);
    await expect(client.query('SELECT $1::uuid[]', [binaryArray('text', ['x'])])).rejects.toThrow(/element type 25 \(text\) instead of expected 2950 \(uuid\)/);
  });

  it('json keeps what jsonb refused (a lone surrogate or NUL escape): the text checks before a record is prepared refuse those (src/validation/text.ts)', async () => {
    expect(await roundTrip('json', binaryArray('json', [{ name: '\ud800' }, { name: 'a\u0000b' }]))).toEqual(['{"name":"\\ud800"}', '{"name":"a\\u0000b"}']);
  });
});
