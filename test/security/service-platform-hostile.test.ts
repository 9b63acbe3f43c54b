/**
 * The service way against a HOSTILE or BROKEN platform, from the README's intake contract alone (README
 * "Delivery to platforms" → "The service way" → "The intake contract"). Our own intake (node:http,
 * test/security/hostile-intake.ts) checks every request the gateway sends (POST, content-type,
 * Content-Digest of the body, Idempotency-Key = batch, bearer token, the batch format and name, a resend
 * byte for byte) and answers as each case wants: server errors with all kinds of Retry-After, no answer,
 * a slow or cut answer, 200s that are not the contract, huge and poisoned answers, answers given twice,
 * 4xx and redirects. Each case asserts what the README promises while the platform misbehaves (no event
 * taken as accepted that the platform did not accept, delivery waits and tries again instead of moving
 * past the batch, the process stays ready) and, once the platform behaves, that every record pushed in
 * the case reaches its documented state and this platform took each event exactly once.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sampleRecordInput } from '../../src/dev/sample-records.js';
import { startTestGateway, uniqueName, type TestGateway } from '../support/env.js';
import { httpClient } from '../support/http-client.js';
import { observeFor } from '../support/wait.js';
import { HostileIntake, pad12, sendJson, wellBehaved, type Ctx, type Handler, type IntakeRequest } from './hostile-intake.js';

const TOKEN_ENV = `HOSTILE_INTAKE_TOKEN_${randomBytes(3).toString('hex').toUpperCase()}`;
const TOKEN = `hostile-${randomBytes(24).toString('base64url')}`;
process.env[TOKEN_ENV] = TOKEN;

const BATCH_SIZE = 4;
const TIMEOUT_MS = 2_000;
const MAX_BACKOFF_MS = 1_000;
const MAX_RETRY_AFTER_MS = 4_000;
const SLACK_MS = 4_000; // scheduling, a Kafka fetch, jitter: how much later than promised a retry may come

const name = uniqueName('hs').replaceAll('_', '-').toLowerCase();
const topic = `test.${name}.v1`;
const INTAKE_PATH = '/credit/v1/batches';
const intake = new HostileIntake({ destination: name, token: TOKEN, path: INTAKE_PATH, batchSize: BATCH_SIZE });
/** another host and port, where redirects point: it answers 503, so nothing it gets is ever "accepted" */
const elsewhere = new HostileIntake({ destination: name, token: TOKEN, path: '/elsewhere', batchSize: BATCH_SIZE, host: '127.0.0.2' });
elsewhere.handler = ({ res, req }) => {
  sendJson(res, 503, { error: 'elsewhere' }, { 'retry-after': '1' });
  req.answeredAt = Date.now();
};

let gw: TestGateway;
/** what the gateway did where the README says nothing; printed at the end */
const notes: string[] = [];
const { post, get } = httpClient(() => gw.url);

beforeAll(async () => {
  await intake.start();
  await elsewhere.start();
  gw = await startTestGateway({
    lifecycle: { expiryEnabled: false },
    destinations: [{
      name, topic, categories: ['*'], regions: [],
      delivery: {
        way: 'service', url: intake.url, auth: { type: 'token', tokenEnv: TOKEN_ENV },
        batchSize: BATCH_SIZE, timeoutMs: TIMEOUT_MS, connections: 2, partitionsConcurrently: 2, maxRetryAfterMs: MAX_RETRY_AFTER_MS, maxBackoffMs: MAX_BACKOFF_MS,
      },
    }],
  });
});

afterAll(async () => {
  if (notes.length) console.log(`observed:\n- ${notes.join('\n- ')}`);
  await gw?.stop();
  await gw?.db.drop();
  await intake.stop();
  await elsewhere.stop();
});

// ---------------------------------------------------------------------------------------------
// helpers

let serial = 64_000;
const pushed: string[] = [];

async function push(n: number, subjectName?: (i: number) => string | undefined): Promise<string[]> {
  const items = Array.from({ length: n }, (_, i) => {
    const s = subjectName?.(i);
    return sampleRecordInput('admin_license', serial++, s ? { subject: { name: s } } : undefined);
  });
  const res = await post('/v1/records', { records: items });
  expect(res.status).toBe(200);
  expect(res.body.summary.rejected).toBe(0);
  const ids: string[] = res.body.results.map((r: any) => r.recordId);
  pushed.push(...ids);
  return ids;
}

const deliveryOf = async (recordId: string): Promise<any> => (await get(`/v1/records/${recordId}`)).body?.deliveries?.find((d: any) => d.destination === name);
const statesOf = async (ids: string[]): Promise<(string | undefined)[]> => Promise.all(ids.map(async (id) => (await deliveryOf(id))?.state));

async function assertHealthy(): Promise<void> {
  const ready = await fetch(`${gw.url}/readyz`);
  expect(ready.status, 'GET /readyz').toBe(200);
  const metrics = await fetch(`${gw.url}/metrics`);
  expect(metrics.status, 'GET /metrics').toBe(200);
  expect(await metrics.text()).toContain('gateway_deliveries_total');
}

