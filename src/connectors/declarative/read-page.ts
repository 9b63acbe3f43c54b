/**
 * One answer of a source → its rows and what it says about the listing (the stated total, the next
 * token or link), as a source file's `response`, `rows` and `paging` sections say. Pure.
 *
 * JSON: JSONP wrappers and double encoding are taken off; rows are found by a dotted path (numbers
 * index arrays). HTML: the rows table is found by selector or as the innermost table whose heading row
 * holds all the given headings (never a layout table around it); a row becomes an object keyed by
 * heading (whitespace removed); a cell's value is its title attribute where it has one (long texts
 * are cut short on the page). A page whose shape does not match the file is an error: a run never
 * reads "no rows" from a page it did not understand.
 */
import * as cheerio from 'cheerio';
import { isTag, type AnyNode, type Element } from 'domhandler';
import { findOne, getElementsByTagName, textContent } from 'domutils';
import type { SourceRow } from './read-value.js';
import type { SourceSpec } from './spec.js';

/** The page does not have the shape its source file describes. */
export class PageShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PageShapeError';
  }
}

export interface PageReading {
  rows: SourceRow[];
  /** the listing's total as the page states it (rows or pages, as paging.total.of says) */
  total?: number;
  /** cursor paging: the next token; null/undefined at the end */
  nextToken?: string;
  /** link paging: the next page's URL, or the page number a javascript: link names; null when there is none */
  nextLink?: { url: string } | { page: number } | { unfollowable: string } | null;
}

/** Reads a dotted path (`data.0.result`; `.` is the value itself) in parsed JSON; undefined when any step is missing. */
export function jsonAt(value: unknown, path: string): unknown {
  if (path === '.') return value;
  let node = value;
  for (const step of path.split('.')) {
    if (Array.isArray(node) && /^\d+$/.test(step)) node = node[Number(step)];
    else if (typeof node === 'object' && node !== null && !Array.isArray(node)) node = (node as Record<string, unknown>)[step];
    else return undefined;
  }
  return node;
}

const JSONP = /^\s*(?:\/\*\*\/)?\s*[A-Za-z_$][\w$.]*\s*\(([\s\S]*)\)\s*;?\s*$/;

function parseJsonBody(text: string, spec: SourceSpec): unknown {
  let body = text.replace(/^\uFEFF/, '');
  if (spec.response.jsonp) body = JSONP.exec(body)?.[1] ?? body;
  let value: unknown;
  try {
    value = JSON.parse(body);
    if (spec.response.jsonString && typeof value === 'string') value = JSON.parse(value);
  } catch (err) {
    throw new PageShapeError(`the answer is not the JSON its source file describes: ${(err as Error).message}`);
  }
  return value;
}

function paths(p: string | readonly string[] | undefined): string[] {
  return p === undefined ? [] : typeof p === 'string' ? [p] : [...p];
}

function numberIn(text: string): number | undefined {
  const m = /\d[\d,，]*/.exec(text);
  return m ? Number(m[0].replace(/[,，]/g, '')) : undefined;
}

function readJson(spec: SourceSpec, text: string): PageReading {
  const body = parseJsonBody(text, spec);
  const { rows: rowsSpec, paging } = spec;
  const reading: PageReading = { rows: [] };
  if (paging.total?.path !== undefined) {
    const stated = jsonAt(body, paging.total.path);
    const n = typeof stated === 'number' ? stated : typeof stated === 'string' ? numberIn(stated) : undefined;
    if (n !== undefined) reading.total = n;
  }
  if (paging.cursorPath) {
    const token = jsonAt(body, paging.cursorPath);
    if (typeof token === 'string' && token !== '') reading.nextToken = token;
    if (typeof token === 'number') reading.nextToken = String(token);
  }
  if (rowsSpec.emptyWhen !== undefined) {
    const marker = jsonAt(body, rowsSpec.emptyWhen);
    if (Array.isArray(marker) && marker.length === 0) return reading;
  }
  const candidates = paths(rowsSpec.path);
  const found = candidates.map((p) => jsonAt(body, p)).find((v) => v !== undefined);
  if (!Array.isArray(found)) {
    throw new PageShapeError(`no rows array at ${candidates.map((p) => `"${p}"`).join(' or ')} in the answer`);
  }
  reading.rows = found.slice(rowsSpec.skip) as SourceRow[];
  return reading;
}

const squeeze = (s: string) => s.replace(/[\s\u00a0\u3000]+/g, '');

// The table walk below works on the parsed tree directly (domutils): cheerio selections for every
// cell of a 500-row page cost more than parsing the page.

const elementsNamed = (nodes: readonly AnyNode[], names: ReadonlySet<string>): Element[] =>
  nodes.filter((n): n is Element => isTag(n) && names.has(n.name));

const CELLS = new Set(['td', 'th']);
const ROW = new Set(['tr']);
const SECTIONS = new Set(['thead', 'tbody', 'tfoot']);

/** The cells of a table row that belong to it (not to a table nested in one of its cells). */
function cellsOf(tr: Element): Element[] {
  return elementsNamed(tr.children, CELLS);
}

/** The rows of a table that belong to it, in page order: through thead/tbody/tfoot, not into nested tables. */
function rowsOfTable(table: Element): Element[] {
  const rows: Element[] = [];
  for (const child of table.children) {
    if (!isTag(child)) continue;
    if (child.name === 'tr') rows.push(child);
    else if (SECTIONS.has(child.name)) rows.push(...elementsNamed(child.children, ROW));
  }
  return rows;
}

