/**
 * Reads one 不良行为记录 list page (HTML, often GBK) with a real HTML parser: the table
 * `table.bad-record` (or the first table with a 当事人 heading), its <th> headings, one object per
 * body row, and the 下一页 link.
 */
import * as cheerio from 'cheerio';

export interface ParsedListPage {
  rows: Array<Record<string, string>>;
  /** absolute URL of the next page, if the page links one */
  nextUrl: string | null;
}

export function parseListPage(html: string, pageUrl: string): ParsedListPage {
  const $ = cheerio.load(html);
  let table = $('table.bad-record').first();
  if (!table.length) table = $('table').filter((_, t) => $(t).find('th').text().includes('当事人')).first();
  if (!table.length) throw new Error(`${pageUrl}: no 不良行为记录 table on the page`);
  const headings = table.find('tr').first().find('th,td').map((_, c) => $(c).text().replace(/\s+/g, '')).get();
  const rows: Array<Record<string, string>> = [];
  table.find('tr').slice(1).each((_, tr) => {
    const cells = $(tr).find('td');
    if (!cells.length) return;
    const row: Record<string, string> = {};
    cells.each((i, td) => {
      const heading = headings[i] ?? `第${i + 1}列`;
      row[heading] = $(td).text().replace(/\s+/g, ' ').trim();
    });
    rows.push(row);
  });
  const next = $('a').filter((_, a) => $(a).text().trim() === '下一页').first().attr('href');
  return { rows, nextUrl: next ? new URL(next, pageUrl).toString() : null };
}
