/**
 * A batch's envelopes go to PostgreSQL as jsonb in binary form (src/store/jsonb-param.ts): the same
 * value arrives as the JSON text would have given, whatever its characters.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonbParam } from '../../src/store/jsonb-param.js';
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
];

describe('jsonbParam', () => {
  it('is jsonb binary format: version byte 1, then the JSON text as UTF-8', () => {
    const bytes = jsonbParam(envelopes);
    expect(bytes[0]).toBe(1);
    expect(bytes.subarray(1).toString('utf8')).toBe(JSON.stringify(envelopes));
  });

  it('arrives as the same value as the JSON text gives, element by element', async () => {
    const { rows } = await client.query<{ e: unknown; same: boolean }>(
      `SELECT b.e, b.e = t.e AS same
         FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS b(e, i)
         JOIN jsonb_array_elements($2::jsonb) WITH ORDINALITY AS t(e, i) USING (i)
        ORDER BY i`,
      [jsonbParam(envelopes), JSON.stringify(envelopes)],
    );
    expect(rows.map((r) => r.same)).toEqual([true, true]);
    expect(rows.map((r) => r.e)).toEqual(JSON.parse(JSON.stringify(envelopes)));
  });

  it('is refused by PostgreSQL as the text would be when the JSON is not acceptable to jsonb', async () => {
    // a lone surrogate escape: JSON.stringify writes it, jsonb refuses it (the gateway's text checks refuse it first)
    await expect(client.query('SELECT $1::jsonb', [jsonbParam({ name: '\ud800' })])).rejects.toThrow(/invalid input syntax for type json/);
    await expect(client.query('SELECT $1::jsonb', [JSON.stringify({ name: '\ud800' })])).rejects.toThrow(/invalid input syntax for type json/);
  });
});