async function metric(state: string): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const m = new RegExp(`gateway_deliveries_total\\{destination="${name}",state="${state}"\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
}

/** the requests since `from` that carried an event of one of `ids` */
function requestsFor(ids: string[], from: number, on: HostileIntake = intake): IntakeRequest[] {
  const set = new Set(ids);
  return on.since(from).filter((r) => Array.isArray(r.body?.events) && r.body.events.some((e: any) => set.has(e.recordId)));
}

/**
 * How many times the most-tried batch carrying one of `ids` was sent. (Not every record need have been
 * sent yet: a stuck batch may hold up the records behind it, and sometimes other partitions' too.)
 */
function mostAttempts(ids: string[], from: number): number {
  return Math.max(0, ...[...byBatch(requestsFor(ids, from)).values()].map((l) => l.length));
}

/** the requests since `from` grouped by batch name, in order */
function byBatch(reqs: IntakeRequest[]): Map<string, IntakeRequest[]> {
  const out = new Map<string, IntakeRequest[]>();
  for (const r of reqs) {
    const list = out.get(r.body.batch) ?? [];
    list.push(r);
    out.set(r.body.batch, list);
  }
  return out;
}

/**
 * Waits until a batch of the case has been sent at least `n` times, failing after `timeoutMs`. Unless
 * `stateAllowed`, fails at once when a record of the case gets a delivery state meanwhile: the platform
 * has not answered by the contract, so nothing may have been recorded.
 */
async function waitAttempts(ids: string[], from: number, n: number, timeoutMs = 20_000, stateAllowed = false): Promise<void> {
  const states = await vi.waitFor(async () => {
    const states = stateAllowed ? undefined : await statesOf(ids);
    // a recorded state ends the wait at once, and fails below
    if (states?.some((s) => s !== undefined)) return states;
    expect(mostAttempts(ids, from), `a batch of the case sent at least ${n} times within ${timeoutMs} ms`).toBeGreaterThanOrEqual(n);
    return states;
  }, { timeout: timeoutMs, interval: 150 });
  if (states) {
    expect(states, `a delivery state recorded after ${mostAttempts(ids, from)} attempt(s), from an answer that is not the contract`).toEqual(ids.map(() => undefined));
  }
}

/** while the platform misbehaves: no record of `ids` has any delivery state (nothing accepted, nothing skipped) */
async function assertWaiting(ids: string[], ms = 1_500): Promise<void> {
  await observeFor(ms, async () => {
    expect(await statesOf(ids), 'no state while the platform has not answered by the contract').toEqual(ids.map(() => undefined));
  }, 300);
  await assertHealthy();
}

/**
 * The platform behaves again: every record reaches `expected` (default accepted), this platform took
 * each event of the case exactly once (deduplicated by eventId), and no request broke the contract.
 */
async function recover(ids: string[], expected: Record<string, string> = {}): Promise<void> {
  intake.handler = wellBehaved;
  await expect.poll(async () => statesOf(ids), { timeout: 45_000, interval: 250, message: 'every record reaches its state once the platform behaves' })
    .toEqual(ids.map((id) => expected[id] ?? 'accepted'));
  // the platform took (applied) each event it answered for exactly once; a parked batch it refused, so none of it
  const answered = ids.filter((id) => (expected[id] ?? 'accepted') !== 'parked');
  const taken = [...intake.applied.values()].filter((a) => ids.includes(a.recordId));
  expect(taken.map((a) => a.recordId).sort(), 'events this platform took for the case').toEqual([...answered].sort());
  for (const a of taken) expect(a.outcome, `record ${a.recordId}`).toBe(expected[a.recordId] ?? 'accepted');
  expect(intake.handedOverAgain, 'events handed over again under another batch name').toEqual([]);
  await assertHealthy();
}

/**
 * One hostile phase: `hostile` answers from before the records are pushed; `during` asserts what happens
 * while it does; then the platform behaves and `recover` runs — also when `during` failed, so that one
 * finding does not leave the next case stuck behind it. Every request must have met the contract.
 */
async function phase(
  n: number,
  hostile: Handler,
  during: (ids: string[], from: number) => Promise<void>,
  opts: { expected?: (ids: string[]) => Record<string, string>; subjectName?: (i: number) => string | undefined; after?: () => void } = {},
): Promise<string[]> {
  const from = intake.nextSeq;
  const violationsBefore = intake.violations.length;
  intake.handler = hostile;
  const ids = await push(n, opts.subjectName);
  let failure: unknown = null;
  try {
    await during(ids, from);
  } catch (err) {
    failure = err;
  }
  intake.handler = wellBehaved;
  opts.after?.();
  intake.dropConnections(); // a hanging or trickling answer goes away with the phase
  try {
    await recover(ids, opts.expected?.(ids));
    expect(intake.violations.slice(violationsBefore), 'requests that broke the intake contract').toEqual([]);
  } catch (err) {
    if (!failure) throw err;
    // the finding is what happened while the platform misbehaved; the recovery's failure goes with it
    (failure as Error).message += `\n  …and once the platform behaved again: ${(err as Error).message.split('\n')[0]}`;
  }
  if (failure) throw failure;
  return ids;
}

/** a handler that answers `status` with `headers` and `body`, and notes when */
function answer(status: number, body: unknown, headers: Record<string, string> = {}): Handler {
  return ({ req, res }: Ctx) => {
    sendJson(res, status, body, headers);
    req.answeredAt = Date.now();
  };
}

/** the well-behaved answer for the request, then changed by `change` (not applied on the platform's side) */
function twisted(change: (answer: any, req: IntakeRequest) => unknown): Handler {
  return ({ req, res }: Ctx) => {
    const results = req.body.events.map((e: any) => ({ eventId: e.eventId, outcome: 'accepted' }));
    const a = { format: 'credit-delivery-answer/v1', batch: req.body.batch, results };
    sendJson(res, 200, Buffer.from(JSON.stringify(change(a, req) ?? a)));
    req.answeredAt = Date.now();
  };
}

/**
 * For every batch answered with Retry-After: the next attempt came no sooner than `minGapMs` after the
 * answer and no later than `maxGapMs`.
 */
function assertGaps(ids: string[], from: number, minGapMs: number, maxGapMs: number): void {
  let checked = 0;
  for (const [batch, reqs] of byBatch(requestsFor(ids, from))) {
    for (let k = 0; k + 1 < reqs.length; k++) {
      const answered = reqs[k]!.answeredAt;
      if (answered === undefined) continue;
      const gap = reqs[k + 1]!.at - answered;
      expect(gap, `${batch}: attempt ${k + 2} came ${gap} ms after the answer to attempt ${k + 1}`).toBeGreaterThanOrEqual(minGapMs);
      expect(gap, `${batch}: attempt ${k + 2} came ${gap} ms after the answer to attempt ${k + 1}`).toBeLessThanOrEqual(maxGapMs);
      checked++;
    }
  }
  expect(checked, 'gaps measured').toBeGreaterThan(0);
}

/** every batch sent more than once was sent again within timeoutMs + backoff of its previous attempt (not held open by a trickle) */
function assertResentInTime(ids: string[], from: number): void {
  const resent = [...byBatch(requestsFor(ids, from))].filter(([, reqs]) => reqs.length > 1);
  expect(resent.length, 'batches sent again').toBeGreaterThan(0);
  for (const [batch, reqs] of resent) {
    for (let k = 0; k + 1 < reqs.length; k++) {
      const gap = reqs[k + 1]!.at - reqs[k]!.at;
      expect(gap, `${batch}: attempt ${k + 2} ${gap} ms after attempt ${k + 1}`).toBeLessThanOrEqual(TIMEOUT_MS + MAX_BACKOFF_MS + SLACK_MS);
    }
  }
}

// ---------------------------------------------------------------------------------------------

describe('a platform that is well behaved', () => {
  it('takes every event once; the request meets the intake contract', async () => {
    const from = intake.nextSeq;
    const ids = await push(6);
    await recover(ids);
    const reqs = requestsFor(ids, from);
    expect(reqs.length).toBeGreaterThan(0);
    for (const r of reqs) expect(r.violations).toEqual([]);
    expect(intake.violations).toEqual([]);
  }, 90_000);
});

describe('server errors and Retry-After', () => {
  for (const status of [500, 502, 408]) {
    it(`${status}: delivery waits, tries again with backoff, and succeeds when the platform recovers`, async () => {
      await phase(5, answer(status, { error: `hostile ${status}` }), async (ids, from) => {
        await waitAttempts(ids, from, 3);
        await assertWaiting(ids);
        assertGaps(ids, from, 0, MAX_BACKOFF_MS + SLACK_MS);
      });
    }, 90_000);
  }

  it('503 with Retry-After: 2 — the next attempt not before 2 s', async () => {
    await phase(5, answer(503, { error: 'busy' }, { 'retry-after': '2' }), async (ids, from) => {
      await waitAttempts(ids, from, 3);
      await assertWaiting(ids, 500);
      assertGaps(ids, from, 2_000 - 50, 2_000 + MAX_BACKOFF_MS + SLACK_MS);
    });
  }, 90_000);

  it('429 with Retry-After: 2 — the next attempt not before 2 s', async () => {
    await phase(5, answer(429, { error: 'slow down' }, { 'retry-after': '2' }), async (ids, from) => {
      await waitAttempts(ids, from, 3);
      await assertWaiting(ids, 500);
      assertGaps(ids, from, 2_000 - 50, 2_000 + MAX_BACKOFF_MS + SLACK_MS);
    });
  }, 90_000);

  it('429 with a huge Retry-After (10^22 s): honoured only up to maxRetryAfterMs, no timer overflow', async () => {
    await phase(5, answer(429, { error: 'go away' }, { 'retry-after': '9999999999999999999999' }), async (ids, from) => {
      await waitAttempts(ids, from, 2, 30_000);
      await assertWaiting(ids, 500);
      assertGaps(ids, from, MAX_RETRY_AFTER_MS - 50, MAX_RETRY_AFTER_MS + MAX_BACKOFF_MS + SLACK_MS);
    });
  }, 90_000);

  it('429 with a Retry-After of 2^31 ms in seconds (2147484 s): capped, not an overflowed timer firing at once', async () => {
    await phase(5, answer(429, { error: 'go away' }, { 'retry-after': '2147484' }), async (ids, from) => {
      await waitAttempts(ids, from, 2, 30_000);
      await assertWaiting(ids, 500);
      assertGaps(ids, from, MAX_RETRY_AFTER_MS - 50, MAX_RETRY_AFTER_MS + MAX_BACKOFF_MS + SLACK_MS);
    });
  }, 90_000);

  for (const [label, value] of [['negative', '-5'], ['garbage', 'soon, maybe'], ['fractional', '1.5e3'], ['empty', ''], ['a past HTTP-date', 'Thu, 01 Jan 1970 00:00:00 GMT']] as const) {
    it(`429 with a ${label} Retry-After (${JSON.stringify(value)}): ordinary backoff, delivery goes on`, async () => {
      await phase(5, answer(429, { error: 'slow down' }, { 'retry-after': value }), async (ids, from) => {
        await waitAttempts(ids, from, 3);
        await assertWaiting(ids, 500);
        assertGaps(ids, from, 0, MAX_BACKOFF_MS + SLACK_MS);
      });
    }, 90_000);
  }

  it('503 with Retry-After as an HTTP-date 3 s ahead: the next attempt not before that date', async () => {
    const handler: Handler = ({ req, res }) => {
      const until = Math.ceil(Date.now() / 1000) * 1000 + 3_000;
      sendJson(res, 503, { error: 'maintenance' }, { 'retry-after': new Date(until).toUTCString() });
      req.answeredAt = Date.now();
      (req as any).until = until;
    };
    await phase(5, handler, async (ids, from) => {
      await waitAttempts(ids, from, 2, 30_000);
      await assertWaiting(ids, 500);
      for (const [batch, reqs] of byBatch(requestsFor(ids, from))) {
        for (let k = 0; k + 1 < reqs.length; k++) {
          const until = (reqs[k] as any).until as number;
          expect(reqs[k + 1]!.at, `${batch}: attempt ${k + 2} ${until - reqs[k + 1]!.at} ms before the date`).toBeGreaterThanOrEqual(until - 50);
          expect(reqs[k + 1]!.at - until).toBeLessThanOrEqual(MAX_BACKOFF_MS + SLACK_MS);
        }
      }
    });
  }, 90_000);
});

describe('no answer, a slow answer, a cut answer', () => {
  it('the answer never comes: each request is given the full timeoutMs, then sent again, byte for byte, under the same Idempotency-Key', async () => {
    // 9 records over 3 partitions, 2 of them delivered at once over the 2 connections of the pool (the
    // configuration refuses fewer connections than partitions delivered at once: no request queues)
    await phase(9, () => { /* never answers */ }, async (ids, from) => {
      await waitAttempts(ids, from, 4, 30_000);
      await assertWaiting(ids, 500);
      for (const [batch, reqs] of byBatch(requestsFor(ids, from))) {
        const timeline = reqs.map((r) => `#${r.seq} conn ${r.conn} at +${r.at - reqs[0]!.at} ms, given up ${r.closedAt === undefined ? 'not yet' : `at +${r.closedAt - reqs[0]!.at} ms (${r.closedBy})`}`).join('; ');
        for (let k = 0; k + 1 < reqs.length; k++) {
          const given = reqs[k]!.closedAt;
          expect(given, `${batch}: attempt ${k + 2} sent while attempt ${k + 1} was still open (${timeline})`).toBeDefined();
          expect(given!, `${batch}: attempt ${k + 2} sent while attempt ${k + 1} was still open (${timeline})`).toBeLessThanOrEqual(reqs[k + 1]!.at);
          // the platform had timeoutMs to answer from the moment the request reached it
          expect(given! - reqs[k]!.at, `${batch}: attempt ${k + 1} given up ${given! - reqs[k]!.at} ms after it reached the platform, timeoutMs is ${TIMEOUT_MS} (${timeline})`).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
          expect(reqs[k + 1]!.at - given!, `${batch}: attempt ${k + 2} came ${reqs[k + 1]!.at - given!} ms after attempt ${k + 1} was given up`).toBeLessThanOrEqual(MAX_BACKOFF_MS + SLACK_MS);
          expect(reqs[k + 1]!.raw.equals(reqs[0]!.raw), `${batch}: resent byte for byte`).toBe(true);
          expect(reqs[k + 1]!.headers['idempotency-key']).toBe(batch);
        }
      }
    });
  }, 90_000);

  it('the answer comes byte by byte, slower than timeoutMs: given up at timeoutMs (not kept alive by each byte) and sent again', async () => {
    const trickle: Handler = ({ req, res, socket, intake: on }) => {
      const body = on.goodAnswer(req); // the platform took the events; only the answer is slow
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
      res.flushHeaders();
      let i = 0;
      const timer = setInterval(() => {
        if (socket.destroyed || i >= body.length) {
          clearInterval(timer);
          if (!socket.destroyed) res.end();
          return;
        }
        res.write(body.subarray(i, ++i));
      }, 200);
    };
    await phase(5, trickle, async (ids, from) => {
      await waitAttempts(ids, from, 2, 20_000);
      assertResentInTime(ids, from);
      await assertHealthy();
    });
  }, 90_000);

  it('the connection is cut in the middle of the answer: sent again, nothing taken from half an answer', async () => {
    const cut: Handler = ({ req, res, socket }) => {
      const results = req.body.events.map((e: any) => ({ eventId: e.eventId, outcome: 'accepted' }));
      const body = Buffer.from(JSON.stringify({ format: 'credit-delivery-answer/v1', batch: req.body.batch, results }));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => setTimeout(() => socket.destroy(), 20));
    };
    await phase(5, cut, async (ids, from) => {
      await waitAttempts(ids, from, 3);
      await assertWaiting(ids, 500);
    });
  }, 90_000);

  it('the status line and headers come byte by byte, slower than timeoutMs: given up and sent again', async () => {
    const slowHead: Handler = ({ req, socket, intake: on }) => {
      const body = on.goodAnswer(req);
      const raw = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`), body]);
      let i = 0;
      const timer = setInterval(() => {
        if (socket.destroyed || i >= raw.length) return void clearInterval(timer);
        socket.write(raw.subarray(i, ++i));
      }, 200);
    };
    await phase(5, slowHead, async (ids, from) => {
      await waitAttempts(ids, from, 2, 20_000);
      assertResentInTime(ids, from);
    });
  }, 90_000);

  it('the intake is down (connection refused): delivery waits and goes on when it is back', async () => {
    await intake.down();
    let ids: string[] = [];
    try {
      const from = intake.nextSeq;
      ids = await push(5);
      await assertWaiting(ids, 4_000);
      expect(intake.since(from)).toEqual([]);
    } finally {
      await intake.up();
    }
    await recover(ids);
  }, 90_000);

  it('the connection is cut before any answer: sent again', async () => {
    await phase(5, ({ socket }) => { socket.destroy(); }, async (ids, from) => {
      await waitAttempts(ids, from, 3);
      await assertWaiting(ids, 500);
    });
  }, 90_000);
});

describe('200 that is not the contract: tried again, nothing applied', () => {
  const earlierAccepted = (): { eventId: string; recordId: string } => {
    const a = [...intake.applied.values()].find((x) => x.outcome === 'accepted');
    if (!a) throw new Error('no earlier accepted event');
    return a;
  };
  const cases: [string, Handler][] = [
    ['invalid JSON', answer(200, '{"format": "credit-delivery-answer/v1", "batch": ')],
    ['an empty body', answer(200, '')],
    ['JSON null', answer(200, 'null')],
    ['a JSON array of results', twisted((a) => a.results)],
    ['the file way\'s format tag (credit-delivery-feedback/v1)', twisted((a) => ({ ...a, format: 'credit-delivery-feedback/v1' }))],
    ['a later version\'s format tag (credit-delivery-answer/v2)', twisted((a) => ({ ...a, format: 'credit-delivery-answer/v2' }))],
    ['no format tag', twisted((a) => ({ batch: a.batch, results: a.results }))],
    ['the batch name of another partition', twisted((a) => ({ ...a, batch: a.batch.replace(/\.p(\d+)\./, (_m: string, p: string) => `.p${Number(p) + 7}.`) }))],
    ['the batch name of other offsets of the same partition', twisted((a, req) => ({ ...a, batch: a.batch.replace(/\.(\d{12})-(\d{12})$/, `.${pad12(req.body.firstOffset + 1000)}-${pad12(req.body.lastOffset + 1000)}`) }))],
    ['results for the events plus one for an event id never sent', twisted((a) => ({ ...a, results: [...a.results, { eventId: randomUUID(), outcome: 'accepted' }] }))],
    ['results missing the last event', twisted((a) => ({ ...a, results: a.results.slice(0, -1) }))],
    ['no results at all', twisted((a) => ({ ...a, results: [] }))],
    ['each event twice, accepted and rejected', twisted((a) => ({ ...a, results: a.results.flatMap((r: any) => [r, { eventId: r.eventId, outcome: 'rejected', reason: '矛盾', field: '/subject/name' }]) }))],
    ['each event twice, rejected then accepted', twisted((a) => ({ ...a, results: a.results.flatMap((r: any) => [{ eventId: r.eventId, outcome: 'rejected', reason: '矛盾' }, r]) }))],
    ['an outcome not in the contract ("maybe")', twisted((a) => ({ ...a, results: a.results.map((r: any, i: number) => (i === 0 ? { ...r, outcome: 'maybe' } : r)) }))],
    ['outcomes in upper case ("ACCEPTED")', twisted((a) => ({ ...a, results: a.results.map((r: any) => ({ ...r, outcome: 'ACCEPTED' })) }))],
    ['results without an outcome', twisted((a) => ({ ...a, results: a.results.map((r: any) => ({ eventId: r.eventId })) }))],
    ['results whose eventId is a number', twisted((a) => ({ ...a, results: a.results.map((r: any, i: number) => (i === 0 ? { ...r, eventId: 12345 } : r)) }))],
    ['results as an object keyed by eventId', twisted((a) => ({ ...a, results: Object.fromEntries(a.results.map((r: any) => [r.eventId, r])) }))],
  ];
  for (const [label, handler] of cases) {
    it(`${label}`, async () => {
      await phase(5, handler, async (ids, from) => {
        await waitAttempts(ids, from, 3);
        await assertWaiting(ids, 800);
      });
    }, 90_000);
  }

  it('a result for an earlier batch\'s event, rejecting it: the batch is tried again and the earlier record stays accepted', async () => {
    const earlier = earlierAccepted();
    const before = await deliveryOf(earlier.recordId);
    expect(before.state).toBe('accepted');
    await phase(5, twisted((a) => ({ ...a, results: [...a.results, { eventId: earlier.eventId, outcome: 'rejected', reason: '劫持', field: '/subject/name' }] })), async (ids, from) => {
      await waitAttempts(ids, from, 3);
      await assertWaiting(ids, 800);
      expect(await deliveryOf(earlier.recordId)).toEqual(before);
    });
    expect(await deliveryOf(earlier.recordId)).toEqual(before);
  }, 90_000);
});

describe('200 answers by the contract, with poisoned content', () => {
  it('a rejection with a 1 MB reason: the record is rejected, the others accepted, the process stays well', async () => {
    const MARK = '超长理由';
    const reason = `R${'拒收理由'.repeat(87_382)}`; // 1 MiB of UTF-8
    expect(Buffer.byteLength(reason)).toBeGreaterThanOrEqual(1_048_576);
    intake.rejectWhen = (e) => (e.record?.subject?.name?.includes(MARK) ? { reason, field: '/subject/name' } : null);
    try {
      await phase(5, wellBehaved, async (ids) => {
        await expect.poll(async () => statesOf(ids), { timeout: 30_000 }).toEqual(['rejected', 'accepted', 'accepted', 'accepted', 'accepted']);
        const d = await deliveryOf(ids[0]!);
        expect(d.field).toBe('/subject/name');
        expect(typeof d.reason).toBe('string');
        expect(reason.startsWith(d.reason.slice(0, 1000)), 'the stored reason is the platform\'s (perhaps shortened)').toBe(true);
        notes.push(`1 MB reason: stored ${Buffer.byteLength(d.reason)} bytes of it`);
        const listing = await get(`/v1/deliveries?destination=${name}&state=rejected`);
        expect(listing.status).toBe(200);
        await assertHealthy();
      }, { subjectName: (i) => (i === 0 ? `${MARK}样例企业` : undefined), expected: (ids) => ({ [ids[0]!]: 'rejected' }) });
    } finally {
      intake.rejectWhen = () => null;
    }
  }, 90_000);

  const poisons: [string, string][] = [
    ['NUL', '/subject/name\u0000; DROP TABLE deliveries'],
    ['control characters (ESC, CR LF, BEL, DEL)', '/subject/\u001b[2J\r\nname\u0007\u007f'],
    ['a lone surrogate (\\ud800)', '/subject/name\ud800'],
  ];
  for (const [label, poison] of poisons) {
    it(`a rejection whose field and reason hold ${label}: recorded, readable, delivery goes on`, async () => {
      const MARK = '毒字段';
      const poisoned = (e: any): boolean => Boolean(e.record?.subject?.name?.includes(MARK));
      intake.rejectWhen = (e) => (poisoned(e) ? { reason: `理由${poison}`, field: poison } : null);
      try {
        await phase(3, wellBehaved, async (ids, from) => {
          // the answer is valid JSON (JSON.stringify writes these as \u0000, \u001b, \ud800): the contract, so applied
          try {
            await expect.poll(async () => statesOf(ids), { timeout: 30_000 }).toEqual(['rejected', 'accepted', 'accepted']);
          } finally {
            notes.push(`field with ${label}: the batch with the rejection was sent ${mostAttempts([ids[0]!], from)} times`);
          }
          const res = await fetch(`${gw.url}/v1/records/${ids[0]}`);
          expect(res.status).toBe(200);
          const d = JSON.parse(await res.text()).deliveries.find((x: any) => x.destination === name);
          expect(typeof d.field).toBe('string');
          notes.push(`field with ${label} ${JSON.stringify(poison)} stored as ${JSON.stringify(d.field)}, reason as ${JSON.stringify(d.reason)}`);
          const listing = await fetch(`${gw.url}/v1/deliveries?destination=${name}&state=rejected`);
          expect(listing.status).toBe(200);
          JSON.parse(await listing.text());
          await assertHealthy();
        }, {
          subjectName: (i) => (i === 0 ? `${MARK}样例企业` : undefined),
          expected: (ids) => ({ [ids[0]!]: 'rejected' }),
          // if the gateway could not record the poisoned answer, a plain one lets delivery go on
          after: () => {
            intake.rejectWhen = (e) => (poisoned(e) ? { reason: 'plain', field: '/subject/name' } : null);
            intake.answerByKey.clear();
          },
        });
      } finally {
        intake.rejectWhen = () => null;
      }
    }, 90_000);
  }

  it('a 50 MB answer (the contract answer, then 50 MB of whitespace), streamed: no event lost, the process stays well', async () => {
    let written = 0;
    let completed = 0;
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const huge: Handler = async ({ req, res, socket, intake: on }) => {
      const body = on.goodAnswer(req);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(body);
      const chunk = Buffer.alloc(65_536, 0x20);
      for (let sent = 0; sent < 50 * 1_048_576; sent += chunk.length) {
        if (socket.destroyed) return;
        written += chunk.length;
        if (!res.write(chunk)) await new Promise((r) => { res.once('drain', r); socket.once('close', r); });
        rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      }
      res.end();
      completed++;
    };
    await phase(5, huge, async (ids, from) => {
      await expect.poll(async () => (await statesOf(ids)).every((s) => s === 'accepted') || mostAttempts(ids, from) >= 3, { timeout: 60_000 }).toBe(true);
      await assertHealthy();
      notes.push(`50 MB answer: ${completed} answers streamed to the end, ${(written / 1_048_576).toFixed(1)} MiB written in all, ${mostAttempts(ids, from)} attempts of the first batch, states ${JSON.stringify(await statesOf(ids))}, rss +${((rssPeak - rssBefore) / 1_048_576).toFixed(0)} MiB in the test process (gateway and intake)`);
    });
  }, 90_000);
});

describe('an answer given twice', () => {
  it('the first answer is dropped after the platform took the batch: the gateway sends it again byte for byte, nothing is applied twice', async () => {
    const acceptedBefore = await metric('accepted');
    const dropFirst: Handler = ({ req, res, socket, intake: on }) => {
      const body = on.goodAnswer(req); // taken (and the answer kept for the Idempotency-Key)
      if (req.attempt === 0) return void socket.destroy();
      sendJson(res, 200, body);
    };
    const ids = await phase(5, dropFirst, async (ids, from) => {
      await waitAttempts(ids, from, 2, 20_000, true);
      await expect.poll(async () => statesOf(ids), { timeout: 30_000 }).toEqual(ids.map(() => 'accepted'));
      for (const [batch, reqs] of byBatch(requestsFor(ids, from))) {
        for (const r of reqs.slice(1)) {
          expect(r.raw.equals(reqs[0]!.raw), `${batch} resent byte for byte`).toBe(true);
          expect(r.headers['idempotency-key']).toBe(batch);
        }
      }
    });
    expect(await metric('accepted') - acceptedBefore, 'gateway_deliveries_total{state="accepted"} counts each record once').toBe(ids.length);
  }, 90_000);

  it('a second, contradicting 200 pushed down the same keep-alive connection after the real answer: not taken as the answer to anything', async () => {
    const rejectedBefore = await metric('rejected');
    const extra: string[] = [];
    const answerThenSmuggle: Handler = ({ req, res, socket, intake: on }) => {
      const body = on.goodAnswer(req);
      sendJson(res, 200, body);
      const lie = Buffer.from(JSON.stringify({
        format: 'credit-delivery-answer/v1', batch: req.body.batch,
        results: req.body.events.map((e: any) => ({ eventId: e.eventId, outcome: 'rejected', reason: '第二次答复', field: '/subject/name' })),
      }));
      res.on('finish', () => {
        if (!socket.destroyed) socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${lie.length}\r\n\r\n${lie.toString('latin1')}`, 'latin1');
      });
    };
    await phase(4, answerThenSmuggle, async (ids) => {
      await expect.poll(async () => statesOf(ids), { timeout: 30_000 }).toEqual(ids.map(() => 'accepted'));
      // the next batches go over the same pool
      extra.push(...(await push(4)));
      await expect.poll(async () => statesOf(extra), { timeout: 30_000 }).toEqual(extra.map(() => 'accepted'));
      await assertHealthy();
    });
    await recover(extra);
    expect(await metric('rejected') - rejectedBefore).toBe(0);
  }, 90_000);
});

