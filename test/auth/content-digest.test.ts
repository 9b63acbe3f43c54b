/** RFC 9530 Content-Digest (sha-256): the RFC's own example, and reading the sha-256 member of a header. */
import { describe, expect, it } from 'vitest';
import { contentDigestOf, sha256Member } from '../../src/auth/content-digest.js';

describe('Content-Digest', () => {
  it('matches the RFC 9530 example', () => {
    expect(contentDigestOf('{"hello": "world"}')).toBe('sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:');
  });

  it('covers every byte', () => {
    expect(contentDigestOf(Buffer.from('{"a":1}'))).not.toBe(contentDigestOf(Buffer.from('{"a":2}')));
  });

  it('reads the sha-256 member among others, and nothing else', () => {
    const d = contentDigestOf('x');
    expect(sha256Member(d)).toBe(d);
    expect(sha256Member(`sha-512=:AAAA:, ${d}`)).toBe(d);
    expect(sha256Member('sha-512=:AAAA:')).toBeNull();
    expect(sha256Member('sha-256=abc')).toBeNull();
  });
});
