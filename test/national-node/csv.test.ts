import { expect } from 'chai';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@hub/config';
import { csvReportId, parseCsv } from '@hub/domain';
import { COLLECTIONS, connectStore, type Store, type StoredReport } from '@hub/store';
import { hubAsync } from '../support/cli';
import { cliEnv, createTestEnv, sleep, waitUntil, type TestEnv } from '../support/env';
import { startTestHub, type TestHub } from '../support/hub';

const TEMPLATE_PATH = join(repoRoot, 'docs', 'templates', 'ids-seizures.csv');
const TEMPLATE = readFileSync(TEMPLATE_PATH, 'utf8');
const HEADER =
  'Seizure Reference,Seizure Date,Drug/Substance,Quantity Seized,Measurement Unit,DESTINATION_COUNTRY,Agency,TLP';

/** A file with good and bad rows; `p` prefixes the references so that each test has its own reports. */
const mixedFile = (p: string) =>
  [
    HEADER,
    `${p}-1,2026-04-01,Heroin,2.5,kg,Russian Federation,customs,AMBER`,
    `${p}-2,2026-04-02,herion,1,kg,,customs,AMBER`,
    `${p}-3,2026-04-03,Opium,-4,kg,,customs,AMBER`,
    `${p}-4,2026-04-04,Opium,7,kg,Narnia,customs,AMBER`,
    `${p}-5,2026-04-05,Hashish,3,kg,,police,GREEN`,
    `${p}-5,2026-04-05,Heroin,0.5,kg,,police,GREEN`,
    `${p}-6,2099-01-01,Heroin,1,kg,,customs,AMBER`,
  ].join('\r\n');

interface CsvAnswer {
  accepted: number;
  rejected: number;
  rows: number;
  results: {
    reportId: string;
    reference: string | null;
    lines: number[];
    status: string;
    version?: number;
    duplicate?: boolean;
  }[];
  errors: { line: number; column: string; value: string; message: string }[];
}

async function postCsv(url: string, text: string): Promise<{ status: number; body: CsvAnswer }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: text });
  return { status: res.status, body: (await res.json()) as CsvAnswer };
}

/** Text as Excel in a Russian locale saves it (windows-1251): ASCII as is, А-я at 0xC0-0xFF. */
const windows1251 = (text: string) =>
  Uint8Array.from([...text], (c) => {
    const u = c.codePointAt(0)!;
    if (u < 0x80) return u;
    if (u >= 0x410 && u <= 0x44f) return u - 0x410 + 0xc0;
    throw new Error(`no windows-1251 byte for ${c} in this test`);
  });
const CYRILLIC_HEADER = `${HEADER},Place`;
/** A file with a Cyrillic place name on its second line; `reference` names its one report. */
const cyrillicFile = (reference: string) =>
  [CYRILLIC_HEADER, `${reference},2026-04-01,Heroin,2.5,kg,,customs,AMBER,Хоргос таможня`].join('\r\n');

const errorRows = (path: string) =>
  parseCsv(readFileSync(path, 'utf8')).rows.map(({ fields: [line, column, value, message] }) => ({
    line: Number(line),
    column,
    value,
    message,
  }));

