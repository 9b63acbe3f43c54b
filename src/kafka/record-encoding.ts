/**
 * Kafka records encoded in one right-sized buffer, in place of kafkajs's own record encoder.
 *
 * kafkajs 2.2.4 (no longer maintained) encodes each record with a fresh zero-filled 512-byte buffer
 * that doubles by copying as the value is written, one more such buffer per header, and a small
 * buffer per variable-length integer; the record batch around them grows the same way. For the
 * gateway's events (a JSON value of 1–3 KB, six headers) that was about 40 % of the relay thread's
 * busy time, most of it allocation and the garbage it leaves; then the batch's CRC-32C is computed
 * a byte at a time. `installRecordEncoding` swaps in `recordBytes` below, which writes the same bytes
 * into one buffer sized exactly, and `crc32c`, which reads eight bytes a step
 * (test/kafka/record-encoding.test.ts compares both with kafkajs's own, byte for byte), and lets
 * kafkajs's buffers grow without zero-filling (only written bytes are ever read: a buffer is read
 * through its written length).
 *
 * The swap works through Node's CommonJS module cache: kafkajs's produce request loads its record
 * encoder only when it first encodes a produce request, and then takes what the cache holds. It is
 * installed once per thread (the relay's), before its producer sends anything; `installRecordEncoding`
 * refuses to run when kafkajs's files are not what this module was written against.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The kafkajs version whose record format and module layout this file follows. */
const KAFKAJS_VERSION = '2.2.4';
const RECORD_MODULE = 'kafkajs/src/protocol/recordBatch/record/v0/index.js';
const ENCODER_MODULE = 'kafkajs/src/protocol/encoder.js';
const PRODUCE_REQUEST_MODULE = 'kafkajs/src/protocol/requests/produce/v3/request.js';
const CRC32C_MODULE = 'kafkajs/src/protocol/recordBatch/crc32C/crc32C.js';

/** What kafkajs's batch encoder reads of a record: its bytes `buf` up to `offset`. */
interface KafkajsEncoder {
  buf: Buffer;
  offset: number;
}
type KafkajsEncoderClass = (new (initialSize?: number) => KafkajsEncoder) & { prototype: KafkajsEncoder & { ensureAvailable(length: number): void } };

/** A record as kafkajs's produce request hands it to its record encoder. */
export interface RecordInput {
  offsetDelta?: number;
  timestampDelta?: number;
  key?: unknown;
  value?: unknown;
  headers?: Record<string, unknown>;
}
type RecordEncoder = (input: RecordInput) => KafkajsEncoder;

const zigZag32 = (v: number) => ((v << 1) ^ (v >> 31)) >>> 0;
/** Bytes of a length-prefixed field of `length` bytes (-1: null, the prefix alone). */
const bytesSize = (length: number) => uVarIntSize(zigZag32(length)) + Math.max(0, length);

function uVarIntSize(u: number): number {
  let size = 1;
  while (u >= 0x80) {
    size++;
    u = Math.floor(u / 0x80);
  }
  return size;
}

function writeUVarInt(buf: Buffer, at: number, u: number): number {
  while (u >= 0x80) {
    buf[at++] = (u % 0x80) | 0x80;
    u = Math.floor(u / 0x80);
  }
  buf[at++] = u;
  return at;
}

/** Bytes of a key, value or header value as kafkajs writes it: a Buffer as is, a string as UTF-8, null as "no bytes". */
type Bytes = Buffer | string | null;

const isBytes = (v: unknown): v is Bytes | undefined => v === undefined || v === null || typeof v === 'string' || Buffer.isBuffer(v);
/** A key's, value's or header's length in bytes as it goes on the wire: a Buffer's length, a string's UTF-8 length. */
export const byteLength = (v: Buffer | string) => (typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length);

function writeBytes(buf: Buffer, at: number, v: Buffer | string, length: number): number {
  if (typeof v === 'string') buf.write(v, at, length, 'utf8');
  else v.copy(buf, at);
  return at + length;
}

/**
 * The record's bytes (Kafka's record format v2: length, attributes, timestamp delta, offset delta,
 * key, value, headers), or undefined for an input this encoder does not take on (kafkajs's own
 * encoder then does what it always did, including its errors): a value that is neither a string,
 * a Buffer nor null, or a delta that is not a small integer.
 */
