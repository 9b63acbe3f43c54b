/**
 * Change-feed cursors: opaque base64url of {position, filter fingerprint}. A cursor is only valid
 * with the filters it was issued for, so a partner cannot silently skip records by changing them.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../domain/canonical-json.js';
import { GatewayError } from '../errors.js';

function fingerprint(filter: object): string {
  return createHash('sha256').update(canonicalJson(filter)).digest('base64url').slice(0, 16);
}

export function encodeCursor(seq: number, filter: object): string {
  return Buffer.from(JSON.stringify({ v: 1, s: seq, f: fingerprint(filter) })).toString('base64url');
}

export function decodeCursor(cursor: string, filter: object): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  const c = parsed as { v?: unknown; s?: unknown; f?: unknown } | null;
  if (!c || c.v !== 1 || !Number.isSafeInteger(c.s) || (c.s as number) < 0 || typeof c.f !== 'string') {
    throw new GatewayError('GW_CURSOR_INVALID', { zh: '游标无法解析', en: 'the cursor cannot be decoded', errors: [{ pointer: '/query/cursor', rule: 'cursor', zh: '游标无法解析', en: 'cannot be decoded' }] });
  }
  if (c.f !== fingerprint(filter)) {
    throw new GatewayError('GW_CURSOR_INVALID', {
      zh: '游标与本次查询条件不一致，请使用签发游标时的查询条件',
      en: 'the cursor was issued for other filters; repeat the filters it was issued with',
      errors: [{ pointer: '/query/cursor', rule: 'cursor.filters', zh: '游标与查询条件不一致', en: 'does not match the filters' }],
    });
  }
  return c.s as number;
}
