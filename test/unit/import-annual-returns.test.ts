// Unit tier: `hub import-annual` reading a World Drug Report annex file (separators and decimal marks as `hub import`
// reads them), what it writes when a node refuses a return whole, which returns it counts as sent, and the send-only
// identity it renews before it expires. A fake node in this process; no Kafka, no store (closed ports).
import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWdrAnnex } from '@hub/domain';
import { PkiStore, createCa } from '@hub/pki';
import { sendCountry, sendingIdentity } from '../../scripts/src/cli/commands/import-annual';
import { hubAsync } from '../support/cli';

const DAY = 86_400_000;
const HEADER = 'region,country,iso3,drug_group,drug_name,year,kilograms';

describe('hub import-annual: reading the annex', () => {
  it("reads a ';' file with decimal commas, as hub import does", () => {
    const text = `${HEADER.replaceAll(',', ';')}\nAsia;Tajikistan;TJK;Opioids;Heroin;2023;422,48\nAsia;Tajikistan;TJK;Opioids;Opium;2023;1200\n`;
    const { returns, errors, header } = readWdrAnnex(text);
    expect(header).to.equal(undefined);
    expect(errors).to.deep.equal([]);
    expect(returns).to.deep.equal([
      {
        country: 'TJ',
        year: 2023,
        rows: [
          { drugGroup: 'Opioids', drugName: 'Heroin', kilograms: 422.48 },
          { drugGroup: 'Opioids', drugName: 'Opium', kilograms: 1200 },
        ],
        lines: [2, 3],
      },
    ]);
    // Tab separated too.
    expect(
      readWdrAnnex(`${HEADER.replaceAll(',', '\t')}\nAsia\tTajikistan\tTJK\tOpioids\tHeroin\t2023\t7.5\n`)
        .returns[0]?.rows[0]?.kilograms,
    ).to.equal(7.5);
  });

  it('refuses kilograms that are not in decimal notation, naming the line and the cell', () => {
    const { returns, errors } = readWdrAnnex(
      `${HEADER}\nAsia,Tajikistan,TJK,Opioids,Heroin,2023,0x10\nAsia,Tajikistan,TJK,Opioids,Opium,2023,12\n`,
    );
    expect(errors).to.deep.equal([
      {
        line: 2,
        column: 'kilograms',
        value: '0x10',
        message:
          'must be a number of kilograms in decimal notation (like 422.48), 0 or more (leave the row out when not reported)',
      },
    ]);
    expect(returns[0]?.rows.map((r) => r.kilograms)).to.deep.equal([12]);
  });

  it("refuses a comma in kilograms outside a ';' file rather than guess decimal mark or thousands", () => {
    // "0,500" read as a thousands group was 500 kg instead of half a kilogram.
    const rule =
      "a decimal comma only in ';'-separated files, and no thousands separator; write 0.5 for half a kilogram, 1250 for one thousand two hundred and fifty";
    const { returns, errors } = readWdrAnnex(
      `${HEADER}\nAsia,Tajikistan,TJK,Opioids,Heroin,2023,"0,500"\nAsia,Tajikistan,TJK,Opioids,Opium,2023,"1,250"\nAsia,Tajikistan,TJK,Opioids,Morphine,2023,0.5\n`,
    );
    expect(errors).to.deep.equal([
      {
        line: 2,
        column: 'kilograms',
        value: '0,500',
        message: `must not hold a comma in a ','-separated file: ${rule}`,
      },
      {
        line: 3,
        column: 'kilograms',
        value: '1,250',
        message: `must not hold a comma in a ','-separated file: ${rule}`,
      },
    ]);
    expect(returns[0]?.rows.map((r) => r.kilograms)).to.deep.equal([0.5]);
    const tab = readWdrAnnex(
      `${HEADER.replaceAll(',', '\t')}\nAsia\tTajikistan\tTJK\tOpioids\tHeroin\t2023\t0,125\n`,
    );
    expect(tab.errors.map((e) => [e.value, e.message])).to.deep.equal([
      ['0,125', `must not hold a comma in a tab-separated file: ${rule}`],
    ]);
    // In a ';' file the comma is the decimal mark: "0,500" is half a kilogram.
    expect(
      readWdrAnnex(`${HEADER.replaceAll(',', ';')}\nAsia;Tajikistan;TJK;Opioids;Heroin;2023;0,500\n`)
        .returns[0]?.rows[0]?.kilograms,
    ).to.equal(0.5);
  });

  it('stops at a header without the annex columns, before the PKI and the brokers (exit 2)', async function () {
    this.timeout(30000);
    const dir = mkdtempSync(join(tmpdir(), 'hub-import-annual-'));
    try {
      const file = join(dir, 'other.csv');
      writeFileSync(file, 'region;country;countrycode;year;kgequivalent\nAsia;Tajikistan;TJK;2023;5\n');
      const run = await hubAsync(['import-annual', file], {
        ...process.env,
        HUB_HOME: dir,
        HUB_KAFKA_BROKERS: '127.0.0.1:1',
        HUB_MONGO_URL: 'mongodb://127.0.0.1:1/',
        HUB_NODE_TOKEN_FILE: '',
      });
      expect(run.status, run.stderr).to.equal(2);
      expect(run.stderr).to.include(
        `${file}, line 1: the header must name iso3, drug_group, drug_name, year, kilograms (World Drug Report annex 7.1 shape); iso3, drug_group, drug_name, kilograms not found among the 5 columns read with the separator ';'`,
      );
      expect(run.stderr).to.include('nothing was sent');
      expect(run.stderr).not.to.include('no hub CA');
      expect(run.stderr).not.to.include('unexpected error');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('hub import-annual: a return refused whole', () => {
  let server: Server;
  let url: string;
  const posted: unknown[] = [];
  before(async () => {
    // Answers as routes-annual.ts does for a return with one unknown drug group: 400, the row named.
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        posted.push(JSON.parse(body));
        res.writeHead(400, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            error: { code: 'VALIDATION_FAILED', message: 'input is not valid' },
            errors: [
              {
                field: 'rows[1].drugGroup',
                message: 'unknown drug group; use a World Drug Report group or its code (opioids)',
                value: 'Opiods',
              },
            ],
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  it('puts every line of the return in the error file and counts nothing as sent', async () => {
    const { returns } = readWdrAnnex(
      `${HEADER}
Asia,Tajikistan,TJK,Opioids,Heroin,2023,422.48
Asia,Tajikistan,TJK,Opiods,Opium,2023,1200
Asia,Tajikistan,TJK,Cannabis-type drugs (excluding synthetic cannabinoids),Cannabis herb (marijuana),2023,3100
`,
    );
    const outcome = await sendCountry(url, returns, 'CLEAR');
    expect(posted).to.have.length(1);
    expect(outcome.sent).to.equal(0);
    expect(outcome.sentRows).to.equal(0);
    const reason = 'unknown drug group; use a World Drug Report group or its code (opioids)';
    expect(outcome.errors).to.deep.equal([
      {
        line: 3,
        column: 'drug_group',
        value: 'Opiods',
        message: `${reason} (the TJ 2023 return was refused for it: none of its lines was sent)`,
      },
      {
        line: 2,
        column: '',
        value: '',
        message: `not sent: the TJ 2023 return was refused for line 3: drug_group: ${reason}`,
      },
      {
        line: 4,
        column: '',
        value: '',
        message: `not sent: the TJ 2023 return was refused for line 3: drug_group: ${reason}`,
      },
    ]);
  });
});

describe('hub import-annual: the send-only identity of a country', function () {
  this.timeout(60000);
  let dir: string;
  let pki: PkiStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-import-annual-pki-'));
    pki = new PkiStore(dir);
    pki.initCa({ bits: 2048 });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('issues one when missing, keeps a valid one, and issues again one expired or expiring within 30 days', () => {
    expect(sendingIdentity(pki, 'TJ', Date.now())).to.equal('issued');
    const valid = pki.identity('TJ').fingerprint;
    expect(sendingIdentity(pki, 'TJ', Date.now())).to.equal('kept');
    expect(pki.identity('TJ').fingerprint).to.equal(valid);
    // 400 days on, the 397-day certificate has expired: a node would answer every return 503.
    expect(sendingIdentity(pki, 'TJ', Date.now() + 400 * DAY)).to.equal('renewed');
    expect(pki.identity('TJ').fingerprint).not.to.equal(valid);

    pki.issue({ country: 'KZ', agency: 'KZ customs', validityDays: 20 });
    const expiring = pki.identity('KZ').fingerprint;
    expect(sendingIdentity(pki, 'KZ', Date.now())).to.equal('renewed');
    expect(pki.identity('KZ').fingerprint).not.to.equal(expiring);
  });

  it("keeps, in the hub CA's last days, a certificate that ends with the CA, and says to roll the CA over", async () => {
    // A CA with 20 days left: every certificate from it ends with it, so a new one would last no longer.
    const caDir = mkdtempSync(join(tmpdir(), 'hub-import-annual-ca-'));
    try {
      mkdirSync(join(caDir, 'ca'));
      const ca = createCa({ bits: 2048, validityYears: 10, now: new Date(Date.now() - (3650 - 20) * DAY) });
      writeFileSync(join(caDir, 'ca', 'ca.crt'), ca.certPem);
      writeFileSync(join(caDir, 'ca', 'ca.key'), ca.keyPem);
      const ending = new PkiStore(caDir);
      const told: Date[] = [];
      const runs = [1, 2, 3].map(() => sendingIdentity(ending, 'TJ', Date.now(), (end) => told.push(end)));
      expect(runs).to.deep.equal(['issued', 'kept', 'kept']);
      // One key and certificate, not one per import.
      expect(readdirSync(ending.identityDir('TJ')).sort()).to.deep.equal(['node.crt', 'node.key']);
      expect(told.map((d) => d.getTime())).to.deep.equal(
        Array(3).fill(Date.parse(new X509Certificate(ca.certPem).validTo)),
      );
      // After a rollover a new one lasts longer: issued again from the new CA.
      await ending.rolloverCa({ bits: 2048 });
      const before = ending.identity('TJ').fingerprint;
      expect(sendingIdentity(ending, 'TJ', Date.now())).to.equal('renewed');
      expect(ending.identity('TJ').fingerprint).not.to.equal(before);
      const notAfter = Date.parse(new X509Certificate(ending.identity('TJ').certificatePem).validTo);
      expect(notAfter).to.be.greaterThan(Date.now() + 300 * DAY);
    } finally {
      rmSync(caDir, { recursive: true, force: true });
    }
  });
});
