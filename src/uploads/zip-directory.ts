/**
 * The central directory of a zip file (an XLSX workbook), read from its bytes (pure): each entry's
 * name, method, declared sizes and where its data starts. Only what a workbook needs is taken: stored
 * or deflated entries, no encryption, no zip64, no multi-disk archives. Anything else, or a directory
 * that does not add up, is refused (GW_UPLOAD_ZIP_INVALID); declared sizes over the limits are refused
 * too (GW_UPLOAD_ZIP_BOMB) — before a byte is inflated.
 */
import { GatewayError, type ErrorCode } from '../errors.js';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated */
  method: 0 | 8;
  compressedSize: number;
  declaredSize: number;
  /** the CRC-32 of the inflated data, as the directory declares it */
  crc32: number;
  /** where the entry's (compressed) data starts in the file */
  dataOffset: number;
}

export interface ZipLimits {
  maxUncompressedBytes: number;
  maxCompressionRatio: number;
  maxZipEntries: number;
}

/** A refusal of the file, in both languages. */
export function refusal(code: ErrorCode, zh: string, en: string): GatewayError {
  return new GatewayError(code, { zh, en });
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

const invalid = (zh: string, en: string) => refusal('GW_UPLOAD_ZIP_INVALID', zh, en);

function findEndOfDirectory(buf: Buffer): number {
  const from = Math.max(0, buf.length - 22 - 0xffff);
  for (let i = buf.length - 22; i >= from; i--) if (buf.readUInt32LE(i) === EOCD) return i;
  return -1;
}

/** A name that could escape or confuse (absolute, .., backslashes, NUL) is refused. */
function checkName(name: string): void {
  if (name.includes('\0') || name.includes('\\') || name.startsWith('/') || name.split('/').includes('..')) {
    throw invalid(`压缩包中的文件名“${name.slice(0, 80)}”不合法`, `the zip holds an entry named "${name.slice(0, 80)}", which is not allowed`);
  }
}

/** The ratio a part may inflate at: small parts get slack (a 100-byte part of zeros is no bomb). */
function ratioExceeded(entry: ZipEntry, limits: ZipLimits): boolean {
  return entry.declaredSize > 1_048_576 && entry.declaredSize > entry.compressedSize * limits.maxCompressionRatio;
}

export function readZipDirectory(buf: Buffer, limits: ZipLimits): ZipEntry[] {
  const end = findEndOfDirectory(buf);
  if (end < 0) throw invalid('找不到压缩包的中央目录（文件不完整或不是 ZIP）', 'no zip central directory found (truncated, or not a zip)');
  const disk = buf.readUInt16LE(end + 4);
  const count = buf.readUInt16LE(end + 10);
  const size = buf.readUInt32LE(end + 12);
  const offset = buf.readUInt32LE(end + 16);
  if (disk !== 0 || count === 0xffff || offset === 0xffffffff) throw invalid('不支持分卷或 ZIP64 压缩包', 'multi-disk and zip64 archives are not supported');
  if (count > limits.maxZipEntries) {
    throw refusal('GW_UPLOAD_ZIP_BOMB', `压缩包含 ${count} 个文件，上限 ${limits.maxZipEntries}`, `the zip holds ${count} entries; at most ${limits.maxZipEntries} are allowed`);
  }
  if (offset + size > end) throw invalid('中央目录位置超出文件范围', 'the central directory lies outside the file');
  const entries: ZipEntry[] = [];
  let declaredTotal = 0;
  let p = offset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > end || buf.readUInt32LE(p) !== CENTRAL) throw invalid('中央目录项损坏', 'a central directory entry is damaged');
    const flags = buf.readUInt16LE(p + 8);
    const method = buf.readUInt16LE(p + 10);
    const crc32 = buf.readUInt32LE(p + 16);
    const compressedSize = buf.readUInt32LE(p + 20);
    const declaredSize = buf.readUInt32LE(p + 24);
    const nameLength = buf.readUInt16LE(p + 28);
    const extraLength = buf.readUInt16LE(p + 30);
    const commentLength = buf.readUInt16LE(p + 32);
    const localOffset = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLength);
    p += 46 + nameLength + extraLength + commentLength;
    checkName(name);
    if (flags & 1) throw invalid(`压缩包中的“${name}”已加密`, `zip entry "${name}" is encrypted`);
    if (method !== 0 && method !== 8) throw invalid(`压缩包中的“${name}”使用不支持的压缩方法 ${method}`, `zip entry "${name}" uses unsupported compression method ${method}`);
    if (compressedSize === 0xffffffff || declaredSize === 0xffffffff || localOffset === 0xffffffff) throw invalid('不支持 ZIP64 压缩包', 'zip64 archives are not supported');
    if (localOffset + 30 > buf.length || buf.readUInt32LE(localOffset) !== LOCAL) throw invalid(`“${name}”的本地文件头损坏`, `the local header of "${name}" is damaged`);
    const localNameLength = buf.readUInt16LE(localOffset + 26);
    if (buf.toString('utf8', localOffset + 30, localOffset + 30 + localNameLength) !== name) {
      throw invalid(`“${name}”的本地文件头名称与中央目录不一致`, `the local header of "${name}" names another file than the central directory`);
    }
    const dataOffset = localOffset + 30 + localNameLength + buf.readUInt16LE(localOffset + 28);
    if (dataOffset + compressedSize > buf.length) throw invalid(`“${name}”的数据超出文件范围`, `the data of "${name}" lies outside the file`);
    const entry: ZipEntry = { name, method, compressedSize, declaredSize, crc32, dataOffset };
    declaredTotal += declaredSize;
    if (ratioExceeded(entry, limits)) {
      throw refusal('GW_UPLOAD_ZIP_BOMB', `“${name}”声明解压后 ${declaredSize} 字节，压缩比超过 ${limits.maxCompressionRatio}`,
        `"${name}" declares ${declaredSize} bytes inflated, a ratio over ${limits.maxCompressionRatio}`);
    }
    if (declaredTotal > limits.maxUncompressedBytes) {
      throw refusal('GW_UPLOAD_ZIP_BOMB', `压缩包声明解压后超过 ${limits.maxUncompressedBytes} 字节`, `the zip declares more than ${limits.maxUncompressedBytes} bytes inflated`);
    }
    entries.push(entry);
  }
  return entries;
}
