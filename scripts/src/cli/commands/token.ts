// `hub token`: mint a development token with the local issuer's key.
import { loadConfig } from '@hub/config';
import { HubError } from '@hub/errors';
import { authDir, loadKeyRing, mintToken, type Clearance, type Role } from '@hub/query-api';
import type { Command } from '../command';
import { parse, refuseExtra } from '../command';

const USAGE = `hub token --role <analyst|coordinator|auditor|node-operator|admin> --country <CC> [--clearance <TLP>] [--ttl <seconds>] [--sub NAME]

Prints a JWT (ES256) signed by the local issuer in $HUB_HOME/auth. --clearance defaults to GREEN, --ttl to 3600;
a negative ttl gives an already expired token, for tests.`;

export const tokenCommand: Command = {
  name: 'token',
  summary: 'mint a development token for the local issuer',
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parse(
      args,
      {
        role: { type: 'string' },
        country: { type: 'string' },
        clearance: { type: 'string' },
        ttl: { type: 'string' },
        sub: { type: 'string' },
      },
      USAGE,
    );
    refuseExtra(positionals, 'hub token takes options only', USAGE);
    if (!values.role || !values.country)
      throw new HubError('USAGE', `--role and --country are required\nusage: ${USAGE}`);
    // As wholeNumber reads one, but signed: an empty --ttl is refused, not read as 0 (a token already expired).
    const ttl = values.ttl === undefined ? 3600 : values.ttl.trim() === '' ? NaN : Number(values.ttl);
    if (!Number.isSafeInteger(ttl))
      throw new HubError(
        'USAGE',
        `--ttl must be a whole number of seconds (negative: an already expired token), got ${JSON.stringify(values.ttl)}\nusage: ${USAGE}`,
      );
    const ring = loadKeyRing(authDir(loadConfig().hubHome));
    const token = mintToken(ring, {
      sub: values.sub ?? `${values.role}@${values.country.toUpperCase()}`,
      role: values.role as Role,
      country: values.country.toUpperCase(),
      clearance: (values.clearance ?? 'GREEN').toUpperCase() as Clearance,
      ttlSeconds: ttl,
    });
    process.stdout.write(`${token}\n`);
    return 0;
  },
};
