// `hub quarantine list|redrive`: the records the coordinator refused, and taking them again once the cause is mended.
import { hostname, userInfo } from 'node:os';
import { loadConfig } from '@hub/config';
import { listed, redriveQuarantined, type RedriveResult } from '@hub/coordinator';
import { HubError } from '@hub/errors';
import type { Command } from '../command';
import { parse, say } from '../command';
import { cliLogger } from '../cli-logger';

const USAGE = `hub quarantine redrive [ID ...] [--reason R] [--country CC] [--since DATE] [options]
hub quarantine list [--reason R] [--country CC] [--since DATE]

redrive: the coordinator takes quarantined records again, once what refused them is mended (the signer's
certificate announced after its grace ran out, the hub's schemas or rules updated, a clock set right). Run it
where the coordinator's HUB_HOME is: each record's original bytes are sent, unchanged, inside a re-drive signed by
the coordination node on its own topic (hub.node.HUB.out). The coordinator checks them as it did the first time,
as sent by the node whose topic they were read from; that node gets the receipt. Accepted, they are stored as
they would have been; refused again, they are quarantined again with the new reason. Entries whose last re-drive
was accepted are left out (--again takes them too: a redelivery, nothing changes). A record larger than any
envelope (1 MiB), of which the quarantine keeps only the first 64 KiB, can never be taken again: left out of what
the filters match, refused when named.

  ID           quarantine entry ids, as GET /v1/quarantine and \`list\` give them (<topic>:<partition>:<offset>)
  --reason     the entries refused for this reason (e.g. unknown-signer, unknown-schema, invalid-content)
  --country    the entries read from this country's node topic
  --since      the entries quarantined at or after this time (ISO 8601)
  --again      also entries whose last re-drive was accepted
  --dry-run    list what would be re-driven; send nothing
  --wait SECS  wait this long for the coordinator to take them (default 30; 0: do not wait)
  --by NAME    who asks for it, recorded with each re-drive (default: user@host)

list: the entries that match, oldest first, one JSON object a line, with what came of their last re-drive; without
a filter, every entry. At most 10,000: when more match, it says so on stderr and exits 1 (narrow with the filters,
or go on with --since the time it names).

Prints one JSON object a line per entry: id, topic, reason, messageId, and (redrive) the outcome when known.
Exit status: 0 done (every entry accepted when waited for), 1 some refused again or not taken in time (list: more
entries match than it gives), 2 usage.`;

/** What `hub quarantine` was asked, checked before anything connects. */
export interface QuarantineOptions {
  listOnly: boolean;
  ids: string[];
  reason?: string;
  country?: string;
  since?: number;
  again: boolean;
  dryRun: boolean;
  waitSeconds: number;
  by?: string;
}

/**
 * The options of `hub quarantine`: `list` takes filters or none (every entry); `redrive` must name its entries (ids or
 * a filter), since taking every refused record again is seldom meant.
 */
export function quarantineOptions(args: string[]): QuarantineOptions {
  const { values, positionals } = parse(
    args,
    {
      reason: { type: 'string' },
      country: { type: 'string' },
      since: { type: 'string' },
      again: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      wait: { type: 'string' },
      by: { type: 'string' },
    },
    USAGE,
  );
  const [verb, ...ids] = positionals;
  if (verb !== 'redrive' && verb !== 'list')
    throw new HubError(
      'USAGE',
      `${verb === undefined ? 'say what to do: redrive or list' : `hub quarantine does not know ${JSON.stringify(verb)}: say redrive or list`}\nusage: ${USAGE.split('\n\n')[0]}`,
    );
  if (verb === 'list' && ids.length)
    throw new HubError(
      'USAGE',
      `list takes filters, not ids, got ${ids.map((i) => JSON.stringify(i)).join(' ')}\nusage: ${USAGE.split('\n\n')[0]}`,
    );
  const since = values.since === undefined ? undefined : Date.parse(values.since);
  if (since !== undefined && !Number.isFinite(since))
    throw new HubError('USAGE', `--since must be an ISO 8601 time; got ${values.since}`);
  const waitSeconds = Number(values.wait ?? 30);
  if (!Number.isFinite(waitSeconds) || waitSeconds < 0)
    throw new HubError('USAGE', `--wait must be a number of seconds, 0 or more; got ${values.wait}`);
  const listOnly = verb === 'list';
  if (
    !listOnly &&
    !ids.length &&
    values.reason === undefined &&
    values.country === undefined &&
    since === undefined
  )
    throw new HubError(
      'USAGE',
      `name the entries to redrive: ids, or --reason, --country or --since (all of them: --since 1970-01-01)`,
    );
  return {
    listOnly,
    ids,
    ...(values.reason !== undefined && { reason: values.reason }),
    ...(values.country !== undefined && { country: values.country.toUpperCase() }),
    ...(since !== undefined && { since }),
    again: Boolean(values.again),
    dryRun: Boolean(values['dry-run']),
    waitSeconds,
    ...(values.by !== undefined && { by: values.by }),
  };
}

