// `hub import <file.csv> --node <CC>`: a CSV of individual seizures (UNODC IDS shape) sent through a national
// node in requests of whole reports, with a progress bar and an error report naming line, column and reason.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadConfig, type HubConfig } from '@hub/config';
import {
  csvErrorReport,
  parseCsv,
  planCsvImport,
  toFileLines,
  type CsvChunk,
  type CsvDefaults,
  type CsvError,
} from '@hub/domain';
import {
  decodeCsvBytes,
  decodeCsvBytesAs,
  encodingNamed,
  undecodableMessage,
} from '@hub/domain/csv/text-bytes';
import { HubError } from '@hub/errors';
import type { Command } from '../command';
import { parse, say } from '../command';
import { agencyFetch, agencyHeaders, TOKEN_HINT, type AgencyAnswer } from '../agency-headers';
import { countryArgument } from '../country';
import { checkReportWritable, writeReport } from '../report-file';

const USAGE = `hub import <file.csv> --node <CC> [--url <nodeUrl>] [--errors <file>] [--agency TYPE] [--tlp TLP]
                 [--releasable-to LIST] [--evaluation XN] [--chunk N] [--encoding CHARSET]

Imports individual drug seizures, one row per drug seized (UNODC "Individual Drug Seizures" columns or the
hub's own names; see docs/templates/README.md and docs/templates/ids-seizures.csv), through the national node
of country CC, which validates, signs and publishes them. Rows sharing a seizure reference are one report; a
report's id comes from (CC, reference), so importing a file again sends new versions of the reports whose rows
changed, and answers the unchanged ones as duplicates (sending nothing).

  --node           the country whose node sends the reports (ISO alpha-2)
  --url            the node's URL (default: the node running on this HUB_HOME, or the port 'hub start' gives CC)
  --errors         where to write the error report line,column,value,message (default <file>.errors.csv)
  --agency, --tlp, --releasable-to, --evaluation
                   values for every report when the file has no such column (IDS workbooks have none)
  --chunk          reports per request (default 500)
  --encoding       the file's encoding when it is not UTF-8, e.g. windows-1251 (Excel's "CSV" in a Russian locale);
                   without it the file must be UTF-8 (a byte-order mark allowed) or UTF-16 with its byte-order mark,
                   and a file that is not is refused, naming its line and byte, before anything is sent

Exit status: 0 every row accepted, 1 some rows refused (see the error report), 2 usage error or a file that cannot
be read in its encoding.`;

interface NodeAnswer {
  accepted: number;
  rejected: number;
  results: { lines: number[]; status: string }[];
  errors: CsvError[];
  ignoredColumns: string[];
}

/** The node's refusal of a whole request for a reason of its own, with every report's outcome (routes-csv.ts). */
interface NodeRefusal extends NodeAnswer {
  error: { code: string; message: string };
}

/**
 * Refusals that sending again in a few seconds cannot mend: a node that cannot sign (its certificate has expired, was
 * revoked, or is not valid yet) signs nothing until its operator acts.
 */
const NOT_SOON = new Set(['CERTIFICATE_INVALID']);

/** What to do about a refusal, said once when the import stops. */
const REMEDY: Record<string, (cc: string) => string> = {
  CERTIFICATE_INVALID: (cc) =>
    `the ${cc} node's operator renews its certificate ('hub pki issue ${cc}', see docs/errors.md); then import the file again`,
};

/**
 * `--encoding`: the encoding's name as the decoder knows it, or undefined when not given; refused, before anything is
 * read or sent, when no encoding has that name.
 */
export function encodingOption(given: string | undefined, usage: string): string | undefined {
  if (given === undefined) return undefined;
  const name = encodingNamed(given);
  if (!name)
    throw new HubError(
      'USAGE',
      `--encoding ${JSON.stringify(given)} is no encoding known here; give a label of the WHATWG Encoding standard, e.g. windows-1251, koi8-r, iso-8859-5, windows-1252, utf-16le\nusage: ${usage}`,
    );
  return name;
}

