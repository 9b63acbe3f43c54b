/** RFC 9530 Content-Digest with sha-256: `sha-256=:<base64>:` (a structured-field dictionary member). */
import { hash } from 'node:crypto';

export function contentDigestOf(body: Uint8Array | string): string {
  return `sha-256=:${hash('sha256', body, 'base64')}:`;
}

/** The sha-256 member of a Content-Digest header (other algorithms may be listed too), or null. */
export function sha256Member(header: string): string | null {
  for (const member of header.split(',')) {
    const m = /^\s*sha-256\s*=\s*:([A-Za-z0-9+/]+={0,2}):\s*$/.exec(member);
    if (m) return `sha-256=:${m[1]}:`;
  }
  return null;
}
