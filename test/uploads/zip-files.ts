/** Hand-made zip files for the hostile-upload tests: parts with any declared size, and workbooks taken apart and put back. */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { readZipDirectory } from '../../src/uploads/zip-directory.js';

export interface Part {
  name: string;
  data: Buffer;
  /** the uncompressed size written in the headers (a lie, if it differs) */
  declaredSize?: number;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function zip(parts: Part[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const part of parts) {
    const name = Buffer.from(part.name, 'utf8');
    const data = deflateRawSync(part.data);
    const size = part.declaredSize ?? part.data.length;
    const crc = crc32(part.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(0x0800, 6); local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14); local.writeUInt32LE(data.length, 18); local.writeUInt32LE(size, 22); local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6); central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10); central.writeUInt32LE(crc, 16); central.writeUInt32LE(data.length, 20); central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28); central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += 30 + name.length + data.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(parts.length, 8); end.writeUInt16LE(parts.length, 10);
  end.writeUInt32LE(dir.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

export function unzip(bytes: Buffer): Part[] {
  const entries = readZipDirectory(bytes, { maxUncompressedBytes: 2 ** 32, maxCompressionRatio: 10_000, maxZipEntries: 10_000 });
  return entries.map((e) => {
    const raw = bytes.subarray(e.dataOffset, e.dataOffset + e.compressedSize);
    return { name: e.name, data: e.method === 8 ? inflateRawSync(raw) : Buffer.from(raw) };
  });
}

/** A workbook's parts with one part changed. */
export function rezip(bytes: Buffer, change: (name: string, text: string) => string): Buffer {
  return zip(unzip(bytes).map((p) => ({ name: p.name, data: /\.(xml|rels)$/.test(p.name) ? Buffer.from(change(p.name, p.data.toString('utf8')), 'utf8') : p.data })));
}

const CONTENT_TYPES = '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>';
const WORKBOOK = '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="填报" sheetId="1" r:id="rId1"/></sheets></workbook>';
const RELS = '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>';

/** A minimal workbook of one sheet whose XML is given (inline strings need no shared strings part). */
export function workbookWithSheet(sheetXml: Buffer, declaredSize?: number): Buffer {
  return zip([
    { name: '[Content_Types].xml', data: Buffer.from(CONTENT_TYPES) },
    { name: 'xl/workbook.xml', data: Buffer.from(WORKBOOK) },
    { name: 'xl/_rels/workbook.xml.rels', data: Buffer.from(RELS) },
    { name: 'xl/worksheets/sheet1.xml', data: sheetXml, ...(declaredSize !== undefined ? { declaredSize } : {}) },
  ]);
}

const cell = (ref: string, text: string) => `<c r="${ref}" t="inlineStr"><is><t>${text}</t></is></c>`;

/** Sheet XML: the template's two heading rows (subject.name, source.key), then `rows` as given. */
export function sheetXml(opts: { dimension?: string; rows?: string; merges?: string } = {}): Buffer {
  return Buffer.from('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    + (opts.dimension ? `<dimension ref="${opts.dimension}"/>` : '')
    + `<sheetData><row r="1">${cell('A1', '主体名称或姓名')}${cell('B1', '来源键')}</row><row r="2">${cell('A2', 'subject.name')}${cell('B2', 'source.key')}</row>`
    + (opts.rows ?? '') + '</sheetData>' + (opts.merges ?? '') + '</worksheet>');
}
