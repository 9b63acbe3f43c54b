/**
 * What the gateway logged of its slow /v1 requests during a phase (auth.slowRequestMs): for each, when
 * its steps ended (src/auth/request-marks.ts). One line: how many, the step that took longest in how
 * many of them, and the median of each step — so a tail can be put on the token check, the handler,
 * the admission, the audit row's commit or the signing, rather than guessed. For GET requests (the
 * admission runs alongside the handler; a POST's comes before it and counts as handler time here).
 */
import type { RequestMarks } from '../../src/auth/request-marks.js';

type Marks = RequestMarks & { totalMs: number };

const STEPS = ['verify', 'handler', 'admission', 'audit', 'signing'] as const;
type Step = (typeof STEPS)[number];

/** Each step's time in ms: verify, handler (after verify), admission (beyond the handler), audit commit, signing. */
function stepsOf(m: Marks): Record<Step, number> {
  const verified = m.verified ?? 0;
  const answered = m.answered ?? verified;
  const ready = Math.max(answered, m.admitted ?? 0);
  const audited = m.audited ?? ready;
  return {
    verify: verified,
    handler: answered - verified,
    admission: ready - answered,
    audit: audited - ready,
    signing: m.totalMs - audited,
  };
}

/** The slow-request records in `output` (the gateway's JSON log lines). */
function slowRequests(output: string): Marks[] {
  const found: Marks[] = [];
  for (const line of output.split('\n')) {
    if (!line.includes('"slowRequest"')) continue;
    try {
      found.push((JSON.parse(line) as { slowRequest: Marks }).slowRequest);
    } catch {
      // a line cut by the read: left out
    }
  }
  return found;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

export function slowRequestsLine(output: string, thresholdMs: number): string {
  const slow = slowRequests(output).map(stepsOf);
  if (slow.length === 0) return `slow requests (≥ ${thresholdMs} ms in the auth layer): none`;
  const longest = new Map<Step, number>(STEPS.map((s) => [s, 0]));
  for (const steps of slow) {
    const top = STEPS.reduce((a, b) => (steps[b] > steps[a] ? b : a));
    longest.set(top, longest.get(top)! + 1);
  }
  return `slow requests (≥ ${thresholdMs} ms in the auth layer): ${slow.length}; longest step in them: ` +
    STEPS.map((s) => `${s} ${longest.get(s)}`).join(', ') + '; median ms: ' +
    STEPS.map((s) => `${s} ${median(slow.map((x) => x[s])).toFixed(1)}`).join(', ');
}
