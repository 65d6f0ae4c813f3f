// Whole numbers given to the run verbs (`hub start --reports`, `hub replay --timeout`, HUB_TEST_SILENCE_LIMIT_S):
// refused with the option, the value and the rule, where Number() would read a typo as NaN or 0 and go on.
import { HubError } from '@hub/errors';

export interface WholeNumberRule {
  /** Smallest value taken; default 0. */
  min?: number;
  /** What the number counts, for the message: `reports`, `seconds`. */
  unit?: string;
  /** Appended to the message, e.g. the verb's usage. */
  usage?: string;
}

/**
 * `raw` as a whole number of at least `rule.min`, or `fallback` when it is not given (undefined). Anything else
 * (`abc`, `1.5`, `-1`, an empty string) is a USAGE error naming `name` (`--reports`, `HUB_TEST_SILENCE_LIMIT_S`).
 */
export function wholeNumber(
  name: string,
  raw: string | undefined,
  fallback: number,
  rule: WholeNumberRule = {},
): number {
  if (raw === undefined) return fallback;
  const min = rule.min ?? 0;
  const n = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isSafeInteger(n) || n < min)
    throw new HubError(
      'USAGE',
      `${name} must be a whole number${rule.unit ? ` of ${rule.unit}` : ''} from ${min} up, got ${JSON.stringify(raw)}` +
        (rule.usage ? `\nusage: ${rule.usage}` : ''),
    );
  return n;
}