/**
 * A CSV file's text, decoded as the node decodes what it is sent: UTF-8 (a byte-order mark allowed) or UTF-16 by its
 * byte-order mark, or `encoding` when given. Bytes that are not text of it are refused (exit 2), naming line and byte,
 * rather than read with U+FFFD in their place and signed so.
 */
export function readCsvFile(file: string, encoding: string | undefined): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    // A directory, a file this user may not read: a mistake to mend before anything is sent.
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new HubError('USAGE', `${file}: cannot read it (${why}); nothing was sent`, { cause: err });
  }
  const decoded = encoding === undefined ? decodeCsvBytes(bytes) : decodeCsvBytesAs(bytes, encoding);
  if ('text' in decoded) return decoded.text;
  const advice =
    encoding === undefined
      ? 'save it in UTF-8 (Excel: Save As, "CSV UTF-8"), or name the encoding it is in, e.g. --encoding windows-1251'
      : 'name the encoding it is in with --encoding, or save it in UTF-8 (Excel: Save As, "CSV UTF-8")';
  throw new HubError('USAGE', `${file} ${undecodableMessage(decoded.undecodable, advice)}; nothing was sent`);
}

/** The node's URL: --url, the node running on this HUB_HOME, `hub start`'s endpoints, or its demo port. */
export function nodeUrlFor(config: HubConfig, cc: string, explicit?: string): string {
  if (explicit) return explicit.replace(/\/+$/, '');
  const readJson = (path: string) => {
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  };
  const running = readJson(join(config.hubHome, 'nodes', cc, 'node.json'));
  if (typeof running?.url === 'string' && typeof running.pid === 'number') {
    try {
      process.kill(running.pid, 0);
      return running.url;
    } catch {
      // a node that has stopped
    }
  }
  const nodes = readJson(join(config.hubHome, 'run', 'endpoints.json'))?.nodes as
    Record<string, string> | undefined;
  if (nodes?.[cc]) return nodes[cc];
  const i = config.demoCountries.indexOf(cc);
  if (i >= 0) return `http://127.0.0.1:${config.nodeBasePort + i}`;
  throw new HubError(
    'USAGE',
    `no URL known for the ${cc} node (it is not one of HUB_DEMO_COUNTRIES ${config.demoCountries.join(',')}); give --url`,
  );
}

/** A progress bar on a terminal; plain lines every 10% (and at the end) when stderr is a file or a pipe. */
function progressBar(total: number, stream: NodeJS.WriteStream = process.stderr) {
  const started = Date.now();
  let lastDraw = 0;
  let lastStep = -1;
  const width = 30;
  return {
    update(done: number, accepted: number, refused: number, final = false) {
      const pct = total ? Math.floor((done / total) * 100) : 100;
      const counts = `${done}/${total} rows · ${accepted} accepted · ${refused} refused`;
      if (stream.isTTY) {
        if (!final && Date.now() - lastDraw < 100) return;
        lastDraw = Date.now();
        const filled = Math.round((pct / 100) * width);
        const rate = Math.round(done / Math.max(0.001, (Date.now() - started) / 1000));
        stream.write(
          `\r[import] [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${counts} · ${rate} rows/s\x1b[K${final ? '\n' : ''}`,
        );
      } else {
        const step = Math.floor(pct / 10);
        if (step === lastStep && !final) return;
        lastStep = step;
        stream.write(`[import] ${pct}% ${counts}\n`);
      }
    },
  };
}

/** The body of a node's answer when it refuses the whole request and gives each report's outcome, else undefined. */
function refusalOf(text: string): NodeRefusal | undefined {
  let body: Partial<NodeRefusal> | null;
  try {
    body = JSON.parse(text) as Partial<NodeRefusal> | null;
  } catch {
    return undefined;
  }
  const whole =
    typeof body?.error?.code === 'string' && Array.isArray(body.results) && Array.isArray(body.errors);
  return whole ? (body as NodeRefusal) : undefined;
}

