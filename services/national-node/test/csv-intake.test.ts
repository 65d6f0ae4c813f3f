// The node's CSV import over HTTP without a stack: files in the encodings spreadsheets write, a node that cannot sign,
// the CSV routes reached by any spelling the router takes, and a file imported again.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { csvReportId } from '@hub/domain';
import { HubError } from '@hub/errors';
import { createLogger } from '@hub/observability';
import { createSeizureAcceptor } from '../src/app';
import { ReportsIndex } from '../src/reports-index';
import { createCsvImporter } from '../src/routes-csv';
import { minimal, startIntakeApp, type IntakeApp } from './intake-app';

const HEADER =
  'Seizure Reference,Seizure Date,Drug/Substance,Quantity Seized,Measurement Unit,Place,Agency,TLP';
const PLACE = 'Хоргос, таможенный пост';
/** A row whose seizure reference is `reference` (each file of its own, so that none is the same rows again). */
const row = (reference = 'ENC-1') => [
  reference,
  '2026-04-01',
  'Heroin',
  '2.5',
  'kg',
  PLACE,
  'customs',
  'AMBER',
];
const rows = (reference?: string) => [
  HEADER,
  row(reference)
    .map((f) => (f.includes(',') ? `"${f}"` : f))
    .join(','),
];
const ROWS = rows();
/** The same file as Excel's "Unicode text" writes it: tab-separated. */
const tabbed = (reference?: string) => [HEADER.replaceAll(',', '\t'), row(reference).join('\t')].join('\r\n');

/** Text as Excel in a Russian locale saves it (windows-1251): ASCII as is, А-я at 0xC0-0xFF, Ё and ё. */
function windows1251(text: string): Uint8Array {
  return Uint8Array.from([...text], (c) => {
    const u = c.codePointAt(0)!;
    if (u < 0x80) return u;
    if (u >= 0x410 && u <= 0x44f) return u - 0x410 + 0xc0;
    if (u === 0x401) return 0xa8;
    if (u === 0x451) return 0xb8;
    throw new Error(`no windows-1251 byte for ${c}`);
  });
}

/** Text as Excel's "Unicode text" saves it: UTF-16LE after its byte-order mark, tab-separated. */
function utf16le(text: string, bom = true): Uint8Array {
  const units = Buffer.from(text, 'utf16le');
  return bom ? Buffer.concat([Buffer.from([0xff, 0xfe]), units]) : units;
}

