// `hub import-annual <file.csv>`: annual seizure totals in the World Drug Report annex shape, each country's rows
// sent through that country's national node and signed by it.
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@hub/config';
import { readWdrAnnex, resolveCountry, type AnnexError, type AnnexReturn } from '@hub/domain';
import { HubError } from '@hub/errors';
import { createKafka, ensureTopics, nodeTopicConfigs, topicNames } from '@hub/kafka';
import { EXPIRY_WARNING_DAYS, PkiStore } from '@hub/pki';
import type { Command } from '../command';
import { parse, refuseExtra, say } from '../command';
import { agencyFetch, agencyHeaders, TOKEN_HINT } from '../agency-headers';
import { connectAdmin, reachBrokers } from '../brokers';
import { cliLogger } from '../cli-logger';
import { checkReportWritable, writeReport } from '../report-file';
import { encodingOption, readCsvFile } from './import';

const USAGE = `hub import-annual <file.csv> [--tlp CLEAR] [--only CC,CC] [--errors <file>] [--concurrency N]
                        [--encoding CHARSET]

Imports annual national seizure totals in the World Drug Report annex 7.1 shape
(region,country,iso3,drug_group,drug_name,year,kilograms): one AnnualSeizureReturn per country and year, each
sent through that country's national node and signed with its key. A node already running on this HUB_HOME is
used over HTTP; for other countries a send-only node runs inside this command (its certificate is issued with the hub CA
in $HUB_HOME/pki when missing, expired, or expiring within ${EXPIRY_WARNING_DAYS} days and a new one would last longer:
not while it ends with the hub CA, which 'hub pki rollover' renews). Re-importing sends new versions of the same
returns. The file is ',' ';' or tab separated (as the header line shows), kilograms with either decimal mark
("422.48", or "422,48" in a ';' file; a comma in a ',' or tab file is refused). A node refuses a return whole for
one bad row: every line of it is then in the error file, the bad row with its reason, the others as not sent.

  --tlp          handling of the returns (default CLEAR: the annex is public)
  --only         import only these countries, ISO alpha-2 codes separated by commas (the annex's iso3 column holds
                 alpha-3 codes: KAZ is KZ); a country with no row in the file is said, and the exit status is 1
  --errors       where to write the rows that were refused (default <file>.errors.csv)
  --concurrency  countries in flight at once (default 4)
  --encoding     the file's encoding when it is not UTF-8, e.g. windows-1251; without it the file must be UTF-8 (a
                 byte-order mark allowed) or UTF-16 with its byte-order mark, and a file that is not is refused,
                 naming its line and byte, before anything is sent

Exit status: 0 everything sent, 1 some rows refused or not sent (see the error file) or a country of --only with no
row in the file, 2 usage error, a file that cannot be read in its encoding, or a header without the annex's columns
(nothing is sent).`;

/** What sending one country's returns came to: returns and rows the node took (202), and the lines not sent. */
export interface Outcome {
  /** Returns answered 202. */
  sent: number;
  /** Their rows. */
  sentRows: number;
  errors: AnnexError[];
}

function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Write the error report of `errors` (line, column, value, why; by line) to `path`, or to stderr when it cannot be
 * written after all, and say where it is.
 */
function reportErrors(path: string, errors: AnnexError[], log: (line: string) => void): void {
  errors.sort((a, b) => a.line - b.line);
  const written = writeReport(
    path,
    [
      'line,column,value,message',
      ...errors.map((e) => [e.line, e.column, e.value, e.message].map(csvCell).join(',')),
    ].join('\n') + '\n',
  );
  log(`${errors.length} lines unreadable, refused or not sent: see ${written ? path : 'the report above'}`);
}

