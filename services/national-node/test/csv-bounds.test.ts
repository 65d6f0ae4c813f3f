// The node's CSV routes against what could overwhelm them: a file of more rows than one request takes, a file of
// many bad rows (its answer stays a few MB, its valid reports taken), a body that is not CSV, a charset it cannot read.
import { expect } from 'chai';
import { csvReportId } from '@hub/domain';
import { CSV_ECHO_MAX, CSV_ERRORS_LISTED, CSV_MAX_ROWS } from '../src/routes-csv';
import { startIntakeApp, type IntakeApp } from './intake-app';

const HEADER =
  'Seizure Reference,Seizure Date,Drug/Substance,Quantity Seized,Measurement Unit,Place,Agency,TLP';
const VALID = [
  'VALID-1,2026-04-01,Heroin,2.5,kg,Khorgos,customs,AMBER',
  'VALID-2,2026-04-02,Opium,1,kg,Khorgos,customs,AMBER',
];
/** `n` rows each of a report of its own, with five cells no report takes (date, substance, quantity, unit, TLP). */
const badRows = (n: number) => Array.from({ length: n }, (_, i) => `BAD-${i},x,x,x,x,x,x,x`);

interface CsvError {
  line: number;
  column: string;
  value: string;
  message: string;
}
interface CsvResult {
  reference: string | null;
  status: string;
  errors?: CsvError[];
}

