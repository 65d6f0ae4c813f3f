// How an alert is scored and how a copy of it says what it withholds: one definition for the coordinator, which
// makes each country's copy (correlate.ts), and the query API, which makes each caller's view (routes-alerts.ts).

export type AlertRule = 'shared_identifier' | 'linked_case' | 'route_and_concealment';

const BASE_SCORE: Record<AlertRule, number> = {
  shared_identifier: 0.9,
  linked_case: 0.8,
  route_and_concealment: 0.5,
};
const SOURCE: Record<string, number> = { A: 1, B: 0.8, C: 0.6, D: 0.4, E: 0.2, X: 0.5 };
const INFO: Record<string, number> = { '1': 1, '2': 0.8, '3': 0.6, '4': 0.4 };

/**
 * 0..1: the rule's strength, weighed by the 4x4 evaluations given (an unevaluated report, or one withheld from the
 * reader, counts as X3). An unknown rule weighs 0.5.
 */
export function alertScore(rule: string, evaluations: (string | null)[]): number {
  const weights = evaluations.map((e) => (SOURCE[e?.[0] ?? 'X'] ?? 0.5) * (INFO[e?.[1] ?? '3'] ?? 0.6));
  const mean = weights.reduce((s, w) => s + w, 0) / Math.max(1, weights.length);
  return Math.round((BASE_SCORE[rule as AlertRule] ?? 0.5) * (0.5 + 0.5 * mean) * 1000) / 1000;
}

/**
 * `reason` with a note of the `withheld` matching reports the reader may not read, put after the rule's sentence
 * (before any note of older seizures left out): how many, never whose. `onlyOwn`: every report shown is the reader's.
 */
export function withheldReason(reason: string, withheld: number, onlyOwn: boolean): string {
  if (withheld === 0) return reason;
  const one = withheld === 1;
  const note = onlyOwn
    ? `${withheld} ${one ? 'report' : 'reports'} you may not read ${one ? 'matches' : 'match'} yours`
    : `${withheld} of them, which you may not read, ${one ? 'is' : 'are'} withheld by their handling`;
  const at = reason.indexOf('; ');
  return at < 0 ? `${reason}; ${note}` : `${reason.slice(0, at)}; ${note}${reason.slice(at)}`;
}
