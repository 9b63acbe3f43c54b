/**
 * A batch's envelopes go to PostgreSQL as one json[] in binary form (src/store/json-array-param.ts):
 * each element arrives as the JSON text the gateway wrote, whatever its characters.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonArrayParam } from '../../src/store/json-array-param.js';
import { pgAdminUrl } from '../support/env.js';

let client: pg.Client;

beforeAll(async () => {
  client = new pg.Client({ connectionString: pgAdminUrl() });
  await client.connect();
});

afterAll(async () => {
  await client.end();
});

const envelopes = [
  { recordId: 'a', subject: { name: '样例企业（苏州）有限公司', uscc: '91320583042000017C' }, note: 'quote " backslash \\ tab \t newline \n' },
  { recordId: 'b', subject: { name: '某某 𠀀𝒳 emoji 😀' }, separators: '\u2028\u2029', control: '\u0001\u001f', empty: {}, list: [1, 2.5, -0, 1e21, null, true] },
  {},
];

describe('jsonArrayParam', () => {
  it('is a one-dimensional json[] in binary format: header, then each element\'s length and UTF-8 text', () => {
    const bytes = jsonArrayParam(envelopes);
    expect([bytes.readInt32BE(0), bytes.readInt32BE(4), bytes.readUInt32BE(8), bytes.readInt32BE(12), bytes.readInt32BE(16)]).toEqual([1, 0, 114, 3, 1]);
    const texts: string[] = [];
    for (let at = 20; at < bytes.length;) {
      const length = bytes.readInt32BE(at);
      texts.push(bytes.toString('utf8', at + 4, at + 4 + length));
      at += 4 + length;
    }
    expect(texts).toEqual(envelopes.map((e) => JSON.stringify(e)));
  });

  it('arrives element by element as the text the gateway wrote, and as the same value', async () => {
    const { rows } = await client.query<{ text: string; value: unknown; n: string }>(
      'SELECT e::text AS text, e AS value, n FROM unnest($1::json[]) WITH ORDINALITY AS u(e, n) ORDER BY n',
      [jsonArrayParam(envelopes)],
    );
    expect(rows.map((r) => r.text)).toEqual(envelopes.map((e) => JSON.stringify(e)));
    expect(rows.map((r) => r.value)).toEqual(JSON.parse(JSON.stringify(envelopes)));
  });

  it('is an empty array for no values', async () => {
    const { rows } = await client.query<{ n: number }>('SELECT cardinality($1::json[]) AS n', [jsonArrayParam([])]);
    expect(rows[0]!.n).toBe(0);
  });

  it('is refused by PostgreSQL when an element is not JSON, and when the statement wants another element type', async () => {
    const notJson = jsonArrayParam(['x']);
    notJson.write('{', 24); // the element's text '"x"' becomes '{x"'
    await expect(client.query('SELECT $1::json[]', [notJson])).rejects.toThrow(/invalid input syntax for type json/);
    await expect(client.query('SELECT $1::jsonb[]', [jsonArrayParam([{}])])).rejects.toThrow(/element type 114 \(json\) instead of expected 3802 \(jsonb\)/);
  });

  it('keeps what jsonb refused (a lone surrogate or NUL escape): the text checks before a record is prepared refuse those (src/validation/text.ts)', async () => {
    const { rows } = await client.query<{ text: string }>('SELECT e::text AS text FROM unnest($1::json[]) AS e', [jsonArrayParam([{ name: '\ud800' }, { name: 'a\u0000b' }])]);
    expect(rows.map((r) => r.text)).toEqual(['{"name":"\\ud800"}', '{"name":"a\\u0000b"}']);
  });
});