describe('national node CSV intake: bounds on a request and its answer', () => {
  let node: IntakeApp;
  beforeEach(async () => {
    node = await startIntakeApp();
  });
  afterEach(() => node.close());

  /** POST `body` as the client sends it; the answer's status, its bytes as sent, and its JSON. */
  const send = async (body: string | Uint8Array, type = 'text/csv', path = '/v1/seizures/csv') => {
    const res = await fetch(`${node.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': type },
      body: typeof body === 'string' ? body : new Uint8Array(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      bytes: Buffer.byteLength(text),
      body: JSON.parse(text) as Record<string, unknown> & {
        error?: { code: string; message: string };
        errors?: CsvError[];
        results?: CsvResult[];
      },
    };
  };

  it(`refuses a file of more than ${CSV_MAX_ROWS} rows 413 BODY_TOO_LARGE, naming the limit, before it validates or sends any report`, async () => {
    const file = [HEADER, ...VALID, ...badRows(CSV_MAX_ROWS - 1)].join('\n');
    for (const path of ['/v1/seizures/csv', '/v1/seizures/batch']) {
      const answer = await send(file, 'text/csv', path);
      expect(answer.status, JSON.stringify(answer.body).slice(0, 300)).to.equal(413);
      expect(answer.body.error?.code).to.equal('BODY_TOO_LARGE');
      // Where to split it: the header is line 1, the rows one a line after it.
      expect(answer.body.error?.message).to.contain(`more than ${CSV_MAX_ROWS} rows`);
      expect(answer.body.error?.message).to.contain(`line ${CSV_MAX_ROWS + 2} holds row ${CSV_MAX_ROWS + 1}`);
      expect(answer.body.error?.message).to.contain(`at most ${CSV_MAX_ROWS}`);
      expect(answer.body.error?.message).to.contain('split');
      expect(answer.body).to.not.have.property('results');
    }
    // Not even the valid rows at its head: the file is refused whole, so that sending it again split loses nothing.
    expect(node.begun).to.deep.equal([]);
  });

  it('takes the valid reports of a file of many bad rows and answers 207 in about 1 MB: every report, the first problems', async () => {
    const bad = 10_000;
    const long = 'Героин'.repeat(2000);
    const file = [HEADER, ...VALID, `LONG-1,2026-04-01,${long},1,kg,Khorgos,customs,AMBER`, ...badRows(bad)];
    const answer = await send(file.join('\n'));
    expect(answer.status, JSON.stringify(answer.body).slice(0, 300)).to.equal(207);
    expect(answer.body).to.include({ accepted: 2, rejected: bad + 1, rows: bad + 3 });
    expect(node.submitted.map((s) => s.key)).to.deep.equal(
      ['VALID-1', 'VALID-2'].map((r) => csvReportId('KZ', r)),
    );
    // Every report's outcome, in the file's order.
    const results = answer.body.results!;
    expect(results).to.have.length(bad + 3);
    expect(results.map((r) => r.status).slice(0, 4)).to.deep.equal([
      'queued',
      'queued',
      'invalid',
      'invalid',
    ]);
    expect(results.at(-1)).to.include({ reference: `BAD-${bad - 1}`, status: 'invalid' });
    // The first problems by line, each listed once at the top and once in its report's result, the rest counted.
    const errors = answer.body.errors!;
    expect(errors).to.have.length(CSV_ERRORS_LISTED);
    expect(answer.body.errorsTotal).to.equal(1 + 5 * bad);
    expect(String(answer.body.errorsNote)).to.contain(`the first ${CSV_ERRORS_LISTED} of ${1 + 5 * bad}`);
    expect(errors[0]).to.include({ line: 4, column: 'Drug/Substance' });
    expect(errors.map((e) => e.line)).to.deep.equal([...errors.map((e) => e.line)].sort((a, b) => a - b));
    const inResults = results.flatMap((r) => r.errors ?? []);
    expect(inResults).to.deep.equal(errors);
    // A long cell is echoed short, saying how long it was.
    expect(errors[0]!.value).to.have.length.below(CSV_ECHO_MAX + 30);
    expect(errors[0]!.value.startsWith(long.slice(0, 60))).to.equal(true);
    expect(errors[0]!.value).to.contain(`${long.length} characters`);
    // About 1 MB (a hundred bytes a report), where listing every problem twice, its value whole, made over 10 MB.
    expect(answer.bytes).to.be.below(1.5 * 1024 * 1024);
  });

  it(`takes a file of ${CSV_MAX_ROWS} rows, all but two bad, and answers it in a few MB`, async function () {
    this.timeout(120_000);
    const file = [HEADER, ...VALID, ...badRows(CSV_MAX_ROWS - 2)].join('\n');
    const answer = await send(file);
    expect(answer.status, JSON.stringify(answer.body).slice(0, 300)).to.equal(207);
    expect(answer.body).to.include({ accepted: 2, rejected: CSV_MAX_ROWS - 2, rows: CSV_MAX_ROWS });
    expect(node.submitted).to.have.length(2);
    expect(answer.body.results).to.have.length(CSV_MAX_ROWS);
    expect(answer.body.errorsTotal).to.equal(5 * (CSV_MAX_ROWS - 2));
    // About 110 bytes a report's outcome: every problem listed twice came to over 60 MB.
    expect(answer.bytes).to.be.below(6 * 1024 * 1024);
  });

  it('lists every problem, as before, when there are no more than it lists', async () => {
    const answer = await send([HEADER, ...VALID, ...badRows(3)].join('\n'));
    expect(answer.status).to.equal(207);
    expect(answer.body.errors).to.have.length(15);
    expect(answer.body).to.not.have.property('errorsTotal');
    expect(answer.body).to.not.have.property('errorsNote');
    expect(answer.body.results![2]!.errors).to.have.length(5);
  });

  it('refuses JSON sent to /v1/seizures/csv 415 UNSUPPORTED_MEDIA_TYPE, saying where a JSON batch goes', async () => {
    const answer = await send(JSON.stringify([{ drugs: [] }]), 'application/json');
    expect(answer.status, JSON.stringify(answer.body)).to.equal(415);
    expect(answer.body.error?.code).to.equal('UNSUPPORTED_MEDIA_TYPE');
    expect(answer.body.error?.message).to.contain('text/csv');
    expect(answer.body.error?.message).to.contain('got application/json');
    expect(answer.body.error?.message).to.contain('/v1/seizures/batch');
    expect(node.begun).to.deep.equal([]);
  });

  it('refuses a charset it cannot read naming it and the charsets it reads, not as if only UTF-8 were read', async () => {
    const answer = await send([HEADER, VALID[0]].join('\n'), 'text/csv; charset=x-klingon');
    expect(answer.status, JSON.stringify(answer.body)).to.equal(400);
    expect(answer.body.error?.code).to.equal('VALIDATION_FAILED');
    const [error] = answer.body.errors! as unknown as { field: string; value: string; message: string }[];
    expect(error).to.include({ field: 'content-type', value: 'x-klingon' });
    expect(error!.message).to.contain("charset 'x-klingon'");
    expect(error!.message).to.contain('windows-1251');
    expect(error!.message).to.contain('UTF-8');
    expect(error!.message).to.not.contain('send the body in UTF-8');
    expect(node.begun).to.deep.equal([]);
  });
});