describe('4xx', () => {
  const refusal = (status: number, batchOf: (req: IntakeRequest) => string = (req) => req.body.batch): Handler => ({ req, res }) => {
    sendJson(res, status, { format: 'credit-delivery-answer/v1', batch: batchOf(req), error: { code: 'malformed_batch', reason: '不支持的格式版本 v1' } });
    req.answeredAt = Date.now();
  };

  for (const status of [400, 422]) {
    it(`${status} malformed_batch: the batch's events are parked with the platform's reason, and delivery goes on`, async () => {
      const parkedBefore = await metric('parked');
      const ids = await phase(5, refusal(status), async (ids) => {
        await expect.poll(async () => statesOf(ids), { timeout: 30_000 }).toEqual(ids.map(() => 'parked'));
        for (const id of ids) {
          const d = await deliveryOf(id);
          expect(d.reason, `record ${id}: the parked reason`).toBe('the platform refused the batch (平台拒收整批): 不支持的格式版本 v1');
        }
        await assertHealthy();
      }, { expected: (ids) => Object.fromEntries(ids.map((id) => [id, 'parked'])) });
      expect(await metric('parked') - parkedBefore).toBe(ids.length);
      // delivery went on: the next records are delivered (recover() ran with a well-behaved platform)
      const next = await push(3);
      await recover(next);
    }, 90_000);
  }

  it('a parked record can be delivered again by an operator (POST …/redelivery) once the platform takes it', async () => {
    const [parked] = await phase(2, refusal(422), async (ids) => {
      await expect.poll(async () => statesOf(ids), { timeout: 30_000 }).toEqual(ids.map(() => 'parked'));
    }, { expected: (ids) => Object.fromEntries(ids.map((id) => [id, 'parked'])) });
    const res = await post(`/v1/records/${parked}/deliveries/${name}/redelivery`, {});
    expect(res.status).toBe(202);
    await expect.poll(async () => (await deliveryOf(parked!))?.state, { timeout: 30_000 }).toBe('accepted');
    expect([...intake.applied.values()].filter((a) => a.recordId === parked).length).toBe(1);
  }, 90_000);

  const retried: [string, Handler][] = [
    ['400 without a malformed_batch body', answer(400, 'Bad Request', { 'content-type': 'text/plain' })],
    ['400 with another error code', ({ req, res }) => sendJson(res, 400, { format: 'credit-delivery-answer/v1', batch: req.body.batch, error: { code: 'quota_exceeded', reason: '配额' } })],
    ['422 malformed_batch naming another batch', refusal(422, (req) => req.body.batch.replace(/\.p(\d+)\./, '.p99.'))],
    ['401', answer(401, { error: 'unauthorized' }, { 'www-authenticate': 'Bearer error="invalid_token"' })],
    ['403', answer(403, { error: 'forbidden' })],
    ['404', answer(404, { error: 'not found' })],
    ['413', answer(413, { error: 'payload too large' })],
    ['418', answer(418, { error: 'teapot' })],
  ];
  for (const [label, handler] of retried) {
    it(`${label}: tried again with backoff, nothing parked or accepted`, async () => {
      const parkedBefore = await metric('parked');
      await phase(5, handler, async (ids, from) => {
        await waitAttempts(ids, from, 3);
        await assertWaiting(ids, 800);
        expect(await metric('parked') - parkedBefore, 'events parked').toBe(0);
      });
    }, 90_000);
  }
});

