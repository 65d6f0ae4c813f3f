// `hub audit`: walk the query API's audit log from its first entry, straight from the store, and say whether the
// hash chain holds; for the hub's operator (a scheduled check that exits non-zero on a break) and for a restored
// backup, without the query API.
import { loadConfig } from '@hub/config';
import { createAuditLog } from '@hub/query-api';
import { connectStore } from '@hub/store';
import type { Command } from '../command';
import { parse, refuseExtra } from '../command';

const USAGE = `hub audit [--json]

Walks the audit log (every read and action of the query API, hash-chained) from its first entry in the store
(HUB_MONGO_URL, HUB_MONGO_DB) and checks each entry against its hash and the one before it. Prints
"VALID: n entries" or where the chain breaks and why (--json: the verification as JSON). Exit 0 only if it holds.`;

export const auditCommand: Command = {
  name: 'audit',
  summary: 'verify the hash chain of the audit log from its first entry, straight from the store',
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parse(args, { json: { type: 'boolean' } }, USAGE);
    refuseExtra(positionals, 'hub audit takes options only', USAGE);
    const config = loadConfig();
    const store = await connectStore({
      url: config.mongo.url,
      dbName: config.mongo.dbName,
      appName: 'hub-audit',
    });
    try {
      const verdict = await createAuditLog(store).verify();
      process.stdout.write(
        values.json
          ? `${JSON.stringify(verdict)}\n`
          : verdict.valid
            ? `VALID: ${verdict.checked} entries, each chained to the one before it from the first\n`
            : `BROKEN at entry ${verdict.brokenAt}: ${verdict.reason} (${verdict.checked} entries before it hold)\n`,
      );
      return verdict.valid ? 0 : 1;
    } finally {
      await store.close();
    }
  },
};
