/**
 * The verified GETs of bench:auth and bench:auth-gc: tokens signed before a phase (signing is the
 * client's cost, not the gateway's), and the open loop at a fixed rate whose latencies count from each
 * request's scheduled start (no coordinated omission).
 */
import type { Pool } from 'undici';
import { signRequest } from '../../src/client/sign-request.js';
import { TEST_AUDIENCE, type TestPartner } from '../../src/dev/partner.js';

/** `count` sets of signed headers for GET `url`, each with its own token. */
export async function presign(partner: TestPartner, url: string, purpose: string, count: number): Promise<Array<Record<string, string>>> {
  const creds = { partnerId: partner.id, privateKey: partner.privateJwk, kid: partner.kid, alg: partner.alg, audience: TEST_AUDIENCE };
  const out: Array<Record<string, string>> = [];
  for (let i = 0; i < count; i += 500) {
    const chunk = await Promise.all(Array.from({ length: Math.min(500, count - i) }, () =>
      signRequest(creds, { method: 'GET', url, purpose, lifetimeSeconds: 300 })));
    out.push(...chunk);
  }
  return out;
}

export interface PhaseResult {
  done: number;
  failed: number;
  seconds: number;
  latenciesMs: number[];
}

/** `count` GETs of `path` at `rate` per second, open loop; `atHalf` runs once when half are sent. */
export async function fixedRate(
  client: Pool, path: string, rate: number, count: number, headersFor: (i: number) => Record<string, string>, atHalf?: () => void,
): Promise<PhaseResult> {
  const started = performance.now();
  const latenciesMs: number[] = [];
  let done = 0;
  let failed = 0;
  const pending: Array<Promise<void>> = [];
  for (let i = 0; i < count; i++) {
    const scheduled = started + (i * 1000) / rate;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    if (i === Math.floor(count / 2)) atHalf?.();
    pending.push(
      client.request({ method: 'GET', path, headers: headersFor(i) }).then(async (res) => {
        await res.body.arrayBuffer();
        latenciesMs.push(performance.now() - scheduled);
        if (res.statusCode === 200) done++;
        else failed++;
      }),
    );
  }
  await Promise.all(pending);
  return { done, failed, seconds: (performance.now() - started) / 1000, latenciesMs };
}

/** The p-th percentile (0–100) of `values`. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
