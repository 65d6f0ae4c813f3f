// A country named on the command line: an ISO 3166-1 alpha-2 code of the standard's list, in any case.
import { resolveCountry } from '@hub/domain';
import { HubError } from '@hub/errors';

/**
 * `given` as an upper-case ISO 3166-1 alpha-2 code (HUB too, the coordination node, with `hub`); refused (USAGE)
 * naming `what` (the argument or option), the value, the rule, and the code meant when `given` is an alpha-3 code or
 * a country's name.
 */
export function countryArgument(
  given: string,
  what: string,
  usage: string,
  options: { hub?: boolean } = {},
): string {
  const code = given.trim().toUpperCase();
  if (options.hub && code === 'HUB') return code;
  if (/^[A-Z]{2}$/.test(code) && resolveCountry(code) === code) return code;
  const meant = given.length <= 60 ? resolveCountry(given) : undefined;
  throw new HubError(
    'USAGE',
    `${what} ${JSON.stringify(given)} is not an ISO 3166-1 alpha-2 country code (two letters of the standard's list, like KZ)` +
      (options.hub ? ', nor HUB (the coordination node)' : '') +
      (meant ? `; ${given} is ${meant}` : '') +
      `\nusage: ${usage}`,
  );
}