export function recordBytes(input: RecordInput): Buffer | undefined {
  const { offsetDelta = 0, timestampDelta = 0, key, value, headers = {} } = input;
  if (!isBytes(key) || !isBytes(value)) return undefined;
  if (!Number.isInteger(offsetDelta) || offsetDelta < 0 || offsetDelta > 0x3fffffff) return undefined;
  if (!Number.isSafeInteger(timestampDelta) || Math.abs(timestampDelta) > 2 ** 50) return undefined;

  const headerKeys: string[] = [];
  const headerValues: Array<Buffer | string> = [];
  for (const name of Object.keys(headers)) {
    const given = headers[name];
    for (const v of Array.isArray(given) ? given : [given]) {
      if (typeof v !== 'string' && !Buffer.isBuffer(v)) return undefined;
      headerKeys.push(name);
      headerValues.push(v);
    }
  }

  const timestamp = timestampDelta >= 0 ? timestampDelta * 2 : -timestampDelta * 2 - 1;
  const offset = zigZag32(offsetDelta);
  const keyLength = key === undefined || key === null ? -1 : byteLength(key);
  const valueLength = value === undefined || value === null ? -1 : byteLength(value);
  const headerKeyLengths = headerKeys.map(byteLength);
  const headerValueLengths = headerValues.map(byteLength);

  let body = 1 + uVarIntSize(timestamp) + uVarIntSize(offset) + bytesSize(keyLength) + bytesSize(valueLength) + uVarIntSize(zigZag32(headerKeys.length));
  for (let i = 0; i < headerKeys.length; i++) body += bytesSize(headerKeyLengths[i]!) + bytesSize(headerValueLengths[i]!);

  const buf = Buffer.allocUnsafe(uVarIntSize(zigZag32(body)) + body);
  let at = writeUVarInt(buf, 0, zigZag32(body));
  buf[at++] = 0; // attributes: none used in a record
  at = writeUVarInt(buf, at, timestamp);
  at = writeUVarInt(buf, at, offset);
  at = writeUVarInt(buf, at, zigZag32(keyLength));
  if (keyLength >= 0) at = writeBytes(buf, at, key!, keyLength);
  at = writeUVarInt(buf, at, zigZag32(valueLength));
  if (valueLength >= 0) at = writeBytes(buf, at, value!, valueLength);
  at = writeUVarInt(buf, at, zigZag32(headerKeys.length));
  for (let i = 0; i < headerKeys.length; i++) {
    at = writeUVarInt(buf, at, zigZag32(headerKeyLengths[i]!));
    at = writeBytes(buf, at, headerKeys[i]!, headerKeyLengths[i]!);
    at = writeUVarInt(buf, at, zigZag32(headerValueLengths[i]!));
    at = writeBytes(buf, at, headerValues[i]!, headerValueLengths[i]!);
  }
  if (at !== buf.length) throw new Error(`kafka record encoding: wrote ${at} of ${buf.length} bytes`);
  return buf;
}

/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) tables for eight bytes a step ("slicing-by-8"). */
const CRC32C_TABLES = (() => {
  const tables = Array.from({ length: 8 }, () => new Int32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    tables[0]![n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let t = 1; t < 8; t++) tables[t]![n] = (tables[t - 1]![n]! >>> 8) ^ tables[0]![tables[t - 1]![n]! & 0xff]!;
  }
  return tables;
})();

/** The CRC-32C of `buf` (what a record batch's checksum is), unsigned; kafkajs reads it a byte at a time. */
export function crc32c(buf: Uint8Array): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = CRC32C_TABLES as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
  let crc = -1;
  let i = 0;
  for (const end8 = buf.length - (buf.length % 8); i < end8; i += 8) {
    const a = crc ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24));
    crc = t7[a & 0xff]! ^ t6[(a >>> 8) & 0xff]! ^ t5[(a >>> 16) & 0xff]! ^ t4[a >>> 24]!
      ^ t3[buf[i + 4]!]! ^ t2[buf[i + 5]!]! ^ t1[buf[i + 6]!]! ^ t0[buf[i + 7]!]!;
  }
  for (; i < buf.length; i++) crc = t0[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** kafkajs's record encoder, with `recordBytes` where it takes the input. */
function encoderWith(Encoder: KafkajsEncoderClass, kafkajsRecord: RecordEncoder): RecordEncoder {
  return (input) => {
    const buf = recordBytes(input);
    if (buf === undefined) return kafkajsRecord(input);
    const encoded = Object.create(Encoder.prototype) as KafkajsEncoder;
    encoded.buf = buf;
    encoded.offset = buf.length;
    return encoded;
  };
}

let installed = false;

/**
 * Puts `recordBytes` and `crc32c` in place of kafkajs's record encoder and checksum in this thread,
 * and lets kafkajs's encoder buffers grow without zero-filling. Throws when kafkajs is not the version
 * this was written for, or its produce request was already loaded (then it holds the old encoder).
 */
export function installRecordEncoding(): void {
  if (installed) return;
  const { version } = require('kafkajs/package.json') as { version: string };
  if (version !== KAFKAJS_VERSION) throw new Error(`kafka record encoding: written for kafkajs ${KAFKAJS_VERSION}, found ${version}`);
  const requestPath = require.resolve(PRODUCE_REQUEST_MODULE);
  if (require.cache[requestPath]) throw new Error('kafka record encoding: kafkajs already loaded its produce request; install first');

  const Encoder = require(ENCODER_MODULE) as KafkajsEncoderClass;
  Encoder.prototype.ensureAvailable = function ensureAvailable(this: KafkajsEncoder, length: number) {
    if (this.offset + length <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(2 ** (32 - Math.clz32(this.offset + length))); // kafkajs's size: the next power of two above
    this.buf.copy(grown, 0, 0, this.offset);
    this.buf = grown;
  };

  require(CRC32C_MODULE); // loaded here so that its cache entry exists, then replaced
  require.cache[require.resolve(CRC32C_MODULE)]!.exports = crc32c;

  const recordPath = require.resolve(RECORD_MODULE);
  const kafkajsRecord = require(recordPath) as RecordEncoder;
  require.cache[recordPath]!.exports = encoderWith(Encoder, kafkajsRecord);
  installed = true;
}