function tableDepth(table: Element): number {
  let depth = 0;
  for (let node = table.parent; node; node = node.parent) if (isTag(node) && node.name === 'table') depth++;
  return depth;
}

/**
 * The innermost table one of whose rows holds every heading; that row is its heading row. Tables are
 * tried innermost first, so the text of a layout table (the whole page) is never read.
 */
function tableByHeadings(tables: readonly Element[], headings: readonly string[]): { table: Element; headingRow: Element } | null {
  const wanted = headings.map(squeeze);
  const innermostFirst = tables.map((table) => ({ table, depth: tableDepth(table) })).sort((a, b) => b.depth - a.depth);
  for (const { table } of innermostFirst) {
    const headingRow = rowsOfTable(table).find((tr) => {
      const texts = cellsOf(tr).map((c) => squeeze(textContent(c)));
      return wanted.every((h) => texts.includes(h));
    });
    if (headingRow) return { table, headingRow };
  }
  return null;
}

function cellValue(cell: Element, titleFirst: boolean): string {
  const titled = titleFirst ? (cell.attribs.title ?? findOne((el) => el.attribs.title !== undefined, cell.children)?.attribs.title) : undefined;
  return (titled ?? textContent(cell)).replace(/[ \t\u00a0\u3000]+/g, ' ').replace(/\s*\n\s*/g, '\n').trim();
}

function readHtml(spec: SourceSpec, text: string, pageUrl: string): PageReading {
  const $ = cheerio.load(text);
  const { rows: rowsSpec, paging } = spec;
  let table: Element | undefined;
  let headingRow: Element | undefined;
  if (rowsSpec.table !== undefined) {
    table = $(rowsSpec.table).get(0) as Element | undefined;
    if (table) headingRow = rowsOfTable(table).find((tr) => cellsOf(tr).length > 0);
  } else if (rowsSpec.headings) {
    const found = tableByHeadings(getElementsByTagName('table', $.root().get(), true), rowsSpec.headings);
    table = found?.table;
    headingRow = found?.headingRow;
  }
  if (!table || !headingRow) {
    throw new PageShapeError(`no rows table on the page (${rowsSpec.table ?? `headings ${(rowsSpec.headings ?? []).join(', ')}`})`);
  }
  const headings = cellsOf(headingRow).map((c) => squeeze(textContent(c)));
  const all = rowsOfTable(table);
  const candidates = rowsSpec.row !== undefined ? $(table).find(rowsSpec.row).get() : all.slice(all.indexOf(headingRow) + 1);
  const rows: SourceRow[] = [];
  for (const tr of candidates) {
    const cells = cellsOf(tr);
    if (!cells.length || (cells.length === 1 && headings.length > 1)) continue; // a spacer or a "no records" line
    const row: SourceRow = {};
    for (let i = 0; i < cells.length; i++) row[headings[i] || `第${i + 1}列`] = cellValue(cells[i]!, rowsSpec.titleFirst);
    rows.push(row);
  }
  const reading: PageReading = { rows };
  if (paging.total) {
    const { selector, regex } = paging.total;
    const stated = selector !== undefined ? $(selector).first().text() : regex !== undefined ? new RegExp(regex).exec($.root().text())?.[1] : undefined;
    const n = stated === undefined ? undefined : numberIn(stated);
    if (n !== undefined) reading.total = n;
  }
  if (paging.kind === 'link' && paging.next) reading.nextLink = nextLinkOf($, paging.next, pageUrl);
  return reading;
}

/** The next page a link names: a URL, or the page number in a javascript: link (when the file says how to read it). */
function nextLinkOf($: cheerio.CheerioAPI, next: { selector: string; javascript?: string }, pageUrl: string): PageReading['nextLink'] {
  const link = $(next.selector).first();
  if (!link.length) return null;
  const href = (link.attr('href') ?? '').trim();
  const script = href.toLowerCase().startsWith('javascript:') || href === '' || href === '#' ? `${href} ${link.attr('onclick') ?? ''}` : null;
  if (script === null) return { url: new URL(href, pageUrl).toString() };
  const page = next.javascript !== undefined ? new RegExp(next.javascript).exec(script)?.[1] : undefined;
  if (page !== undefined && /^\d+$/.test(page)) return { page: Number(page) };
  return { unfollowable: script.trim().slice(0, 200) };
}

/** XML exchange messages: every `rows.element` is a row, its child elements the fields (tag → text). */
function readXml(spec: SourceSpec, text: string): PageReading {
  const $ = cheerio.load(text, { xml: true });
  const elements = $(spec.rows.element ?? '').get();
  if (!elements.length && !/<\w/.test(text)) throw new PageShapeError('the answer is not XML');
  const rows = elements.map((el) => Object.fromEntries($(el).children().get().map((child) => [child.tagName, $(child).text().trim()])));
  return { rows };
}

export function readPage(spec: SourceSpec, text: string, pageUrl: string): PageReading {
  switch (spec.response.format) {
    case 'json': return readJson(spec, text);
    case 'html': return readHtml(spec, text, pageUrl);
    case 'xml': return readXml(spec, text);
  }
}
