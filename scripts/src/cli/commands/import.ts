// `hub import <file.csv> --node <CC>`: a CSV of individual seizures (UNODC IDS shape) sent through a national
// node in requests of whole reports, with a progress bar and an error report naming line, column and reason.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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
import { HubError } from '@hub/errors';
import type { Command } from '../command';
import { parse, say } from '../command';
import { agencyFetch, agencyHeaders, TOKEN_HINT, type AgencyAnswer } from '../agency-headers';

const USAGE = `hub import <file.csv> --node <CC> [--url <nodeUrl>] [--errors <file>] [--agency TYPE] [--tlp TLP]
                 [--releasable-to LIST] [--evaluation XN] [--chunk N]

Imports individual drug seizures, one row per drug seized (UNODC "Individual Drug Seizures" columns or the
hub's own names; see docs/templates/README.md and docs/templates/ids-seizures.csv), through the national node
of country CC, which validates, signs and publishes them. Rows sharing a seizure reference are one report; a
report's id comes from (CC, reference), so importing a file again sends new versions, not duplicates.

  --node           the country whose node sends the reports (ISO alpha-2)
  --url            the node's URL (default: the node running on this HUB_HOME, or the port 'hub start' gives CC)
  --errors         where to write the error report line,column,value,message (default <file>.errors.csv)
  --agency, --tlp, --releasable-to, --evaluation
                   values for every report when the file has no such column (IDS workbooks have none)
  --chunk          reports per request (default 500)

Exit status: 0 every row accepted, 1 some rows refused (see the error report), 2 usage error.`;

interface NodeAnswer {
  accepted: number;
  rejected: number;
  results: { lines: number[]; status: string }[];
  errors: CsvError[];
  ignoredColumns: string[];
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

async function postChunk(url: string, chunk: CsvChunk, query: string): Promise<NodeAnswer> {
  let lastError = '';
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
      continue;
    }
    const text = await res.text();
    if (res.status === 202 || res.status === 207) return JSON.parse(text) as NodeAnswer;
    lastError = `the node answered ${res.status}: ${text.slice(0, 300)}`;
    if (res.status === 401) lastError += TOKEN_HINT;
    if (res.status < 500) break;
  }
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
      },
      USAGE,
    );
    const file = positionals[0];
    if (!file || positionals.length > 1)
      throw new HubError('USAGE', `name one CSV file to import\nusage: ${USAGE}`);
    if (!existsSync(file)) throw new HubError('USAGE', `no such file: ${file}`);
    const cc = (values.node ?? '').toUpperCase();
    if (!/^[A-Z]{2}$/.test(cc))
      throw new HubError(
        'USAGE',
        `give the sending node's country: --node <CC> (ISO alpha-2)\nusage: ${USAGE}`,
      );
    const chunkSize = values.chunk === undefined ? 500 : Number(values.chunk);
    if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > 5000)
      throw new HubError(
        'USAGE',
        `--chunk must be a whole number of reports from 1 to 5000, got ${values.chunk}`,
      );
    const defaults: CsvDefaults = {};
    if (values.agency) defaults.agency = values.agency;
    if (values.tlp) defaults.tlp = values.tlp;
    if (values['releasable-to']) defaults.releasableTo = values['releasable-to'];
    if (values.evaluation) defaults.evaluation = values.evaluation;
    const query = new URLSearchParams(defaults as Record<string, string>).toString();
    const errorsFile = values.errors ?? `${file}.errors.csv`;
    const log = say('import');
    const url = nodeUrlFor(loadConfig(), cc, values.url);

    const plan = planCsvImport(parseCsv(readFileSync(file, 'utf8')), { defaults, maxReports: chunkSize });
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
        `cannot reach the ${cc} node at ${url}; start it ('npm start' or 'hub node ${cc}') or give --url`,
      );
    const bar = progressBar(plan.rows);
    bar.update(sentRows, 0, sentRows);
    for (const [i, chunk] of plan.chunks.entries()) {
      try {
        const answer = await postChunk(url, chunk, query ? `?${query}` : '');
        errors.push(...toFileLines(chunk, answer.errors));
        for (const r of answer.results) {
          if (r.status !== 'queued') continue;
          acceptedReports += 1;
          acceptedRows += r.lines.length;
        }
      } catch (err) {
        // The node is gone, or refuses us: what was not sent is reported as refused, and the rest is not tried.
        process.stderr.write(`[import] stopped: ${(err as Error).message}\n`);
        const rest = plan.chunks.slice(i);
        for (const c of rest)
          for (const line of c.lineMap.slice(2).filter(Boolean))
            errors.push({ line, column: '', value: '', message: `not sent: ${(err as Error).message}` });
        sentRows += rest.reduce((n, c) => n + c.rows, 0);
        bar.update(sentRows, acceptedRows, sentRows - acceptedRows, true);
        break;
      }
      sentRows += chunk.rows;
      bar.update(sentRows, acceptedRows, sentRows - acceptedRows, i === plan.chunks.length - 1);
    }
    if (!plan.chunks.length) bar.update(sentRows, 0, sentRows, true);

    writeFileSync(errorsFile, csvErrorReport(errors));
    const refusedRows = plan.rows - acceptedRows;
    process.stdout.write(
      [
        `${file} → ${cc} node (${url})`,
        `  accepted  ${acceptedRows} rows in ${acceptedReports} reports`,
        `  refused   ${refusedRows} rows in ${plan.reports - acceptedReports} reports`,
        `  errors    ${errors.length} problems in ${errorsFile}`,
        '',
      ].join('\n'),
    );
    return refusedRows === 0 && errors.length === 0 ? 0 : 1;
  },
};