describe('national node CSV intake: encodings, a node that cannot sign, route spellings', () => {
  let node: IntakeApp;
  beforeEach(async () => {
    node = await startIntakeApp();
  });
  afterEach(() => node.close());

  const csv = (body: string | Uint8Array, type = 'text/csv', path = '/v1/seizures/csv') =>
    node.post(path, body, { 'content-type': type });
  const placeOf = (i = 0) => (node.submitted[i]!.value.place as { name: string }).name;

  it('refuses a file that is not UTF-8, sent without a charset, naming the line and byte where it stops being so', async () => {
    const bytes = windows1251(ROWS.join('\r\n'));
    const answer = await csv(bytes);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(400);
    expect(answer.body.error?.code).to.equal('VALIDATION_FAILED');
    expect(answer.body.errors).to.have.length(1);
    const [error] = answer.body.errors!;
    // The first byte of "Хоргос": after the header, its CRLF and the row up to the place.
    const offset = HEADER.length + 2 + ROWS[1]!.indexOf('Х');
    expect(error!.field).to.equal('(body)');
    expect(error!.value).to.equal('0xD5 0xEE 0xF0 0xE3');
    expect(error!.message).to.contain(`line 2, byte offset ${offset}:`);
    expect(error!.message).to.contain('charset=windows-1251');
    expect(error!.message).to.contain('UTF-8');
    expect(node.begun).to.deep.equal([]);
    // Declared UTF-8 and yet not: refused the same way.
    const declared = await csv(bytes, 'text/csv; charset=UTF-8');
    expect(declared.status).to.equal(400);
    expect(declared.body.errors![0]!.message).to.contain(`line 2, byte offset ${offset}:`);
    expect(node.begun).to.deep.equal([]);
  });

  it('reads a windows-1251 file whose charset is declared, a UTF-8 file with a byte-order mark, and UTF-16 by its mark', async () => {
    const declared = await csv(windows1251(ROWS.join('\r\n')), 'text/csv; charset=windows-1251');
    expect(declared.status, JSON.stringify(declared.body)).to.equal(202);
    expect(placeOf(0)).to.equal(PLACE);
    const bom = await csv(
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(rows('ENC-2').join('\n'))]),
    );
    expect(bom.status, JSON.stringify(bom.body)).to.equal(202);
    expect(placeOf(1)).to.equal(PLACE);
    // Excel's "Unicode text": tab-separated UTF-16LE, sent as text/csv without a charset.
    const unicode = await csv(utf16le(tabbed('ENC-3')));
    expect(unicode.status, JSON.stringify(unicode.body)).to.equal(202);
    expect(placeOf(2)).to.equal(PLACE);
    const be = Buffer.from(utf16le(tabbed('ENC-4'), false)).swap16();
    const bigEndian = await csv(Buffer.concat([Buffer.from([0xfe, 0xff]), be]));
    expect(bigEndian.status, JSON.stringify(bigEndian.body)).to.equal(202);
    expect(placeOf(3)).to.equal(PLACE);
    expect(node.submitted.map((s) => s.key)).to.deep.equal(
      ['ENC-1', 'ENC-2', 'ENC-3', 'ENC-4'].map((reference) => csvReportId('KZ', reference)),
    );
  });

  it('refuses UTF-16 without its byte-order mark by its NUL bytes, and UTF-16 cut short, clearly', async () => {
    const noBom = await csv(utf16le(ROWS.join('\n'), false));
    expect(noBom.status, JSON.stringify(noBom.body)).to.equal(400);
    const message = noBom.body.errors![0]!.message;
    expect(message).to.contain('line 1, byte offset 1:');
    expect(message).to.contain('NUL');
    expect(message).to.contain('UTF-16');
    // Neither a column named "S\u0000e\u0000..." nor any other replacement of what was sent.
    expect(JSON.stringify(noBom.body)).to.not.contain('\\u0000');
    const odd = utf16le(ROWS.join('\n')).subarray(0, -1);
    const cut = await csv(odd);
    expect(cut.status).to.equal(400);
    expect(cut.body.errors![0]!.message).to.contain(`line 2, byte offset ${odd.length - 1}:`);
    expect(cut.body.errors![0]!.message).to.contain('cannot be read as UTF-16LE');
    expect(node.begun).to.deep.equal([]);
  });

  it('answers a CSV the node cannot sign as the JSON batch is answered: its reason and status, every row kept', async () => {
    node.onSubmit = () => {
      throw new HubError(
        'CERTIFICATE_INVALID',
        'this node cannot sign: its certificate expired; nothing was accepted: send it again once the node has a valid certificate',
        { retriable: true },
      );
    };
    const file = [
      HEADER,
      'CERT-1,2026-04-01,Heroin,2.5,kg,Khorgos,customs,AMBER',
      'CERT-2,2026-04-01,Herion,1,kg,Khorgos,customs,AMBER',
      'CERT-3,2026-04-02,Opium,3,kg,Khorgos,customs,AMBER',
    ].join('\n');
    const answer = await csv(file);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(503);
    expect(answer.body.error?.code).to.equal('CERTIFICATE_INVALID');
    expect(answer.body.error?.message).to.match(/send it again once the node has a valid certificate/);
    const results = answer.body.results as {
      reference: string;
      status: string;
      errors: { message: string }[];
    }[];
    expect(results.map((r) => `${r.reference}:${r.status}`)).to.deep.equal([
      'CERT-1:failed',
      'CERT-2:invalid',
      'CERT-3:failed',
    ]);
    // The row to mend before sending it again is named, and the others say why they were not sent.
    const errors = answer.body.errors as unknown as { line: number; column: string; message: string }[];
    expect(errors.map((e) => `${e.line}|${e.column}`)).to.deep.equal(['2|', '3|Drug/Substance', '4|']);
    expect(errors[0]!.message).to.match(/^not sent \(CERTIFICATE_INVALID\): this node cannot sign/);
    expect(errors[0]!.message).to.not.contain('outbox');
    expect(answer.body).to.not.have.property('refusal');
    // The same on the batch endpoint.
    const batch = await csv(file, 'text/csv', '/v1/seizures/batch');
    expect(batch.status).to.equal(503);
    expect(batch.body.error?.code).to.equal('CERTIFICATE_INVALID');
  });

  it('keeps 207 when some reports were queued, with each failed one’s own reason', async () => {
    node.onSubmit = (s) => {
      if (s.key === csvReportId('KZ', 'HALF-2'))
        throw new HubError('OUTBOX_WRITE_FAILED', 'could not write to the outbox: no space left', {
          retriable: true,
        });
    };
    const answer = await csv(
      [
        HEADER,
        'HALF-1,2026-04-01,Heroin,2.5,kg,Khorgos,customs,AMBER',
        'HALF-2,2026-04-01,Opium,1,kg,Khorgos,customs,AMBER',
      ].join('\n'),
    );
    expect(answer.status, JSON.stringify(answer.body)).to.equal(207);
    expect(answer.body).to.include({ accepted: 1, rejected: 1 });
    const errors = answer.body.errors as unknown as { line: number; message: string }[];
    expect(errors).to.have.length(1);
    expect(errors[0]!.line).to.equal(3);
    expect(errors[0]!.message).to.equal(
      'not sent (OUTBOX_WRITE_FAILED): could not write to the outbox: no space left',
    );
  });

  it('reads CSV at the CSV routes in any spelling the router takes (letter case, a trailing slash)', async () => {
    const file = ROWS.join('\n');
    for (const path of ['/v1/seizures/csv/', '/V1/Seizures/CSV', '/v1/seizures/BATCH/']) {
      const answer = await csv(file, 'text/csv', path);
      expect(answer.status, `${path}: ${JSON.stringify(answer.body)}`).to.equal(202);
      // Read as the CSV it is: the first time sent, after that known as the same rows.
      const [result] = answer.body.results as { status: string; duplicate?: boolean }[];
      expect(result, path).to.include({ status: 'queued' });
      expect(result!.duplicate === true, path).to.equal(path !== '/v1/seizures/csv/');
    }
    expect(node.submitted).to.have.length(1);
    // The batch endpoint still does not read text/plain as CSV (a JSON array sent without its type), however spelt.
    const plain = await csv(file, 'text/plain', '/V1/seizures/batch/');
    expect(plain.status).to.equal(415);
    // Nor is a path that is not a CSV route read as one.
    const other = await csv(file, 'text/csv', '/v1/seizures/csv2');
    expect(other.status).to.equal(415);
  });
});

