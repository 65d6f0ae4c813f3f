// Unit tier: `hub import` and `hub import-annual` as a user runs them, against a fake national node in this process
// (an HTTP server answering as routes-csv.ts does): how they read a file's bytes, and what they do with a node that
// refuses a CSV whole. No Kafka, no store: the brokers and the store given are closed ports.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@hub/config';
import { hubAsync } from '../support/cli';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** What the fake node answers to a CSV: a status and a body, from the request's text and its rank among them. */
type CsvAnswer = (text: string, n: number) => { status: number; body: unknown };

/** A fake national node on a free port: /healthz answers, each CSV is kept and answered by `answer`. */
async function fakeNode(answer: CsvAnswer): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.url === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
        return;
      }
      const csvs = received.filter((r) => r.url.startsWith('/v1/seizures/csv')).length;
      const out = answer(body.toString('utf8'), csvs);
      res.writeHead(out.status, { 'content-type': 'application/json' }).end(JSON.stringify(out.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
}

/** The data lines of a request's CSV (line 1 is its header), as the node numbers them. */
const dataLines = (text: string) =>
  text
    .split(/\r\n|\r|\n/)
    .map((row, i) => ({ row, line: i + 1 }))
    .filter(({ row, line }) => line > 1 && row !== '');

/** 202: every report queued (one a line: the fake's files give every row a reference of its own). */
const queued: CsvAnswer = (text) => {
  const lines = dataLines(text);
  return {
    status: 202,
    body: {
      accepted: lines.length,
      rejected: 0,
      rows: lines.length,
      results: lines.map(({ line }) => ({ lines: [line], status: 'queued' })),
      errors: [],
      ignoredColumns: [],
    },
  };
};

/**
 * Refused whole as routes-csv.ts refuses a CSV its node cannot take (status, error), with every report's outcome:
 * a row holding BAD is invalid with an error of its own, the others failed for the node's reason.
 */
const refusedWhole =
  (status: number, code: string, message: string): CsvAnswer =>
  (text) => {
    const lines = dataLines(text);
    const results = lines.map(({ row, line }) =>
      row.includes('BAD')
        ? {
            lines: [line],
            status: 'invalid',
            errors: [{ line, column: 'Quantity Seized', value: 'BAD', message: 'must be a number' }],
          }
        : {
            lines: [line],
            status: 'failed',
            errors: [{ line, column: '', value: '', message: `not sent (${code}): ${message}` }],
          },
    );
    return {
      status,
      body: {
        error: { code, message },
        accepted: 0,
        rejected: lines.length,
        rows: lines.length,
        results,
        errors: results.flatMap((r) => r.errors),
        ignoredColumns: [],
      },
    };
  };

const TEMPLATE = readFileSync(join(repoRoot, 'docs', 'templates', 'ids-seizures.csv'), 'utf8')
  .split('\n')
  .filter(Boolean);
const HEADER = TEMPLATE[0] as string;
/** The template's Almaty row, its reference made `ref` and its city `city`: one report a row. */
const row = (ref: string, city = 'Almaty') =>
  (TEMPLATE[3] as string).replace('KZ-POL-2026-0077', ref).replace(',Almaty,Almaty,', `,${city},Almaty,`);

/** `text` in windows-1251 (ASCII and the basic Cyrillic letters are all these files hold). */
function windows1251(text: string): Buffer {
  return Buffer.from(
    [...text].map((ch) => {
      const c = ch.codePointAt(0) as number;
      if (c < 0x80) return c;
      if (c >= 0x410 && c <= 0x44f) return c - 0x410 + 0xc0;
      throw new Error(`no windows-1251 byte for ${ch}`);
    }),
  );
}

describe('hub import: a CSV file read strictly, and a node that refuses it whole', function () {
  this.timeout(60000);
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const servers: Server[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-import-'));
    // A HUB_HOME of its own; had anything tried Kafka or the store, closed ports would answer.
    env = {
      ...process.env,
      HUB_HOME: dir,
      HUB_KAFKA_BROKERS: '127.0.0.1:1',
      HUB_MONGO_URL: 'mongodb://127.0.0.1:1/',
      HUB_NODE_TOKEN_FILE: '',
    };
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
    rmSync(dir, { recursive: true, force: true });
  });
  const start = async (answer: CsvAnswer) => {
    const node = await fakeNode(answer);
    servers.push(node.server);
    return node;
  };
  const csvPosts = (received: Received[]) => received.filter((r) => r.url.startsWith('/v1/seizures/csv'));

  /** A file of the template's header and rows in windows-1251, and where its first Cyrillic byte is. */
  const cyrillicFile = () => {
    const text = `${HEADER}\r\n${row('KZ-A-1')}\r\n${row('KZ-A-2', 'Кордай')}\r\n`;
    const file = join(dir, 'kz-1251.csv');
    writeFileSync(file, windows1251(text));
    return { file, offset: text.indexOf('Кордай'), text };
  };

  it('refuses a windows-1251 file before sending anything, naming line, byte and what to do (exit 2)', async () => {
    const node = await start(queued);
    const { file, offset } = cyrillicFile();
    const run = await hubAsync(['import', file, '--node', 'KZ', '--url', node.url], env);
    expect(run.status, run.stderr).to.equal(2);
    // The node's own words for it (text-bytes.ts), with the option that reads it.
    expect(run.stderr).to.include(
      `${file} cannot be read as UTF-8: line 3, byte offset ${offset}: the bytes there (0xCA 0xEE 0xF0 0xE4) are not UTF-8; save it in UTF-8 (Excel: Save As, "CSV UTF-8"), or name the encoding it is in, e.g. --encoding windows-1251; nothing was sent`,
    );
    expect(node.received, 'no request of any kind').to.deep.equal([]);
  });

  it('reads a windows-1251 file with --encoding windows-1251 and sends it as UTF-8', async () => {
    const node = await start(queued);
    const { file, text } = cyrillicFile();
    const run = await hubAsync(
      ['import', file, '--node', 'KZ', '--url', node.url, '--encoding', 'windows-1251'],
      env,
    );
    expect(run.status, run.stderr).to.equal(0);
    const [post, ...more] = csvPosts(node.received);
    expect(more).to.have.length(0);
    expect(post?.headers['content-type']).to.equal('text/csv; charset=utf-8');
    const sent = post?.body.toString('utf8') ?? '';
    expect(sent).to.include(',Кордай,Almaty,');
    expect(sent).not.to.include('\ufffd');
    expect(sent).to.equal(text);
    // Its other labels too: cp1251 is windows-1251.
    const again = await hubAsync(
      ['import', file, '--node', 'KZ', '--url', node.url, '--encoding', 'cp1251'],
      env,
    );
    expect(again.status, again.stderr).to.equal(0);
    expect(csvPosts(node.received)[1]?.body.toString('utf8')).to.equal(text);
  });

  it('still reads UTF-8 with a byte-order mark, and UTF-16 by its byte-order mark, without --encoding', async () => {
    const node = await start(queued);
    const text = `${HEADER}\r\n${row('KZ-U-1', 'Кордай')}\r\n`;
    const utf8 = join(dir, 'bom.csv');
    writeFileSync(utf8, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]));
    const utf16 = join(dir, 'unicode.csv');
    writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    for (const file of [utf8, utf16]) {
      const run = await hubAsync(['import', file, '--node', 'KZ', '--url', node.url], env);
      expect(run.status, `${file}: ${run.stderr}`).to.equal(0);
    }
    const posts = csvPosts(node.received);
    expect(posts).to.have.length(2);
    for (const p of posts) expect(p.body.toString('utf8')).to.equal(text);
  });

  it('refuses an --encoding no decoder knows, and names the option in its usage (exit 2)', async () => {
    const node = await start(queued);
    const { file } = cyrillicFile();
    for (const label of ['windows-9999', '']) {
      const run = await hubAsync(
        ['import', file, '--node', 'KZ', '--url', node.url, '--encoding', label],
        env,
      );
      expect(run.status, run.stderr).to.equal(2);
      expect(run.stderr).to.include(`--encoding ${JSON.stringify(label)} is no encoding known here`);
    }
    expect(node.received).to.deep.equal([]);
    const help = await hubAsync(['import', '--help'], env);
    expect(help.stdout).to.include('[--encoding CHARSET]');
    expect(help.stdout).to.include('--encoding       the file');
  });

  it('hub import-annual refuses a windows-1251 file and an unknown --encoding before it starts anything (exit 2)', async () => {
    const text =
      'region,country,iso3,drug_group,drug_name,year,kilograms\r\nEurope,Россия,RUS,Opioids,Heroin,2023,5\r\n';
    const file = join(dir, 'annex-1251.csv');
    writeFileSync(file, windows1251(text));
    const run = await hubAsync(['import-annual', file], env);
    expect(run.status, run.stderr).to.equal(2);
    expect(run.stderr).to.include(
      `${file} cannot be read as UTF-8: line 2, byte offset ${text.indexOf('Россия')}: the bytes there (0xD0 0xEE 0xF1 0xF1) are not UTF-8; save it in UTF-8`,
    );
    const unknown = await hubAsync(['import-annual', file, '--encoding', 'nope'], env);
    expect(unknown.status, unknown.stderr).to.equal(2);
    expect(unknown.stderr).to.include('--encoding "nope" is no encoding known here');
    // Read with its encoding, it gets past the file: to the hub CA this HUB_HOME lacks (no PKI, nothing started).
    const read = await hubAsync(['import-annual', file, '--encoding', 'windows-1251'], env);
    expect(read.stderr).to.include('1 rows read');
    expect(read.stderr).to.include('no hub CA in');
    const help = await hubAsync(['import-annual', '--help'], env);
    expect(help.stdout).to.include('[--encoding CHARSET]');
  });

  it('stops at its first answer on a 503 CERTIFICATE_INVALID, sending nothing again, keeping the invalid rows’ own errors and the reason (exit 1)', async () => {
    const message =
      'this node cannot sign: its certificate expired on 2026-01-01T00:00:00.000Z; nothing was accepted: send it again once the node has a valid certificate';
    const node = await start(refusedWhole(503, 'CERTIFICATE_INVALID', message));
    const file = join(dir, 'kz.csv');
    // Two reports a request: the first holds a good row and a bad one, the second is never sent.
    const bad = row('KZ-B-2').replace(',1.8,kg,', ',BAD,kg,');
    writeFileSync(file, `${HEADER}\n${row('KZ-B-1')}\n${bad}\n${row('KZ-B-3')}\n${row('KZ-B-4')}\n`);
    const errorsFile = join(dir, 'errors.csv');
    const run = await hubAsync(
      ['import', file, '--node', 'KZ', '--url', node.url, '--chunk', '2', '--errors', errorsFile],
      env,
    );
    expect(run.status, run.stderr).to.equal(1);
    // Not sent again: a certificate does not become valid in the seconds the retries take. The import waits only
    // before sending again (1, 2, then 4 s), so one request is also no wait.
    expect(csvPosts(node.received)).to.have.length(1);
    expect(run.stderr).to.include(
      `stopped: the KZ node refused the import (CERTIFICATE_INVALID): ${message}`,
    );
    expect(run.stderr).to.include("renews its certificate ('hub pki issue KZ'");
    expect(run.stderr).not.to.include('answered 503');
    const report = readFileSync(errorsFile, 'utf8');
    expect(report).not.to.include('{"error"');
    const [, ...lines] = report.trim().split('\r\n');
    // The bad row's own error, on its line of the file.
    expect(lines).to.include('3,Quantity Seized,BAD,must be a number');
    // The good row of that request, and the rows never sent, with the node's reason.
    for (const line of [2, 4, 5])
      expect(lines, `line ${line}`).to.include(`${line},,,not sent (CERTIFICATE_INVALID): ${message}`);
    expect(lines).to.have.length(4);
    expect(run.stdout).to.include('accepted  0 rows in 0 reports');
  });

  it('sends a CSV again on a refusal that may pass (503 OUTBOX_WRITE_FAILED), and goes on once it is taken', async () => {
    const refused = refusedWhole(503, 'OUTBOX_WRITE_FAILED', 'the outbox could not write; send it again');
    const node = await start((text, n) => (n === 1 ? refused(text, n) : queued(text, n)));
    const file = join(dir, 'kz.csv');
    writeFileSync(file, `${HEADER}\n${row('KZ-C-1')}\n${row('KZ-C-2')}\n`);
    const run = await hubAsync(['import', file, '--node', 'KZ', '--url', node.url], env);
    expect(run.status, run.stderr).to.equal(0);
    expect(csvPosts(node.received)).to.have.length(2);
    expect(run.stdout).to.include('accepted  2 rows in 2 reports');
  });
});