export const quarantineCommand: Command = {
  name: 'quarantine',
  summary: 'list the records the coordinator refused, or take them again once the cause is mended (redrive)',
  usage: USAGE,
  async run(args) {
    const options = quarantineOptions(args);
    const { listOnly, waitSeconds } = options;
    const log = say('quarantine');
    const config = loadConfig(undefined, { kafkaPrincipal: 'coordinator' });
    const logger = cliLogger('quarantine', config);
    const results = await redriveQuarantined({
      config,
      logger,
      ids: options.ids,
      ...(options.reason !== undefined && { reason: options.reason }),
      ...(options.country !== undefined && { country: options.country }),
      ...(options.since !== undefined && { since: options.since }),
      again: options.again,
      dryRun: options.dryRun,
      listOnly,
      requestedBy: options.by ?? `${userInfo().username}@${hostname()}`,
      waitMs: waitSeconds * 1000,
    });
    if (listOnly) return printList(results, (text) => process.stdout.write(text), log);
    for (const r of results) process.stdout.write(`${JSON.stringify(line(r))}\n`);
    if (options.dryRun) {
      log(`${results.length} entries would be re-driven`);
      return 0;
    }
    const accepted = results.filter((r) => r.outcome?.outcome === 'accepted').length;
    const refused = results.filter((r) => r.outcome?.outcome === 'rejected').length;
    const unknown = results.length - accepted - refused;
    log(
      `${results.length} re-driven: ${accepted} accepted, ${refused} refused again` +
        (waitSeconds > 0 && unknown
          ? `, ${unknown} not taken within ${waitSeconds} s (is the coordinator running?)`
          : ''),
    );
    return refused || (waitSeconds > 0 && unknown) ? 1 : 0;
  },
};

/**
 * `hub quarantine list`: the entries found, one JSON object a line to `out`; when more match than a list gives, says
 * so (`log`, on stderr) and comes to 1, so that a script reading the list does not take it for all of them.
 */
export function printList(
  results: RedriveResult[],
  out: (text: string) => void,
  log: (line: string) => void,
): number {
  const { entries, more } = listed(results);
  for (const r of entries) out(`${JSON.stringify(line(r))}\n`);
  if (!more) return 0;
  log(more);
  return 1;
}

function line(r: RedriveResult) {
  const mark = r.outcome ?? r.entry.redrive;
  return {
    id: r.entry._id,
    topic: r.entry.topic,
    reason: r.entry.reasonCode,
    messageId: r.entry.messageId,
    origin: r.entry.origin,
    ...(r.entry.redriveOf && { redriveOf: r.entry.redriveOf }),
    ...(r.redriveId && { redriveId: r.redriveId }),
    ...(mark && {
      redrive: {
        outcome: mark.outcome,
        ...(mark.reason && { reason: mark.reason, detail: mark.detail }),
        requestedBy: mark.requestedBy,
        at: new Date(mark.at).toISOString(),
      },
    }),
  };
}