describe('national node CSV intake: query parameters standing in for columns', () => {
  let node: IntakeApp;
  beforeEach(async () => {
    node = await startIntakeApp();
  });
  afterEach(() => node.close());

  /** An IDS file without TLP or Releasable To columns: its handling comes from the query. */
  const BARE = [
    'Seizure Reference,Seizure Date,Drug/Substance,Quantity Seized,Measurement Unit,Place,Agency',
    'Q-1,2026-04-01,Heroin,2.5,kg,Khorgos,customs',
  ].join('\n');
  const post = (query: string, path = '/v1/seizures/csv') =>
    node.post(`${path}?${query}`, BARE, { 'content-type': 'text/csv' });
  const USE = 'unknown parameter; use agency, tlp, releasableTo or evaluation';

  it('signs the handling the query gives for columns the file lacks', async () => {
    const answer = await post('tlp=AMBER&releasableTo=KZ,KG&evaluation=B2');
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    expect(node.submitted).to.have.length(1);
    expect(node.submitted[0]!.value.handling).to.deep.include({
      tlp: 'AMBER',
      releasableTo: ['KZ', 'KG'],
      evaluation: 'B2',
    });
  });

  for (const path of ['/v1/seizures/csv', '/v1/seizures/batch'])
    it(`refuses an unknown or repeated parameter by name at ${path} rather than sign other handling`, async () => {
      const cases: [string, { field: string; message: string }[]][] = [
        ['tlp=AMBER&releasable=KZ,KG', [{ field: 'releasable', message: USE }]],
        ['tlp=AMBER&releaseTo=KG', [{ field: 'releaseTo', message: USE }]],
        ['tlp=AMBER&evalution=B2', [{ field: 'evalution', message: USE }]],
        [
          'tlp=AMBER&releasableTo=KZ&releasableTo=KG',
          [
            {
              field: 'releasableTo',
              message:
                'is given more than once: give it once, the countries separated by commas (releasableTo=KZ,KG)',
            },
          ],
        ],
        ['tlp=AMBER&tlp=RED', [{ field: 'tlp', message: 'is given more than once: give it once' }]],
      ];
      for (const [query, errors] of cases) {
        const answer = await post(query, path);
        expect(answer.status, `${query}: ${JSON.stringify(answer.body)}`).to.equal(400);
        expect(answer.body.error?.code, query).to.equal('VALIDATION_FAILED');
        expect(answer.body.errors, query).to.deep.equal(errors);
      }
      expect(node.begun).to.deep.equal([]);
    });

  for (const path of ['/v1/seizures/csv', '/v1/seizures/batch'])
    it(`refuses a default no report could take by its parameter, value and rule at ${path}, not as a cell of every row`, async () => {
      const cases: [string, { field: string; message: string; value: string }[]][] = [
        [
          'tlp=AMBR',
          [
            {
              field: 'tlp',
              message: 'must be a TLP 2.0 level: CLEAR, GREEN, AMBER, AMBER+STRICT or RED',
              value: 'AMBR',
            },
          ],
        ],
        [
          'tlp=AMBER&evaluation=Q9',
          [
            {
              field: 'evaluation',
              message: 'must be a 4x4 code: source A-E or X, then information 1-4 (e.g. B2)',
              value: 'Q9',
            },
          ],
        ],
        ['tlp=AMBER&agency=' + 'a'.repeat(101), [{ field: 'agency', message: '', value: 'a'.repeat(60) }]],
        // Both wrong: both named at once.
        [
          'tlp=PURPLE&evaluation=B9',
          [
            { field: 'tlp', message: '', value: 'PURPLE' },
            { field: 'evaluation', message: '', value: 'B9' },
          ],
        ],
      ];
      for (const [query, errors] of cases) {
        const answer = await post(query, path);
        expect(answer.status, `${query}: ${JSON.stringify(answer.body)}`).to.equal(400);
        expect(answer.body.error?.code, query).to.equal('VALIDATION_FAILED');
        // Said of the query: no line, column or report.
        expect(answer.body, query).to.not.have.property('results');
        const got = answer.body.errors!;
        expect(
          got.map((e) => [e.field, e.value]),
          query,
        ).to.deep.equal(errors.map((e) => [e.field, e.value]));
        errors.forEach((e, i) => {
          if (e.message) expect(got[i]!.message, query).to.equal(e.message);
          else expect(got[i]!.message, query).to.match(/^must /);
        });
      }
      // A releasable-to entry that is no country nor region: the entry named, with the countries it may have meant.
      const releasable = await post('tlp=AMBER&releasableTo=KZ,Kazakhztan,central-asia,Atlantis', path);
      expect(releasable.status, JSON.stringify(releasable.body)).to.equal(400);
      const messages = releasable.body.errors!.map((e) => [e.field, e.value, e.message]);
      expect(messages).to.have.length(2);
      expect(messages[0]!.slice(0, 2)).to.deep.equal(['releasableTo', 'KZ,Kazakhztan,central-asia,Atlantis']);
      expect(messages[0]![2]).to.match(/^'Kazakhztan': unknown country; use an ISO 3166-1 alpha-2 code/);
      expect(messages[0]![2]).to.contain('did you mean KZ');
      expect(messages[1]![2]).to.match(/^'Atlantis': unknown country/);
      expect(node.begun).to.deep.equal([]);
    });

  it('takes a default written as the reports take it (tlp in lower case, a country by name, a region id)', async () => {
    const answer = await post('tlp=amber&releasableTo=Kazakhstan central-asia&agency=border police');
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    expect(node.submitted[0]!.value.handling).to.deep.include({
      tlp: 'AMBER',
      releasableTo: ['KZ', 'central-asia'],
    });
  });

  it('refuses a bad default before it reads the file, even a file that cannot be read', async () => {
    const answer = await node.post('/v1/seizures/csv?tlp=AMBR', Buffer.from([0x41, 0xff, 0x0a]), {
      'content-type': 'text/csv',
    });
    expect(answer.status, JSON.stringify(answer.body)).to.equal(400);
    expect(answer.body.errors!.map((e) => e.field)).to.deep.equal(['tlp']);
  });

  it('leaves a JSON batch to its own route, whatever its query', async () => {
    const answer = await node.post('/v1/seizures/batch?tlp=AMBER&releasable=KZ', [
      { ...minimal, reportId: randomUUID() },
    ]);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    expect(node.submitted).to.have.length(1);
  });
});