/**
 * Send one chunk; the node's answer, `refusal` set when it refused the chunk whole for a reason of its own (each
 * report's outcome still given). A refusal that may pass (the outbox cannot write now) is sent again, up to three
 * times; one that cannot pass so soon (CERTIFICATE_INVALID) is not.
 */
async function postChunk(
  url: string,
  chunk: CsvChunk,
  query: string,
): Promise<NodeAnswer & { refusal?: NodeRefusal['error'] }> {
  let lastError = '';
  let refused: NodeRefusal | undefined;
  for (let attempt = 0; attempt < 4; attempt++) {
    if (attempt) await new Promise((r) => setTimeout(r, 1000 * 2 ** (attempt - 1)));
    let res: AgencyAnswer;
    try {
      res = await agencyFetch(`${url}/v1/seizures/csv${query}`, {
        method: 'POST',
        headers: { 'content-type': 'text/csv; charset=utf-8', ...agencyHeaders() },
        body: chunk.text,
      });
    } catch (err) {
      lastError = `the node did not answer (${(err as Error).cause ?? (err as Error).message})`;
      refused = undefined;
      continue;
    }
    const text = await res.text();
    if (res.status === 202 || res.status === 207) return JSON.parse(text) as NodeAnswer;
    refused = refusalOf(text);
    if (refused && NOT_SOON.has(refused.error.code)) break;
    lastError = `the node answered ${res.status}: ${text.slice(0, 300)}`;
    if (res.status === 401) lastError += TOKEN_HINT;
    if (res.status < 500) break;
  }
  if (refused) return { ...refused, refusal: refused.error };
  throw new HubError('NODE_REFUSED', lastError, { retriable: true });
}

/** Any HTTP answer will do: a node whose broker is down still takes reports into its outbox. */
async function reachable(url: string): Promise<boolean> {
  try {
    await agencyFetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) });
    return true;
  } catch {
    return false;
  }
}

