// How an alert is scored and what a copy of it withholds: one definition for the coordinator, which makes each
// country's copy (correlate.ts), and the query API, which makes each caller's view (routes-alerts.ts).

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

/** What every alert holds, as stored, sent to the nodes or read from a feed (CrossBorderAlert v1). */
export interface AlertShape {
  rule: string;
  matched: { reportId: string; country: string; version: number; evaluation: string | null }[];
  countries: string[];
  score: number;
  reason: string;
}

/**
 * `alert` as told to a reader of `readerCountry`, shown of its matched reports those `isShown` takes: the coordinator's
 * copy for a country (correlate.ts, alertFor) and the query API's view for a caller (routes-alerts.ts, alertView). The
 * others are left out of `matched`, their countries out of `countries` (unless the reader's own, when the alert names
 * it, or named by a report shown), their evaluations out of the score (counted as unevaluated: with those shown, the
 * whole alert's score would tell them), and the reason says how many are withheld. The reader's own reports left out
 * (withdrawn or erased since) are not counted as withheld, nor taken out of the score: its own, it knows of them. The
 * alert itself when every report is shown; otherwise a copy under the whole alert's id and rule.
 */
export function withholdFromAlert<A extends AlertShape>(
  alert: A,
  isShown: (m: A['matched'][number]) => boolean,
  readerCountry: string,
): A {
  const shown: A['matched'] = [];
  let withheld = 0;
  for (const m of alert.matched) {
    if (isShown(m)) shown.push(m);
    else if (m.country !== readerCountry) withheld += 1;
  }
  if (shown.length === alert.matched.length) return alert;
  const own = (m: { country: string }) => m.country === readerCountry;
  const ids = new Set(shown.map((m) => m.reportId));
  const named = alert.countries.includes(readerCountry) ? [readerCountry] : [];
  return {
    ...alert,
    matched: shown,
    countries: [...new Set([...shown.map((m) => m.country), ...named])].sort(),
    score:
      withheld === 0
        ? alert.score
        : alertScore(
            alert.rule,
            alert.matched.map((m) => (ids.has(m.reportId) || own(m) ? m.evaluation : null)),
          ),
    reason: withheldReason(alert.reason, withheld, shown.every(own)),
  };
}
