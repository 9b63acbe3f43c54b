/**
 * A small zip reader and writer for hostile-file tests: every header field can be set by hand
 * (declared sizes, CRC, flags, method, names in the local and central headers, zip64 extras), so
 * archives that no honest writer would produce can be built byte by byte.
 */
import { crc32 as zcrc32, createDeflateRaw, deflateRawSync, inflateRawSync } from 'node:zlib';

export function crc32(data: Buffer, prev = 0): number {
  return zcrc32(data, prev) >>> 0;
}

export interface ZipEntry {
  name: string;
  /** the uncompressed bytes (used for the CRC and size unless given, and compressed unless `compressed` is given) */
  data?: Buffer;
  /** 0 stored, 8 deflated, anything else is written as is (unknown method) */
  method?: number;
  /** the compressed bytes to write instead of compressing `data` */
  compressed?: Buffer;
  /** declared CRC-32 (default: of `data`) */
  crc?: number;
  /** declared uncompressed size (default: data.length) */
  size?: number;
  /** general purpose flags (bit 0: encrypted) */
  flags?: number;
  /** the name written in the local header, when it should differ from the central directory's */
  localName?: string;
  /** write the sizes as 0xFFFFFFFF with a zip64 extended-information extra field */
  zip64?: boolean;
}

export interface ReadEntry {
  name: string;
  method: number;
  flags: number;
  data: Buffer;
}

/** Reads a (well-formed) zip through its central directory, inflating stored and deflated entries. */
export function readZip(buf: Buffer): ReadEntry[] {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65_535); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('no end of central directory');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out: ReadEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('bad central header');
    const flags = buf.readUInt16LE(p + 8);
    const method = buf.readUInt16LE(p + 10);
    const csize = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const localOff = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    const lNameLen = buf.readUInt16LE(localOff + 26);
    const lExtraLen = buf.readUInt16LE(localOff + 28);
    const start = localOff + 30 + lNameLen + lExtraLen;
    const raw = buf.subarray(start, start + csize);
    const data = method === 0 ? Buffer.from(raw) : inflateRawSync(raw);
    out.push({ name, method, flags, data });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** Writes a zip from entries, honouring every override. */
export function writeZip(entries: ZipEntry[], opts: { truncateCentral?: boolean } = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const data = e.data ?? Buffer.alloc(0);
    const method = e.method ?? 8;
    const body = e.compressed ?? (method === 8 ? deflateRawSync(data) : data);
    const crc = e.crc ?? crc32(data);
    const size = e.size ?? data.length;
    const flags = (e.flags ?? 0) | 0x0800; // UTF-8 names
    const name = Buffer.from(e.name, 'utf8');
    const localName = Buffer.from(e.localName ?? e.name, 'utf8');
    const version = e.zip64 ? 45 : 20;
    let localExtra = Buffer.alloc(0);
    let centralExtra = Buffer.alloc(0);
    if (e.zip64) {
      localExtra = Buffer.alloc(4 + 16);
      localExtra.writeUInt16LE(0x0001, 0);
      localExtra.writeUInt16LE(16, 2);
      localExtra.writeBigUInt64LE(BigInt(size), 4);
      localExtra.writeBigUInt64LE(BigInt(body.length), 12);
      centralExtra = Buffer.alloc(4 + 24);
      centralExtra.writeUInt16LE(0x0001, 0);
      centralExtra.writeUInt16LE(24, 2);
      centralExtra.writeBigUInt64LE(BigInt(size), 4);
      centralExtra.writeBigUInt64LE(BigInt(body.length), 12);
      centralExtra.writeBigUInt64LE(BigInt(offset), 20);
    }
    const l = Buffer.alloc(30);
    l.writeUInt32LE(0x04034b50, 0);
    l.writeUInt16LE(version, 4);
    l.writeUInt16LE(flags, 6);
    l.writeUInt16LE(method, 8);
    l.writeUInt16LE(0, 10);
    l.writeUInt16LE(0x21, 12);
    l.writeUInt32LE(crc >>> 0, 14);
    l.writeUInt32LE(e.zip64 ? 0xffffffff : body.length, 18);
    l.writeUInt32LE(e.zip64 ? 0xffffffff : size >>> 0, 22);
    l.writeUInt16LE(localName.length, 26);
    l.writeUInt16LE(localExtra.length, 28);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(0x0314, 4);
    c.writeUInt16LE(version, 6);
    c.writeUInt16LE(flags, 8);
    c.writeUInt16LE(method, 10);
    c.writeUInt16LE(0, 12);
    c.writeUInt16LE(0x21, 14);
    c.writeUInt32LE(crc >>> 0, 16);
    c.writeUInt32LE(e.zip64 ? 0xffffffff : body.length, 20);
    c.writeUInt32LE(e.zip64 ? 0xffffffff : size >>> 0, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt16LE(centralExtra.length, 30);
    c.writeUInt16LE(0, 32);
    c.writeUInt16LE(0, 34);
    c.writeUInt16LE(0, 36);
    c.writeUInt32LE(0, 38);
    c.writeUInt32LE(e.zip64 ? 0xffffffff : offset, 42);
    locals.push(l, localName, localExtra, body);
    centrals.push(c, name, centralExtra);
    offset += l.length + localName.length + localExtra.length + body.length;
  }
  const central = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Math.min(entries.length, 0xffff), 8);
  end.writeUInt16LE(Math.min(entries.length, 0xffff), 10);
  end.writeUInt32LE(central.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, opts.truncateCentral ? central.subarray(0, central.length >> 1) : central, end]);
}

/**
 * Deflates generated content as a stream (the uncompressed bytes are never held whole): returns the
 * compressed bytes, the CRC-32 and the uncompressed size.
 */
export async function deflateGenerated(chunks: Iterable<Buffer>, level = 6): Promise<{ compressed: Buffer; crc: number; size: number }> {
  const d = createDeflateRaw({ level });
  const out: Buffer[] = [];
  d.on('data', (c: Buffer) => out.push(c));
  const finished = new Promise<void>((resolve, reject) => {
    d.on('end', resolve);
    d.on('error', reject);
  });
  let crc = 0;
  let size = 0;
  for (const chunk of chunks) {
    crc = crc32(chunk, crc);
    size += chunk.length;
    if (!d.write(chunk)) await new Promise((r) => d.once('drain', r));
  }
  d.end();
  await finished;
  return { compressed: Buffer.concat(out), crc, size };
}