export const importCommand: Command = {
  name: 'import',
  summary: 'bulk-import a CSV of individual seizures (UNODC IDS shape) through a national node',
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parse(
      args,
      {
        node: { type: 'string' },
        url: { type: 'string' },
        errors: { type: 'string' },
        agency: { type: 'string' },
        tlp: { type: 'string' },
        'releasable-to': { type: 'string' },
        evaluation: { type: 'string' },
        chunk: { type: 'string' },
        encoding: { type: 'string' },
      },
      USAGE,
    );
    const file = positionals[0];
    if (!file || positionals.length > 1)
      throw new HubError('USAGE', `name one CSV file to import\nusage: ${USAGE}`);
    if (!existsSync(file)) throw new HubError('USAGE', `no such file: ${file}`);
    if (values.node === undefined || values.node.trim() === '')
      throw new HubError(
        'USAGE',
        `give the sending node's country: --node <CC> (ISO alpha-2)\nusage: ${USAGE}`,
      );
    const cc = countryArgument(values.node, '--node', USAGE);
    const chunkSize = values.chunk === undefined ? 500 : Number(values.chunk);
    if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > 5000)
      throw new HubError(
        'USAGE',
        `--chunk must be a whole number of reports from 1 to 5000, got ${values.chunk}`,
      );
    const encoding = encodingOption(values.encoding, USAGE);
    const defaults: CsvDefaults = {};
    if (values.agency) defaults.agency = values.agency;
    if (values.tlp) defaults.tlp = values.tlp;
    if (values['releasable-to']) defaults.releasableTo = values['releasable-to'];
    if (values.evaluation) defaults.evaluation = values.evaluation;
    const query = new URLSearchParams(defaults as Record<string, string>).toString();
    const errorsFile = values.errors ?? `${file}.errors.csv`;
    const log = say('import');
    const url = nodeUrlFor(loadConfig(), cc, values.url);

    const plan = planCsvImport(parseCsv(readCsvFile(file, encoding)), { defaults, maxReports: chunkSize });
    checkReportWritable(errorsFile, values.errors !== undefined);
    log(
      `${basename(file)}: ${plan.rows} rows in ${plan.reports} reports, '${plan.separator === '\t' ? 'tab' : plan.separator}'-separated; sending through the ${cc} node at ${url}`,
    );
    if (plan.ignoredColumns.length)
      log(`columns not imported (unknown names): ${plan.ignoredColumns.join(', ')}`);
    const errors: CsvError[] = [...plan.headerErrors, ...plan.refused.flatMap((r) => r.errors)];
    let acceptedReports = 0;
    let acceptedRows = 0;
    let sentRows = plan.refused.reduce((n, r) => n + r.lines.length, 0);
    if (plan.chunks.length && !(await reachable(url)))
      throw new HubError(
        'NODE_UNREACHABLE',
        `cannot reach the ${cc} node at ${url}; start it ('npm start', or 'hub node ${cc} --port ${new URL(url).port || (new URL(url).protocol === 'https:' ? 443 : 80)}') or give --url`,
      );
    const bar = progressBar(plan.rows);
    bar.update(sentRows, 0, sentRows);
    /** The import stops: the rows of the chunks from `from` on are reported as not sent, for `reason`, once each. */
    const stop = (from: number, why: string, reason: string) => {
      process.stderr.write(`[import] stopped: ${why}\n`);
      const rest = plan.chunks.slice(from);
      for (const c of rest)
        for (const line of c.lineMap.slice(2).filter(Boolean))
          errors.push({ line, column: '', value: '', message: reason });
      sentRows += rest.reduce((n, c) => n + c.rows, 0);
      bar.update(sentRows, acceptedRows, sentRows - acceptedRows, true);
    };
    for (const [i, chunk] of plan.chunks.entries()) {
      let answer: Awaited<ReturnType<typeof postChunk>>;
      try {
        answer = await postChunk(url, chunk, query ? `?${query}` : '');
      } catch (err) {
        // The node is gone, or refuses us: what was not sent is reported as refused, and the rest is not tried.
        stop(i, (err as Error).message, `not sent: ${(err as Error).message}`);
        break;
      }
      // The node's outcome of every report: the invalid rows' own errors, and the reason of those it did not send.
      errors.push(...toFileLines(chunk, answer.errors));
      for (const r of answer.results) {
        if (r.status !== 'queued') continue;
        acceptedReports += 1;
        acceptedRows += r.lines.length;
      }
      sentRows += chunk.rows;
      const { refusal } = answer;
      if (refusal) {
        // Refused whole for a reason of the node's, which the rest would meet too: said once, with what to do.
        const remedy =
          REMEDY[refusal.code]?.(cc) ?? `import the file again once the ${cc} node takes reports`;
        stop(
          i + 1,
          `the ${cc} node refused the import (${refusal.code}): ${refusal.message}\n[import] what to do: ${remedy}: the reports accepted before are answered as duplicates, not sent again`,
          `not sent (${refusal.code}): ${refusal.message}`,
        );
        break;
      }
      bar.update(sentRows, acceptedRows, sentRows - acceptedRows, i === plan.chunks.length - 1);
    }
    if (!plan.chunks.length) bar.update(sentRows, 0, sentRows, true);

    const written = writeReport(errorsFile, csvErrorReport(errors));
    const refusedRows = plan.rows - acceptedRows;
    process.stdout.write(
      [
        `${file} → ${cc} node (${url})`,
        `  accepted  ${acceptedRows} rows in ${acceptedReports} reports`,
        `  refused   ${refusedRows} rows in ${plan.reports - acceptedReports} reports`,
        `  errors    ${errors.length} problems in ${written ? errorsFile : `stderr (${errorsFile} could not be written)`}`,
        '',
      ].join('\n'),
    );
    return refusedRows === 0 && errors.length === 0 && written ? 0 : 1;
  },
};
