/** Console sessions' pure parts: the sign-in delay, the same-origin rule, token comparison. */
import { describe, expect, it } from 'vitest';
import { sameOrigin, sameToken } from '../../src/console/session.js';
import { delayAfterFailures, secondsToWait } from '../../src/console/signin-throttle.js';

const cfg = { windowMinutes: 15, freeAttempts: 5, firstDelaySeconds: 1, maxDelaySeconds: 900, lockoutAlertAfter: 10 };

describe('sign-in delay', () => {
  it('is free for the first attempts, then 1 s doubling per failure up to the cap', () => {
    expect([0, 1, 4].map((n) => delayAfterFailures(n, cfg))).toEqual([0, 0, 0]);
    expect([5, 6, 7, 8].map((n) => delayAfterFailures(n, cfg))).toEqual([1, 2, 4, 8]);
    expect(delayAfterFailures(14, cfg)).toBe(512);
    expect(delayAfterFailures(15, cfg)).toBe(900);
    expect(delayAfterFailures(10_000, cfg)).toBe(900);
    expect([5, 6, 7].map((n) => delayAfterFailures(n, { ...cfg, firstDelaySeconds: 30 }))).toEqual([30, 60, 120]);
  });

  it('counts the wait from the last failure, in whole seconds rounded up', () => {
    const last = new Date('2026-12-05T10:00:00.000Z');
    expect(secondsToWait({ failures: 4, lastFailure: last }, last, cfg)).toBe(0);
    expect(secondsToWait({ failures: 7, lastFailure: last }, new Date('2026-12-05T10:00:00.500Z'), cfg)).toBe(4);
    expect(secondsToWait({ failures: 7, lastFailure: last }, new Date('2026-12-05T10:00:03.999Z'), cfg)).toBe(1);
    expect(secondsToWait({ failures: 7, lastFailure: last }, new Date('2026-12-05T10:00:04.000Z'), cfg)).toBe(0);
    expect(secondsToWait({ failures: 7, lastFailure: null }, last, cfg)).toBe(0);
  });
});

describe('same origin', () => {
  const host = '127.0.0.1:8080';
  it('accepts the Origin, or else the Referer, of the host addressed, or a configured origin', () => {
    expect(sameOrigin({ origin: 'http://127.0.0.1:8080', host }, [])).toBe(true);
    expect(sameOrigin({ origin: 'https://127.0.0.1:8080', host }, [])).toBe(true);
    expect(sameOrigin({ referer: 'http://127.0.0.1:8080/console?x=1', host }, [])).toBe(true);
    expect(sameOrigin({ origin: 'https://credit.example.gov.cn', host: '10.0.0.5:8080' }, ['https://credit.example.gov.cn'])).toBe(true);
  });

  it('refuses another host or port, "null", a missing header, and a Referer that is not http(s)', () => {
    expect(sameOrigin({ origin: 'http://127.0.0.1:8081', host }, [])).toBe(false);
    expect(sameOrigin({ origin: 'http://evil.example', host }, [])).toBe(false);
    expect(sameOrigin({ origin: 'null', host }, [])).toBe(false);
    expect(sameOrigin({ host }, [])).toBe(false);
    expect(sameOrigin({ referer: 'javascript:alert(1)', host }, [])).toBe(false);
    expect(sameOrigin({ origin: 'http://127.0.0.1:8080', referer: 'http://evil.example/', host: undefined }, [])).toBe(false);
    // the Origin wins over a same-origin Referer
    expect(sameOrigin({ origin: 'http://evil.example', referer: 'http://127.0.0.1:8080/console', host }, [])).toBe(false);
  });

  it('compares tokens exactly', () => {
    expect(sameToken('abc', 'abc')).toBe(true);
    expect(sameToken('abd', 'abc')).toBe(false);
    expect(sameToken('ab', 'abc')).toBe(false);
    expect(sameToken(undefined, 'abc')).toBe(false);
  });
});