describe('redirects (the README says nothing of them)', () => {
  for (const status of [301, 302, 307, 308]) {
    it(`${status} to another host and port: the bearer token does not go there, nothing is taken as accepted, delivery waits`, async () => {
      const elsewhereFrom = elsewhere.nextSeq;
      const redirect: Handler = ({ req, res }) => {
        res.writeHead(status, { location: elsewhere.url, 'content-length': '0' });
        res.end();
        req.answeredAt = Date.now();
      };
      await phase(5, redirect, async (ids, from) => {
        await waitAttempts(ids, from, 3);
        await assertWaiting(ids, 800);
        const there = elsewhere.since(elsewhereFrom);
        notes.push(`${status} redirect: ${there.length ? `followed (${there.length} requests to the other host, authorization ${JSON.stringify(there[0]!.headers.authorization)})` : 'not followed'}; ${mostAttempts(ids, from)} attempts at the intake`);
        for (const r of there) expect(r.headers.authorization ?? '', 'the bearer token sent to the host a redirect named').not.toContain(TOKEN);
      });
    }, 90_000);
  }
});

describe('at the end', () => {
  it('every accepted state is an event this platform accepted, and none was handed over twice', async () => {
    const all: any[] = [];
    let cursor = '';
    for (let page = 0; page < 50; page++) {
      const res = await get(`/v1/deliveries?destination=${name}&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      all.push(...res.body.deliveries);
      if (!res.body.hasMore) break;
      cursor = res.body.nextCursor;
    }
    expect(all.length, 'a delivery state for every record pushed').toBe(new Set(pushed).size);
    const byRecord = new Map([...intake.applied.values()].map((a) => [a.recordId, a]));
    const wrong = all
      .filter((d) => (d.state === 'accepted' || d.state === 'rejected' ? byRecord.get(d.recordId)?.outcome !== d.state : d.state !== 'parked'))
      .map((d) => `${d.recordId}: ${d.state} at the gateway, ${byRecord.get(d.recordId)?.outcome ?? 'never taken'} at the platform`);
    expect(wrong, 'states the platform did not give').toEqual([]);
    expect(intake.handedOverAgain).toEqual([]);
    expect(intake.violations).toEqual([]);
    expect(await metric('accepted')).toBe(all.filter((d) => d.state === 'accepted').length);
    await assertHealthy();
  }, 90_000);
});