async function healthy(url: string): Promise<boolean> {
  try {
    return (await agencyFetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

const COLUMN_OF: Record<string, string> = { drugName: 'drug_name', drugGroup: 'drug_group' };

/**
 * The error file's lines for a return the node refused. The node takes a return whole or not at all: the rows it
 * names get their own reasons, and every other line of the return is "not sent", saying which line was refused.
 */
export function refusedReturn(
  ret: AnnexReturn,
  status: number,
  errors: { field: string; message: string; value?: unknown }[],
): AnnexError[] {
  const what = `the ${ret.country} ${ret.year} return`;
  const own: AnnexError[] = [];
  const reasons: string[] = [];
  for (const e of errors) {
    const m = /^rows\[(\d+)\]\.(\w+)/.exec(e.field);
    const line = m ? ret.lines[Number(m[1])] : undefined;
    if (m && line !== undefined) {
      const column = COLUMN_OF[m[2] as string] ?? (m[2] as string);
      own.push({
        line,
        column,
        value: e.value === undefined ? '' : String(e.value),
        message: `${e.message} (${what} was refused for it: none of its lines was sent)`,
      });
      reasons.push(`line ${line}: ${column}: ${e.message}`);
    } else
      reasons.push(
        `HTTP ${status}: ${e.field && e.field !== '(return)' ? `${e.field}: ${e.message}` : e.message}`,
      );
  }
  const culprits = new Set(own.map((e) => e.line));
  const notSent = ret.lines
    .filter((line) => !culprits.has(line))
    .map((line) => ({
      line,
      column: '',
      value: '',
      message: `not sent: ${what} was refused for ${reasons.join('; ')}`,
    }));
  return [...own, ...notSent];
}

/** Post one country's returns to its node; a refused return puts every one of its lines in the error file. */
export async function sendCountry(url: string, returns: AnnexReturn[], tlp: string): Promise<Outcome> {
  const out: Outcome = { sent: 0, sentRows: 0, errors: [] };
  for (const ret of returns) {
    const res = await agencyFetch(`${url}/v1/annual-returns`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...agencyHeaders() },
      body: JSON.stringify({ country: ret.country, year: ret.year, rows: ret.rows, handling: { tlp } }),
    });
    const body = (await res.json().catch(() => ({}))) as {
      errors?: { field: string; message: string; value?: unknown }[];
      error?: { message: string };
    };
    if (res.status === 202) {
      out.sent += 1;
      out.sentRows += ret.rows.length;
      continue;
    }
    // Not this return's fault, and the node will refuse every other one the same way.
    if (res.status === 401)
      throw new HubError(
        'NODE_REFUSED',
        `the ${ret.country} node answered 401: ${body.error?.message}${TOKEN_HINT}`,
      );
    out.errors.push(
      ...refusedReturn(
        ret,
        res.status,
        body.errors ?? [{ field: '(return)', message: body.error?.message ?? `HTTP ${res.status}` }],
      ),
    );
  }
  return out;
}

/**
 * Make sure `country` has a certificate a send-only node can sign with: issued when it has none; issued again when the
 * current one has expired or expires within EXPIRY_WARNING_DAYS (a node refuses to sign with an expired one, and the
 * import would be answered 503 for every return), if a new one would last longer. It would not while the current one
 * ends with the hub CA: in the CA's last days every certificate is cut to its end, so each import would make a new key
 * for the same end. `endsWithCa` is told the CA's end when the certificate the node signs with ends with it within
 * those days (`hub pki rollover` makes a CA to issue longer ones from). Says what it did.
 */
export function sendingIdentity(
  pki: PkiStore,
  country: string,
  now: number,
  endsWithCa?: (caEnd: Date) => void,
): 'kept' | 'issued' | 'renewed' {
  const caEnd = Date.parse(new X509Certificate(pki.currentCaPem()).validTo);
  const soon = now + EXPIRY_WARNING_DAYS * 86_400_000;
  const had = pki.hasIdentity(country);
  if (had) {
    const notAfter = Date.parse(new X509Certificate(pki.identity(country).certificatePem).validTo);
    // Expired, it is issued again whatever: when the CA has ended too, issuing says so (PKI_EXPIRED, with what to do).
    const longer = notAfter < caEnd || notAfter <= now;
    if (notAfter > soon || !longer) {
      if (notAfter <= soon) endsWithCa?.(new Date(caEnd));
      return 'kept';
    }
  }
  const issued = pki.issue({ country, agency: `${country} national focal point` });
  if (issued.cutByCa && issued.notAfter.getTime() <= soon) endsWithCa?.(new Date(caEnd));
  return had ? 'renewed' : 'issued';
}

/**
 * `--only`: ISO alpha-2 codes separated by commas (any case), as the returns name their countries; an alpha-3 code
 * (as the annex's iso3 column has them) or anything else is refused, naming the alpha-2 code meant when there is one.
 */
export function onlyCountries(given: string): Set<string> {
  const codes = given
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  if (codes.length === 0)
    throw new HubError(
      'USAGE',
      `--only ${JSON.stringify(given)} names no country: give ISO alpha-2 codes separated by commas, e.g. --only KZ,KG\nusage: ${USAGE}`,
    );
  const wrong = codes.filter((c) => !(/^[A-Za-z]{2}$/.test(c) && resolveCountry(c) === c.toUpperCase()));
  if (wrong.length)
    throw new HubError(
      'USAGE',
      `--only takes ISO 3166-1 alpha-2 codes (two letters, like KZ), got ${wrong
        .map((c) => {
          const meant = c.length <= 60 ? resolveCountry(c) : undefined;
          return meant ? `${JSON.stringify(c)} (that is ${meant})` : JSON.stringify(c);
        })
        .join(', ')}\nusage: ${USAGE}`,
    );
  return new Set(codes.map((c) => c.toUpperCase()));
}

export const importAnnualCommand: Command = {
  name: 'import-annual',
  summary: 'import annual seizure totals (World Drug Report annex shape) through each country’s node',
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parse(
      args,
      {
        tlp: { type: 'string' },
        only: { type: 'string' },
        errors: { type: 'string' },
        concurrency: { type: 'string' },
        encoding: { type: 'string' },
      },
      USAGE,
    );
    const [file, ...extra] = positionals;
    if (!file) throw new HubError('USAGE', `name the CSV file to import\nusage: ${USAGE}`);
    refuseExtra(extra, 'hub import-annual takes one CSV file and options only', USAGE);
    if (!existsSync(file)) throw new HubError('USAGE', `no such file: ${file}`);
    const concurrency = Number(values.concurrency ?? 4);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16)
      throw new HubError(
        'USAGE',
        `--concurrency must be a whole number from 1 to 16, got ${JSON.stringify(values.concurrency)}\nusage: ${USAGE}`,
      );
    const encoding = encodingOption(values.encoding, USAGE);
    const only = values.only === undefined ? undefined : onlyCountries(values.only);
    const tlp = (values.tlp ?? 'CLEAR').toUpperCase();
    const errorFile = values.errors ?? `${file}.errors.csv`;
    const log = say('import-annual');
    const config = loadConfig();
    const { returns, errors, rows, header } = readWdrAnnex(readCsvFile(file, encoding));
    // Before the PKI and the brokers: a file of another shape is a mistake to fix, not rows to refuse.
    if (header)
      throw new HubError(
        'USAGE',
        `${file}, line 1: ${header.message}; the header read: ${header.value}; nothing was sent`,
      );
    const byCountry = new Map<string, AnnexReturn[]>();
    for (const r of returns) {
      if (only && !only.has(r.country)) continue;
      byCountry.set(r.country, [...(byCountry.get(r.country) ?? []), r]);
    }
    const selected = [...byCountry.values()].flat();
    log(
      `${rows} rows read: ${selected.length} returns (country × year) of ${byCountry.size} countries to send, ${errors.length} rows unreadable`,
    );
    // A country asked for and not in the file: a mistake the operator should hear of, not an import that "succeeded".
    const absent = only ? [...only].filter((cc) => !byCountry.has(cc)) : [];
    if (absent.length)
      log(
        `--only ${absent.join(',')}: ${file} has no readable row of ${absent.join(', ')}; nothing of it is sent`,
      );
    if (only && byCountry.size === 0) {
      // Rows of those countries may be among the unreadable ones: the operator learns which, and why, from the report.
      if (errors.length) reportErrors(errorFile, errors, log);
      log('nothing to send');
      return 1;
    }
    // Checked only when a report will be written (rows unreadable): a clean annex needs no writable folder, and a
    // report of refusals by the nodes that cannot be written after all goes to stderr (writeReport).
    if (errors.length) checkReportWritable(errorFile, values.errors !== undefined);

    const pki = new PkiStore(join(config.hubHome, 'pki'));
    if (!pki.hasCa())
      throw new HubError(
        'PKI_MISSING',
        `no hub CA in ${config.hubHome}/pki; run 'hub pki init' (or 'npm start') first`,
      );
    const logger = cliLogger('import-annual', config);
    const { startNationalNode, runningNode } = await import('@hub/national-node');
    await reachBrokers(config, 'import-annual');

    // Every country's topics at once: one round trip instead of one per node, and the coordinator sees all the
    // new countries in one refresh instead of re-subscribing again and again while the import runs.
    const kafka = createKafka({
      brokers: config.kafka.brokers,
      clientId: `${config.kafka.clientId}-import-annual`,
      logger,
      security: config.kafka.security,
    });
    const admin = kafka.admin();
    await connectAdmin(admin, config, 'import-annual');
    const plan = { partitions: 3, replicationFactor: config.kafka.replicationFactor };
    const created = await ensureTopics(
      admin,
      [...byCountry.keys()].flatMap((cc) => nodeTopicConfigs(topicNames(config.namespace), cc, plan)),
    );
    await admin.disconnect();
    if (created.length) log(`created the topics of ${created.length / 2} countries`);

    let done = 0;
    let sentRows = 0;
    let sentReturns = 0;
    const endingWithCa: string[] = [];
    let caEnd: Date | undefined;
    const queue = [...byCountry.entries()].sort(([a], [b]) => a.localeCompare(b));
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [cc, list] = next;
        let url = runningNode(join(config.hubHome, 'nodes', cc))?.url;
        let close: (() => Promise<void>) | undefined;
        if (!url || !(await healthy(url))) {
          const identity = sendingIdentity(pki, cc, Date.now(), (end) => {
            endingWithCa.push(cc);
            caEnd = end;
          });
          if (identity === 'renewed')
            log(
              `${cc}: its certificate had expired or was expiring: issued a new one (${pki.identity(cc).fingerprint})`,
            );
          const node = await startNationalNode({
            config,
            country: cc,
            logger,
            port: 0,
            inbound: false,
            inbox: false,
          });
          url = node.url;
          close = async () => {
            const deadline = Date.now() + 60000;
            while (node.outboxDepth() > 0 && Date.now() < deadline)
              await new Promise((r) => setTimeout(r, 100));
            await node.close();
          };
        }
        try {
          const outcome = await sendCountry(url, list, tlp);
          sentRows += outcome.sentRows;
          sentReturns += outcome.sent;
          errors.push(...outcome.errors);
          done += 1;
          const refused = list.length - outcome.sent;
          log(
            `${done}/${byCountry.size} countries · ${cc}: ${outcome.sent} of ${list.length} returns sent and signed by ${cc}'s node${refused ? `, ${refused} refused (see the error file)` : ''}`,
          );
        } finally {
          await close?.();
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    if (caEnd)
      log(
        `the certificates of ${endingWithCa.length} send-only nodes (${endingWithCa.sort().join(', ')}) end with the hub CA on ${caEnd.toISOString()}, and none issued from it can last longer: run 'hub pki rollover' for a new CA (the next import then issues them again from it)`,
      );

    if (errors.length) reportErrors(errorFile, errors, log);
    log(
      `done: ${sentRows} rows in ${sentReturns} of ${selected.length} returns sent; the coordinator's receipts follow on each node`,
    );
    return errors.length || absent.length ? 1 : 0;
  },
};
