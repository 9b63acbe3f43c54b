/**
 * The 政务诚信 score of a region or a government subject for one period: a number in (0, 100],
 * higher is better, 100 = nothing against it. Pure.
 *
 * Formula (weights from config `monitoring.scoreWeights`):
 *
 *   penalty = severe  × activeSevere            (active negative records at period end, by severity)
 *           + general × activeGeneral
 *           + minor   × activeMinor
 *           + dishonestDebtor × debtorSubjects  (government subjects on the 失信被执行人 list at period end)
 *           + paymentDefault  × unresolvedPaymentDefaults   (政府采购 payment defaults not resolved)
 *           + overdueHandling × (objectionsPastDeadline + repairsPastDeadline)
 *
 *   score   = 100 × halfScorePenalty / (halfScorePenalty + penalty)
 *
 * so the score is 100 with no penalty, exactly 50 when the penalty equals `halfScorePenalty`, falls
 * strictly as the penalty grows, and never reaches 0 (regions stay distinguishable however bad).
 * A subject on the 失信被执行人 list counts both through its active records and as a debtor subject:
 * the list is the one the policy texts single out. New records in the period do not enter the score
 * (they are already among the active ones); they are reported beside it. Rounded to 2 decimals.
 */

export interface ScoreWeights {
  severe: number;
  general: number;
  minor: number;
  dishonestDebtor: number;
  paymentDefault: number;
  overdueHandling: number;
  /** the penalty at which the score is 50 */
  halfScorePenalty: number;
}

export interface ScoreInputs {
  activeSevere: number;
  activeGeneral: number;
  activeMinor: number;
  debtorSubjects: number;
  unresolvedPaymentDefaults: number;
  objectionsPastDeadline: number;
  repairsPastDeadline: number;
}

export const SCORE_MAX = 100;

export function penaltyOf(inputs: ScoreInputs, w: ScoreWeights): number {
  return (
    w.severe * inputs.activeSevere +
    w.general * inputs.activeGeneral +
    w.minor * inputs.activeMinor +
    w.dishonestDebtor * inputs.debtorSubjects +
    w.paymentDefault * inputs.unresolvedPaymentDefaults +
    w.overdueHandling * (inputs.objectionsPastDeadline + inputs.repairsPastDeadline)
  );
}

export function integrityScore(inputs: ScoreInputs, w: ScoreWeights): number {
  for (const [name, value] of Object.entries(inputs)) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`score input ${name} must be a non-negative number, got ${value}`);
  }
  if (!(w.halfScorePenalty > 0)) throw new RangeError('halfScorePenalty must be positive');
  const penalty = penaltyOf(inputs, w);
  return Math.round((SCORE_MAX * w.halfScorePenalty * 100) / (w.halfScorePenalty + penalty)) / 100;
}

export interface Ranked<T> {
  rank: number;
  item: T;
}

/**
 * Competition ranking ("1224"): higher score first; equal scores share a rank, and the next rank
 * skips. Ties are listed by `tieKey` so the order is stable.
 */
export function rankByScore<T>(items: readonly T[], scoreOf: (t: T) => number, tieKey: (t: T) => string): Ranked<T>[] {
  const sorted = [...items].sort((a, b) => scoreOf(b) - scoreOf(a) || tieKey(a).localeCompare(tieKey(b)));
  const out: Ranked<T>[] = [];
  sorted.forEach((item, i) => {
    const prev = out[i - 1];
    const rank = prev && scoreOf(prev.item) === scoreOf(item) ? prev.rank : i + 1;
    out.push({ rank, item });
  });
  return out;
}