describe('national node CSV intake: the same file imported again', () => {
  let node: IntakeApp;
  beforeEach(async () => {
    node = await startIntakeApp();
  });
  afterEach(() => node.close());

  interface Result {
    reference: string | null;
    reportId: string;
    status: string;
    version?: number;
    messageId?: string;
    duplicate?: boolean;
    retracted?: boolean;
  }
  const importCsv = async (lines: string[]) => {
    const answer = await node.post('/v1/seizures/csv', lines.join('\r\n'), { 'content-type': 'text/csv' });
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    return answer.body.results as Result[];
  };
  const TWO = [
    HEADER,
    'AGAIN-1,2026-04-01,Heroin,2.5,kg,Khorgos,customs,AMBER',
    'AGAIN-2,2026-04-02,Opium,1,kg,Khorgos,customs,AMBER',
  ];
  const sent = () => node.submitted.map((s) => `${s.type} ${s.key} ${String(s.value.version)}`);
  const [one, two] = [csvReportId('KZ', 'AGAIN-1'), csvReportId('KZ', 'AGAIN-2')];

  it('answers the same rows imported again with the versions they made, as duplicates, and sends a changed row as the next version', async () => {
    const first = await importCsv(TWO);
    expect(first.map((r) => [r.reference, r.status, r.version, r.duplicate])).to.deep.equal([
      ['AGAIN-1', 'queued', 1, undefined],
      ['AGAIN-2', 'queued', 1, undefined],
    ]);
    // The file imported again (left in the inbox by a crash, or sent again by a client that lost the answer).
    const again = await importCsv(TWO);
    expect(again.map((r) => [r.reference, r.status, r.version, r.duplicate])).to.deep.equal([
      ['AGAIN-1', 'queued', 1, true],
      ['AGAIN-2', 'queued', 1, true],
    ]);
    expect(again.map((r) => r.messageId)).to.deep.equal(first.map((r) => r.messageId));
    expect(sent()).to.have.members([`SeizureReport ${one} 1`, `SeizureReport ${two} 1`]);
    expect(sent()).to.have.length(2);
    // One cell changed: that report's next version; the other row is still the same.
    const changed = await importCsv([TWO[0]!, TWO[1]!, TWO[2]!.replace(',1,kg,', ',3,kg,')]);
    expect(changed.map((r) => [r.reference, r.version, r.duplicate])).to.deep.equal([
      ['AGAIN-1', 1, true],
      ['AGAIN-2', 2, undefined],
    ]);
    expect(sent()).to.have.length(3);
    expect(sent()[2]).to.equal(`SeizureReport ${two} 2`);
    expect([node.reports.latest(one), node.reports.latest(two)]).to.deep.equal([1, 2]);
    // And the first file again: its row is no longer the latest version, so it is sent, as the next.
    const back = await importCsv(TWO);
    expect(back.map((r) => [r.reference, r.version, r.duplicate])).to.deep.equal([
      ['AGAIN-1', 1, true],
      ['AGAIN-2', 3, undefined],
    ]);
  });

  it('sends the same rows again, as the next version, when the hub refused the version they made', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-node-csv-'));
    const reports = new ReportsIndex(join(dir, 'reports.idx'));
    try {
      /** Envelopes the hub refused (their receipts said rejected). */
      const refused: string[] = [];
      const acceptor = createSeizureAcceptor({
        country: 'KZ',
        reports,
        regions: new Set(['central-asia']),
        submitter: { submit: async () => ({ messageId: randomUUID() }) },
        inbound: { refused: (_subjectId, messageId) => refused.includes(messageId) },
      });
      const importCsv = createCsvImporter({
        acceptor,
        logger: createLogger('test:csv', { level: 'silent' }),
      });
      const text = TWO.join('\r\n');
      const first = await importCsv(text, { channel: 'csv' });
      refused.push(first.results[0]!.messageId!);
      const again = await importCsv(text, { channel: 'csv' });
      expect(again.results[0]).to.deep.include({
        version: 2,
        resentAfterRefusal: { version: 1, messageId: first.results[0]!.messageId },
      });
      expect(again.results[0]).to.not.have.property('duplicate');
      expect(again.results[1]).to.include({ version: 1, duplicate: true });
    } finally {
      reports.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the Seizure Reference of a report erased at retention review as the cell to change, not an id the file never had', async () => {
    const unreferenced = ',2026-04-03,Cocaine,1,kg,Khorgos,customs,AMBER';
    const first = await importCsv([...TWO, unreferenced]);
    const erase = (subjectId: string) =>
      node.reports.erase({
        erasureId: `erasure-${subjectId}`,
        subjectType: 'SeizureReport',
        subjectId,
        versionsUpTo: 1,
        originCountry: 'KZ',
        reasonCode: 'retention_expired',
        orderedAt: Date.parse('2026-12-01T00:00:00Z'),
      });
    erase(one);
    erase(first[2]!.reportId);
    const post = (lines: string[]) =>
      node.post('/v1/seizures/csv', lines.join('\r\n'), { 'content-type': 'text/csv' });
    const again = await post([...TWO, unreferenced]);
    expect(again.status, JSON.stringify(again.body)).to.equal(207);
    const results = again.body.results as (Result & { errors?: Record<string, unknown>[] })[];
    expect(results.map((r) => [r.reference, r.status])).to.deep.equal([
      ['AGAIN-1', 'invalid'],
      ['AGAIN-2', 'queued'],
      [null, 'invalid'],
    ]);
    expect(results[0]!.errors).to.deep.equal([
      {
        line: 2,
        column: 'Seizure Reference',
        value: 'AGAIN-1',
        message: `erased at retention review (erasure erasure-${one}): give it a new Seizure Reference to report it again`,
      },
    ]);
    expect(results[2]!.errors).to.deep.equal([
      {
        line: 4,
        column: 'Seizure Reference',
        value: '',
        message: `erased at retention review (erasure erasure-${first[2]!.reportId}): give it a Seizure Reference to report it again`,
      },
    ]);
    expect(again.body.errors).to.deep.equal([results[0]!.errors![0], results[2]!.errors![0]]);
    expect(again.body).to.include({ accepted: 1, rejected: 2 });
    // A withdrawal of it: nothing left to withdraw, said of the same cell.
    const withdrawal = await post(['Seizure Reference,Retraction Reason', 'AGAIN-1,entered twice']);
    expect(withdrawal.status, JSON.stringify(withdrawal.body)).to.equal(207);
    expect((withdrawal.body.results as Result[])[0]).to.include({ status: 'invalid' });
    expect(withdrawal.body.errors).to.deep.equal([
      {
        line: 2,
        column: 'Seizure Reference',
        value: 'AGAIN-1',
        message: `erased at retention review (erasure erasure-${one}): the hub and this node keep nothing of it, so there is nothing to withdraw`,
      },
    ]);
    // Under a new reference it is a new report.
    const renamed = await importCsv([HEADER, TWO[1]!.replace('AGAIN-1', 'AGAIN-1B')]);
    expect(renamed[0]).to.include({ reference: 'AGAIN-1B', status: 'queued', version: 1 });
    expect(sent().filter((s) => s.includes(one))).to.have.length(1);
  });

  it('withdraws a report once when its withdrawal row is imported again, and knows a row without a reference by its content', async () => {
    const unreferenced = ',2026-04-03,Cocaine,1,kg,Khorgos,customs,AMBER';
    const first = await importCsv([...TWO, unreferenced]);
    const again = await importCsv([...TWO, unreferenced]);
    expect(again[2]).to.include({
      reference: null,
      version: 1,
      duplicate: true,
      reportId: first[2]!.reportId,
    });
    const withdrawal = ['Seizure Reference,Retraction Reason', 'AGAIN-1,entered twice'];
    const [withdrawn] = await importCsv(withdrawal);
    expect(withdrawn).to.include({ reportId: one, version: 2, retracted: true });
    expect(withdrawn).to.not.have.property('duplicate');
    const [repeated] = await importCsv(withdrawal);
    expect(repeated).to.include({
      reportId: one,
      version: 2,
      retracted: true,
      duplicate: true,
      messageId: withdrawn!.messageId,
    });
    expect(sent().filter((s) => s.startsWith('SeizureRetraction'))).to.deep.equal([
      `SeizureRetraction ${one} 2`,
    ]);
    expect(sent()).to.have.length(4);
    // Another reason is another withdrawal: sent.
    const [other] = await importCsv(['Seizure Reference,Retraction Reason', 'AGAIN-1,the wrong seizure']);
    expect(other).to.include({ version: 3, retracted: true });
    expect(other).to.not.have.property('duplicate');
  });
});
