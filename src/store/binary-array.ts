/**
 * A batch's column as one array parameter in PostgreSQL's binary array format, sent as bytes.
 *
 * In text form pg writes an array as a literal — every element quoted, its quotes and backslashes
 * escaped — and PostgreSQL parses it back; in binary form an array is a header, then each element's
 * length and bytes. For a 500-record batch's sixteen columns of ids, codes and flags the round trip fell
 * from 3.9-5.7 to 2.4-2.7 ms. The envelopes' json elements are their JSON text, which PostgreSQL checks
 * but does not parse into a tree (as jsonb their parse was 13-16 ms of a batch's bind, as json 2 ms),
 * and as bytes the batch's text does not stay on the gateway's heap, flattened, until the statement ends.
 *
 * pg sends a Buffer parameter in binary format; the statement casts it (`$n::uuid[]`), and PostgreSQL
 * refuses an array whose element type (in the header) is not the cast's.
 */
import { isUuid } from '../domain/uuid-v5.js';

const ELEMENT_TYPE_OIDS = { bool: 16, int4: 23, text: 25, json: 114, uuid: 2950 } as const;

export type ArrayElementType = keyof typeof ELEMENT_TYPE_OIDS;

const HEADER_BYTES = 20; // dimensions, has-nulls flag, element type, then the one dimension's length and lower bound

/**
 * The array of `values` (null and undefined are NULL): strings for text and uuid, booleans for bool,
 * integers for int4, and any JSON value but null for json (written as JSON.stringify writes it). An
 * element of another kind is a TypeError.
 */
export function binaryArray(type: ArrayElementType, values: readonly unknown[]): Buffer {
  // each element as a string to write as UTF-8 (text, json), or its fixed size (bool, int4, uuid)
  const texts = type === 'json' ? values.map((v) => (v === null || v === undefined ? null : JSON.stringify(v)))
    : type === 'text' ? values.map(textElement) : null;
  const fixedSize = type === 'bool' ? 1 : type === 'int4' ? 4 : 16;
  let size = HEADER_BYTES;
  let hasNull = 0;
  for (let i = 0; i < values.length; i++) {
    const v = texts ? texts[i] : values[i];
    size += 4;
    if (v === null || v === undefined) hasNull = 1;
    else size += texts ? Buffer.byteLength(v as string) : fixedSize;
  }
  const bytes = Buffer.allocUnsafe(size);
  bytes.writeInt32BE(1, 0);
  bytes.writeInt32BE(hasNull, 4);
  bytes.writeUInt32BE(ELEMENT_TYPE_OIDS[type], 8);
  bytes.writeInt32BE(values.length, 12);
  bytes.writeInt32BE(1, 16);
  let at = HEADER_BYTES;
  for (let i = 0; i < values.length; i++) {
    const v = texts ? texts[i] : values[i];
    if (v === null || v === undefined) {
      bytes.writeInt32BE(-1, at);
      at += 4;
    } else if (texts) {
      const length = bytes.write(v as string, at + 4);
      bytes.writeInt32BE(length, at);
      at += 4 + length;
    } else {
      bytes.writeInt32BE(fixedSize, at);
      writeFixed(bytes, at + 4, type, v);
      at += 4 + fixedSize;
    }
  }
  return bytes;
}

function textElement(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') throw new TypeError(`binaryArray: text element ${String(v)}`);
  return v;
}

function writeFixed(bytes: Buffer, at: number, type: ArrayElementType, v: unknown): void {
  if (type === 'bool') {
    if (typeof v !== 'boolean') throw new TypeError(`binaryArray: bool element ${String(v)}`);
    bytes[at] = v ? 1 : 0;
  } else if (type === 'int4') {
    if (!Number.isInteger(v) || (v as number) < -2147483648 || (v as number) > 2147483647) throw new TypeError(`binaryArray: int4 element ${String(v)}`);
    bytes.writeInt32BE(v as number, at);
  } else {
    if (typeof v !== 'string' || !isUuid(v)) throw new TypeError(`binaryArray: uuid element ${String(v)}`);
    bytes.write(v.slice(0, 8) + v.slice(9, 13) + v.slice(14, 18) + v.slice(19, 23) + v.slice(24), at, 'hex');
  }
}
