/** What every value parser answers: the value, or the problem that refuses it. */

/** Why a field value is refused or doubtful. `rule` is a stable id such as `value.date` or `value.amount_unit_conflict`. */
export interface ValueProblem {
  rule: string;
  zh: string;
  en: string;
}

export type Parsed<T> = { ok: true; value: T; warning?: ValueProblem } | { ok: false; problem: ValueProblem };
