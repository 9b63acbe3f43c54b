import { describe, expect, it } from 'vitest';
import { isUuid, uuidV5 } from '../../src/domain/uuid-v5.js';

describe('uuidV5', () => {
  it('gives the RFC 9562 example (DNS namespace, www.example.com)', () => {
    const dns = Buffer.from('6ba7b8109dad11d180b400c04fd430c8', 'hex');
    expect(uuidV5(dns, 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('hashes the name as UTF-8', () => {
    const ns = Buffer.from('6f1c2b3a9d8e4f7a8b6c5d4e3f2a1b0c', 'hex');
    expect(uuidV5(ns, '失信')).not.toBe(uuidV5(ns, Buffer.from('失信', 'utf8').toString('latin1')));
    expect(uuidV5(ns, '失信')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('isUuid', () => {
  it('takes the 8-4-4-4-12 hex text form in either case, nothing else', () => {
    for (const ok of ['2ed6657d-e927-568b-95e1-2665a8aea6a2', '6F1C2B3A-9D8E-4F7A-8B6C-5D4E3F2A1B0C']) expect(isUuid(ok)).toBe(true);
    for (const bad of ['', '2ed6657de927568b95e12665a8aea6a2', '{2ed6657d-e927-568b-95e1-2665a8aea6a2}', '2ed6657d-e927-568b-95e1-2665a8aea6a2\n', 'zed6657d-e927-568b-95e1-2665a8aea6a2']) {
      expect(isUuid(bad)).toBe(false);
    }
  });
});
