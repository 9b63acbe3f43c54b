/**
 * Small readers of SpreadsheetML text (pure), for the pre-pass over a workbook: cell references, the
 * first rows of a sheet (for its headings), shared strings, merged ranges, the dimension. They read
 * only the markup a worksheet's XML has; values are never evaluated (a formula cell gives its cached
 * value, `<v>`).
 */

/** "AB12" → { col: 27 (0-based), row: 12 }. */
export function cellRef(ref: string): { col: number; row: number } | null {
  const m = /^([A-Z]{1,3})(\d{1,7})$/.exec(ref);
  if (!m) return null;
  let col = 0;
  for (const ch of m[1]!) col = col * 26 + (ch.charCodeAt(0) - 64);
  return { col: col - 1, row: Number(m[2]) };
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** XML text with its five predefined entities and character references resolved. */
export function xmlText(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-z]+);/g, (all, name: string) => {
    const code = name.startsWith('#x') ? parseInt(name.slice(2), 16) : name.startsWith('#') ? Number(name.slice(1)) : -1;
    if (code >= 0) return code <= 0x10ffff ? String.fromCodePoint(code) : all;
    return ENTITIES[name] ?? all;
  });
}

/** The text of an <si> or <is> element: its <t> runs joined, phonetic runs (<rPh>) left out. */
export function richText(xml: string): string {
  const plain = xml.replace(/<rPh\b[\s\S]*?<\/rPh>/g, '');
  let out = '';
  for (const m of plain.matchAll(/<t(?:\s[^>]*)?>([\s\S]*?)<\/t>|<t(?:\s[^>]*)?\/>/g)) out += xmlText(m[1] ?? '');
  return out;
}

function attr(attrs: string, name: string): string | undefined {
  return new RegExp(`(?:^|\\s)${name}="([^"]*)"`).exec(attrs)?.[1];
}

/** A header cell as found: its text, or the shared string it points at. */
export type RawCell = { text: string } | { shared: number };

/** The cells of the rows numbered up to `maxRow` in the captured start of a worksheet, by row number and column. */
export function firstRows(xml: string, maxRow: number): Map<number, Map<number, RawCell>> {
  const rows = new Map<number, Map<number, RawCell>>();
  let sequential = 0;
  for (const rm of xml.matchAll(/<row\b([^>]*?)(?:\/>|>([\s\S]*?)<\/row>)/g)) {
    const r = Number(attr(rm[1]!, 'r') ?? sequential + 1);
    sequential = r;
    if (r > maxRow) break;
    const cells = new Map<number, RawCell>();
    let col = -1;
    for (const cm of (rm[2] ?? '').matchAll(/<c\b([^>]*?)(?:\/>|>([\s\S]*?)<\/c>)/g)) {
      const ref = attr(cm[1]!, 'r');
      col = ref ? cellRef(ref)?.col ?? col + 1 : col + 1;
      const type = attr(cm[1]!, 't');
      const inner = cm[2] ?? '';
      const v = /<v>([\s\S]*?)<\/v>/.exec(inner)?.[1];
      if (type === 's' && v !== undefined) cells.set(col, { shared: Number(v) });
      else if (type === 'inlineStr') cells.set(col, { text: richText(/<is>([\s\S]*?)<\/is>/.exec(inner)?.[1] ?? '') });
      else if (v !== undefined) cells.set(col, { text: xmlText(v) });
    }
    rows.set(r, cells);
  }
  return rows;
}

export interface CellRange {
  fromCol: number;
  fromRow: number;
  toCol: number;
  toRow: number;
}

/** "A1:C2" (or "B3") → its range. */
export function rangeOf(ref: string): CellRange | null {
  const [a, b = a] = ref.split(':');
  const from = cellRef(a ?? '');
  const to = cellRef(b ?? '');
  return from && to ? { fromCol: from.col, fromRow: from.row, toCol: to.col, toRow: to.row } : null;
}

/** The workbook's sheets in order: name and part path (from workbook.xml and its relationships). */
export function workbookSheets(workbookXml: string, relsXml: string): Array<{ name: string; path: string }> {
  const targets = new Map<string, string>();
  for (const m of relsXml.matchAll(/<Relationship\b([^>]*?)\/?>/g)) {
    const id = attr(m[1]!, 'Id');
    const target = attr(m[1]!, 'Target');
    if (id && target) targets.set(id, target.startsWith('/') ? target.slice(1) : `xl/${target}`);
  }
  const sheets: Array<{ name: string; path: string }> = [];
  for (const m of workbookXml.matchAll(/<sheet\b([^>]*?)\/?>/g)) {
    const name = attr(m[1]!, 'name');
    const rid = attr(m[1]!, 'r:id') ?? /\s[A-Za-z0-9]+:id="([^"]*)"/.exec(m[1]!)?.[1];
    const path = rid ? targets.get(rid) : undefined;
    if (name !== undefined && path) sheets.push({ name: xmlText(name), path });
  }
  return sheets;
}