describe('national node CSV import: POST /v1/seizures/csv, hub import and the inbox folder', function () {
  this.timeout(180000);
  let env: TestEnv;
  let hubs: TestHub;
  let store: Store;
  let kz: string;

  const stored = (reportId: string) =>
    store
      .collection<StoredReport>(COLLECTIONS.reports)
      .findOne({ _id: reportId }) as Promise<StoredReport | null>;
  const storedAtVersion = (reportId: string, version: number) =>
    waitUntil(
      `report ${reportId} at version ${version} in the store`,
      async () => {
        const doc = await stored(reportId);
        return doc && doc.version >= version ? doc : undefined;
      },
      60000,
      250,
    );

  before(async () => {
    env = createTestEnv('csv-import');
    hubs = await startTestHub(env, ['KZ']);
    kz = hubs.nodes.KZ!.url;
    store = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });
  });
  after(async () => {
    await hubs?.close();
    await store?.close();
    env?.cleanup();
  });

  it('imports the template: one report per seizure reference, every one in the coordinator’s store', async () => {
    const { status, body } = await postCsv(`${kz}/v1/seizures/csv`, TEMPLATE);
    expect(status, JSON.stringify(body.errors)).to.equal(202);
    expect(body).to.include({ accepted: 4, rejected: 0, rows: 5 });
    expect(body.errors).to.deep.equal([]);
    expect(body.results.map((r) => [r.reference, r.lines, r.status, r.version])).to.deep.equal([
      ['KZ-CUS-2026-0142', [2, 3], 'queued', 1],
      ['KZ-POL-2026-0077', [4], 'queued', 1],
      ['KZ-POL-2026-0213', [5], 'queued', 1],
      [null, [6], 'queued', 1],
    ]);
    expect(body.results[0]!.reportId).to.equal(csvReportId('KZ', 'KZ-CUS-2026-0142'));
    const docs = await Promise.all(body.results.map((r) => storedAtVersion(r.reportId, 1)));
    const truck = docs[0]!.report as Record<string, any>;
    expect(truck.caseReference).to.equal('KZ-CUS-2026-0142');
    expect(truck.reportingChannel).to.equal('csv');
    expect(
      truck.drugs.map((d: { substance: string; quantityKg: number }) => [d.substance, d.quantityKg]),
    ).to.deep.equal([
      ['heroin', 12.5],
      ['cannabis-resin', 3.2],
    ]);
    expect(truck.route.map((l: { country: string; role: string }) => `${l.country}:${l.role}`)).to.deep.equal(
      ['AF:origin', 'TJ:departure', 'KG:transit', 'RU:destination'],
    );
    expect(docs[0]!.handling.tlp).to.equal('AMBER');
    expect((docs[3]!.report as Record<string, any>).drugs[0].quantityKg).to.equal(0.45);
  });

  it('imports the template again: the reports already sent are answered as duplicates, not sent again; a changed row is the next version', async () => {
    // No --url: the CLI finds the node from $HUB_HOME (node.json of the running node, or hub start's endpoints).
    mkdirSync(join(env.home, 'run'), { recursive: true });
    writeFileSync(join(env.home, 'run', 'endpoints.json'), JSON.stringify({ nodes: { KZ: kz } }));
    const errorsFile = join(env.home, 'template.errors.csv');
    const run = await hubAsync(
      ['import', TEMPLATE_PATH, '--node', 'KZ', '--errors', errorsFile],
      cliEnv(env),
    );
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/accepted\s+5 rows in 4 reports/);
    expect(run.stdout).to.match(/refused\s+0 rows in 0 reports/);
    expect(run.stderr).to.contain('100%');
    expect(readFileSync(errorsFile, 'utf8').trim()).to.equal('line,column,value,message');
    // Once more over HTTP (a client that lost the answer): every report answered with the version it made.
    const again = await postCsv(`${kz}/v1/seizures/csv`, TEMPLATE);
    expect(again.status, JSON.stringify(again.body)).to.equal(202);
    expect(again.body.results.map((r) => [r.reference, r.version, r.duplicate])).to.deep.equal([
      ['KZ-CUS-2026-0142', 1, true],
      ['KZ-POL-2026-0077', 1, true],
      ['KZ-POL-2026-0213', 1, true],
      [null, 1, true],
    ]);
    // A corrected file: the changed report alone becomes version 2 (3, had the imports above sent it again).
    const corrected = join(env.home, 'template-corrected.csv');
    writeFileSync(corrected, TEMPLATE.replace(',Heroin,12.5,kg,', ',Heroin,13.5,kg,'));
    const fix = await hubAsync(['import', corrected, '--node', 'KZ'], cliEnv(env));
    expect(fix.status, fix.stderr).to.equal(0);
    const id = csvReportId('KZ', 'KZ-CUS-2026-0142');
    const doc = await storedAtVersion(id, 2);
    expect(doc.version).to.equal(2);
    expect((doc.report as Record<string, any>).drugs[0].quantityKg).to.equal(13.5);
    const versions = await store.collection(COLLECTIONS.reportVersions).countDocuments({ reportId: id });
    expect(versions).to.equal(2);
    const unchanged = csvReportId('KZ', 'KZ-POL-2026-0213');
    expect(
      await store.collection(COLLECTIONS.reportVersions).countDocuments({ reportId: unchanged }),
    ).to.equal(1);
    const sameReference = await store
      .collection(COLLECTIONS.reports)
      .countDocuments({ 'report.caseReference': 'KZ-CUS-2026-0142' });
    expect(sameReference).to.equal(1);
  });

  it('withdraws earlier reports by their seizure reference, and names a reference it never sent', async () => {
    const withdrawals = [
      'Seizure Reference,Retraction Reason',
      'KZ-POL-2026-0077,entered twice: the same seizure as KZ-POL-2026-0076',
      'KZ-NEVER-SENT,wrong file',
      // A reason longer than a node takes is refused, not cut: it is signed and kept with the record.
      `KZ-POL-2026-0076,${'r'.repeat(1001)}`,
    ].join('\n');
    const { status, body } = await postCsv(`${kz}/v1/seizures/csv`, withdrawals);
    expect(status).to.equal(207);
    expect(body.errors).to.have.deep.members([
      {
        line: 3,
        column: 'Retraction Reason',
        value: 'KZ-NEVER-SENT',
        message:
          'no report with this Seizure Reference was sent by this node, so there is nothing to withdraw',
      },
      {
        line: 4,
        column: 'Retraction Reason',
        value: 'r'.repeat(100),
        message: 'must be at most 1000 characters (got 1001)',
      },
    ]);
    const id = csvReportId('KZ', 'KZ-POL-2026-0077');
    await waitUntil('the withdrawal stored', async () => {
      const doc = await store.collection(COLLECTIONS.reports).findOne({ _id: id as never });
      return (doc as { status?: string } | null)?.status === 'retracted' || undefined;
    });
  });

  it('answers a file with bad rows with 207, naming line, column and reason, and queues the good ones', async () => {
    const { status, body } = await postCsv(`${kz}/v1/seizures/csv`, mixedFile('API'));
    expect(status).to.equal(207);
    expect(body).to.include({ accepted: 2, rejected: 4, rows: 7 });
    const where = body.errors.map((e) => `${e.line}|${e.column}|${e.value}`);
    expect(where).to.deep.equal([
      '3|Drug/Substance|herion',
      '4|Quantity Seized|-4',
      '5|DESTINATION_COUNTRY|Narnia',
      '8|Seizure Date|2099-01-01',
    ]);
    expect(body.errors[0]!.message).to.match(/did you mean heroin/);
    expect(body.errors[3]!.message).to.match(/future/);
    const good = body.results.filter((r) => r.status === 'queued').map((r) => r.reference);
    expect(good).to.deep.equal(['API-1', 'API-5']);
    const five = await storedAtVersion(csvReportId('KZ', 'API-5'), 1);
    expect((five.report as Record<string, any>).drugs).to.have.length(2);
    await storedAtVersion(csvReportId('KZ', 'API-1'), 1);
    expect(await stored(csvReportId('KZ', 'API-2'))).to.equal(null);
  });

  it('takes a CSV body on /v1/seizures/batch too, and a ;-separated file with decimal commas', async () => {
    const text = [
      'reference;date;drug;quantity;unit;agency;tlp',
      'SEMI-1;14.04.2026;Героин;1,25;кг;customs;GREEN',
    ].join('\n');
    const { status, body } = await postCsv(`${kz}/v1/seizures/batch`, text);
    expect(status, JSON.stringify(body)).to.equal(202);
    const doc = await storedAtVersion(body.results[0]!.reportId, 1);
    expect((doc.report as Record<string, any>).drugs[0]).to.include({
      substance: 'heroin',
      quantityKg: 1.25,
    });
  });

  it('refuses a misspelt or repeated handling parameter by name, and signs the handling a correct query gives', async () => {
    // An IDS file without TLP or Releasable To columns: its handling comes from the query.
    const file = [
      'Seizure Reference,Seizure Date,Drug/Substance,Quantity Seized,Measurement Unit,Agency',
      'QRY-1,2026-04-01,Heroin,2.5,kg,customs',
    ].join('\r\n');
    for (const [path, query, field] of [
      ['csv', 'tlp=AMBER&releasable=KZ,KG', 'releasable'],
      ['batch', 'tlp=AMBER&releasableTo=KZ&releasableTo=KG', 'releasableTo'],
      ['csv', 'tlp=AMBER&tlp=RED', 'tlp'],
    ] as const) {
      const res = await fetch(`${kz}/v1/seizures/${path}?${query}`, {
        method: 'POST',
        headers: { 'content-type': 'text/csv' },
        body: file,
      });
      const body = (await res.json()) as { error?: { code: string }; errors?: { field: string }[] };
      expect(res.status, `${query}: ${JSON.stringify(body)}`).to.equal(400);
      expect(body.error?.code, query).to.equal('VALIDATION_FAILED');
      expect(
        body.errors?.map((e) => e.field),
        query,
      ).to.deep.equal([field]);
    }
    const { status, body } = await postCsv(`${kz}/v1/seizures/csv?tlp=AMBER&releasableTo=KZ,KG`, file);
    expect(status, JSON.stringify(body)).to.equal(202);
    // Its first version: none of the refused imports was sent.
    expect(body.results[0]).to.include({ status: 'queued', version: 1 });
    const doc = await storedAtVersion(csvReportId('KZ', 'QRY-1'), 1);
    expect(doc.version).to.equal(1);
    expect((doc.report as Record<string, any>).handling).to.deep.include({
      tlp: 'AMBER',
      releasableTo: ['KZ', 'KG'],
    });
  });

  it('refuses a body that is not CSV (415) or over 20 MB (413)', async () => {
    const json = await fetch(`${kz}/v1/seizures/csv`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(json.status).to.equal(415);
    const refused = (await json.json()) as { error: { code: string; message: string } };
    expect(refused.error.code).to.equal('UNSUPPORTED_MEDIA_TYPE');
    expect(refused.error.message).to.equal(
      'send the file with Content-Type: text/csv (got application/json); a JSON array of reports goes to /v1/seizures/batch',
    );
    const big = await fetch(`${kz}/v1/seizures/csv`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: `${HEADER}\n${'x'.repeat(21 * 1024 * 1024)}`,
    });
    expect(big.status).to.equal(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).to.equal('BODY_TOO_LARGE');
  });

  it('refuses a windows-1251 CSV sent without its charset, naming line and byte, and reads it with the charset declared', async () => {
    const text = cyrillicFile('CP1251-1');
    const bytes = windows1251(text);
    const undeclared = await fetch(`${kz}/v1/seizures/csv`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: bytes,
    });
    const refusal = (await undeclared.json()) as {
      error: { code: string };
      errors: { field: string; message: string; value: string }[];
    };
    expect(undeclared.status, JSON.stringify(refusal)).to.equal(400);
    expect(refusal.error.code).to.equal('VALIDATION_FAILED');
    expect(refusal.errors).to.have.length(1);
    expect(refusal.errors[0]!.field).to.equal('(body)');
    expect(refusal.errors[0]!.value).to.equal('0xD5 0xEE 0xF0 0xE3');
    expect(refusal.errors[0]!.message).to.contain(`line 2, byte offset ${text.indexOf('Хоргос')}:`);
    expect(refusal.errors[0]!.message).to.contain('charset=windows-1251');
    // Nothing of it was signed or sent.
    await sleep(2000);
    expect(await stored(csvReportId('KZ', 'CP1251-1'))).to.equal(null);

    const declared = await fetch(`${kz}/v1/seizures/csv`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv; charset=windows-1251' },
      body: bytes,
    });
    expect(declared.status, await declared.clone().text()).to.equal(202);
    const doc = await storedAtVersion(csvReportId('KZ', 'CP1251-1'), 1);
    expect((doc.report as Record<string, any>).place.name).to.equal('Хоргос таможня');
  });

  it('hub import of a file with bad rows: exit 1, an error report by file line, good rows stored', async () => {
    const file = join(env.home, 'mixed.csv');
    writeFileSync(file, mixedFile('CLI'));
    // Two reports a request: the error lines must still be the file's, across requests.
    const run = await hubAsync(['import', file, '--node', 'KZ', '--url', kz, '--chunk', '2'], cliEnv(env));
    expect(run.status, run.stderr).to.equal(1);
    expect(run.stdout).to.match(/accepted\s+3 rows in 2 reports/);
    expect(run.stdout).to.match(/refused\s+4 rows in 4 reports/);
    const errors = errorRows(`${file}.errors.csv`);
    expect(errors.map((e) => `${e.line}|${e.column}|${e.value}`)).to.deep.equal([
      '3|Drug/Substance|herion',
      '4|Quantity Seized|-4',
      '5|DESTINATION_COUNTRY|Narnia',
      '8|Seizure Date|2099-01-01',
    ]);
    expect(errors[1]!.message).to.equal('must be greater than 0');
    await storedAtVersion(csvReportId('KZ', 'CLI-1'), 1);
    await storedAtVersion(csvReportId('KZ', 'CLI-5'), 1);
    expect(await stored(csvReportId('KZ', 'CLI-4'))).to.equal(null);
  });

  it('hub import refuses to run without a node and explains (exit 2)', async () => {
    const run = await hubAsync(['import', TEMPLATE_PATH], cliEnv(env));
    expect(run.status).to.equal(2);
    expect(run.stderr).to.contain('--node');
    const help = await hubAsync(['import', '--help'], cliEnv(env));
    expect(help.status).to.equal(0);
    expect(help.stdout).to.contain('hub import <file.csv> --node <CC>');
  });

  it('imports files dropped into the inbox folder and moves them to done/ or failed/ with a report', async () => {
    const inbox = join(env.home, 'nodes', 'KZ', 'inbox');
    expect(existsSync(inbox)).to.equal(true);
    // Written beside, then renamed into place: the safe way.
    const good = [
      HEADER,
      'INBOX-1,2026-05-01,Heroin,4,kg,,customs,AMBER',
      'INBOX-1,2026-05-01,Opium,9,kg,,customs,AMBER',
    ];
    writeFileSync(join(inbox, '.good.csv.part'), good.join('\n'));
    renameSync(join(inbox, '.good.csv.part'), join(inbox, 'good.csv'));
    writeFileSync(join(inbox, 'mixed.csv'), mixedFile('INBOX-M'));

    await waitUntil('good.csv in done/', () => existsSync(join(inbox, 'done', 'good.csv')), 30000, 200);
    expect(existsSync(join(inbox, 'good.csv'))).to.equal(false);
    expect(errorRows(join(inbox, 'done', 'good.csv.errors.csv'))).to.deep.equal([]);
    const doc = await storedAtVersion(csvReportId('KZ', 'INBOX-1'), 1);
    expect((doc.report as Record<string, any>).reportingChannel).to.equal('inbox');
    expect((doc.report as Record<string, any>).drugs).to.have.length(2);

    await waitUntil('mixed.csv in failed/', () => existsSync(join(inbox, 'failed', 'mixed.csv')), 30000, 200);
    const errors = errorRows(join(inbox, 'failed', 'mixed.csv.errors.csv'));
    expect(errors.map((e) => `${e.line}|${e.column}`)).to.deep.equal([
      '3|Drug/Substance',
      '4|Quantity Seized',
      '5|DESTINATION_COUNTRY',
      '8|Seizure Date',
    ]);
    await storedAtVersion(csvReportId('KZ', 'INBOX-M-1'), 1);
    await storedAtVersion(csvReportId('KZ', 'INBOX-M-5'), 1);
  });

  it('moves an inbox file that is not UTF-8 to failed/, its report naming the line and byte, and sends none of it', async () => {
    const inbox = join(env.home, 'nodes', 'KZ', 'inbox');
    const text = cyrillicFile('INBOX-CP1251');
    writeFileSync(join(inbox, '.cp1251.csv.part'), windows1251(text));
    renameSync(join(inbox, '.cp1251.csv.part'), join(inbox, 'cp1251.csv'));
    await waitUntil(
      'cp1251.csv in failed/',
      () => existsSync(join(inbox, 'failed', 'cp1251.csv')),
      30000,
      200,
    );
    const errors = errorRows(join(inbox, 'failed', 'cp1251.csv.errors.csv'));
    expect(errors).to.have.length(1);
    expect(errors[0]).to.include({ line: 2, column: '', value: '0xD5 0xEE 0xF0 0xE3' });
    expect(errors[0]!.message).to.contain(`line 2, byte offset ${text.indexOf('Хоргос')}:`);
    expect(errors[0]!.message).to.contain('save it in UTF-8');
    expect(await stored(csvReportId('KZ', 'INBOX-CP1251'))).to.equal(null);
  });

  it('does not take an inbox file while it is still being written', async () => {
    const inbox = join(env.home, 'nodes', 'KZ', 'inbox');
    const path = join(inbox, 'slow.csv');
    writeFileSync(path, `${HEADER}\r\n`);
    // A writer that adds a row every 250 ms for 3 s, the last one cut in two: any early pick-up would
    // refuse the half line or miss the rows after it.
    for (let i = 1; i <= 12; i++) {
      await sleep(250);
      expect(existsSync(path), `taken after ${i - 1} rows`).to.equal(true);
      if (i < 12) appendFileSync(path, `SLOW-${i},2026-06-0${1 + (i % 9)},Heroin,${i},kg,,customs,AMBER\r\n`);
      else appendFileSync(path, `SLOW-12,2026-06-0`);
    }
    await sleep(250);
    appendFileSync(path, '3,Heroin,12,kg,,customs,AMBER\r\n');
    await waitUntil('slow.csv in done/', () => existsSync(join(inbox, 'done', 'slow.csv')), 30000, 200);
    expect(errorRows(join(inbox, 'done', 'slow.csv.errors.csv'))).to.deep.equal([]);
    await storedAtVersion(csvReportId('KZ', 'SLOW-12'), 1);
    await storedAtVersion(csvReportId('KZ', 'SLOW-1'), 1);
  });
});
