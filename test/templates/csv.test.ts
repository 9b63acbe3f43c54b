/** CSV templates: UTF-8 with a BOM, RFC 4180 quoting, CRLF, formula-like cells neutralised; csv-parse reads them back. */
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CATEGORY_IDS } from '../../src/domain/catalogue.js';
import { CSV_BOM, csvField, csvLine, neutralise, templateCsv, unneutralise } from '../../src/templates/csv.js';
import { categoryTemplate } from '../../src/templates/template.js';

describe('csvField', () => {
  it('quotes fields with a comma, quote or line break, doubling quotes (RFC 4180)', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
    expect(csvLine(['a', 'b,c', ''])).toBe('a,"b,c",');
  });

  it('neutralises cells that a spreadsheet would run as a formula', () => {
    for (const cell of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '=HYPERLINK("http://x","y")']) {
      expect(neutralise(cell)).toBe(`'${cell}`);
      expect(unneutralise(neutralise(cell))).toBe(cell);
    }
    expect(csvField('=HYPERLINK("a","b")')).toBe(`"'=HYPERLINK(""a"",""b"")"`);
    expect(neutralise('2024-03-15')).toBe('2024-03-15');
    expect(unneutralise("'quoted")).toBe("'quoted");
  });
});

describe.each(CATEGORY_IDS)('the %s CSV template', (category) => {
  const template = categoryTemplate(category);
  const text = templateCsv(template);

  it('starts with a BOM, ends lines with CRLF and holds headings, keys, rules and the examples', () => {
    expect(text.startsWith(CSV_BOM)).toBe(true);
    expect(Buffer.from(text, 'utf8').subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(text.endsWith('\r\n')).toBe(true);
    const rows = parse(text.slice(1), { relaxQuotes: false }) as string[][];
    expect(rows).toHaveLength(3 + template.examples.length);
    expect(rows[0]).toEqual(template.columns.map((c) => c.heading));
    expect(rows[1]).toEqual(template.columns.map((c) => c.key));
    expect(rows[2]).toEqual(template.columns.map((c) => c.rule));
    template.examples.forEach((row, i) => expect(rows[3 + i]).toEqual(template.columns.map((c) => row[c.key] ?? '')));
  });
});
