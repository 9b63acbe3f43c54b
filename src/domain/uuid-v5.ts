/** UUIDs: name-based v5 ids (RFC 9562 §5.5), and the check of a UUID's text form. */
import { hash } from 'node:crypto';

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A UUID in its text form: 32 hex digits (either case) in groups of 8-4-4-4-12. */
export const isUuid = (s: string): boolean => UUID_TEXT.test(s);

/** The same namespace and name always give the same id. */

export function uuidV5(namespace: Buffer, name: string): string {
  const digest = hash('sha1', Buffer.concat([namespace, Buffer.from(name, 'utf8')]), 'buffer');
  digest[6] = (digest[6]! & 0x0f) | 0x50;
  digest[8] = (digest[8]! & 0x3f) | 0x80;
  const hex = digest.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
