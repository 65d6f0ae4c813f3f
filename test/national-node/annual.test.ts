// The World Drug Report annex imported through each country's node, and its cells returned exactly by the
// query API's annual statistics.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import countries from 'i18n-iso-countries';
import { repoRoot } from '@hub/config';
import { annualDrugKey, csvRecords, loadDrugGroups } from '@hub/domain';
import { COLLECTIONS, connectStore } from '@hub/store';
import { hubAsync } from '../support/cli';
import { cliEnv, createTestEnv, waitUntil, type TestEnv } from '../support/env';
import { getJson, postJson, startTestHub, type TestHub } from '../support/hub';

// The World Drug Report 2025 annex 7.1 (UNODC, public), kept in the checkout so that any clone can run the test.
const ANNEX = join(repoRoot, 'test', 'fixtures', 'wdr2025_annex7.1_seizures_2019-2023.csv');

/** The annex's cells computed straight from the file: (country, drug, year) → kilograms, repeats added. */
function expectedCells(): Map<string, number> {
  const records = csvRecords(readFileSync(ANNEX, 'utf8'));
  const header = records.shift()!.fields;
  const col = (n: string) => header.indexOf(n);
  const cells = new Map<string, number>();
  for (const { fields } of records) {
    const cc = countries.alpha3ToAlpha2(fields[col('iso3')]!)!;
    const group = loadDrugGroups().resolve(fields[col('drug_group')]!) ?? null;
    const drug = annualDrugKey(fields[col('drug_name')]!, group).key;
    const key = `${cc}|${drug}|${fields[col('year')]}`;
    cells.set(key, (cells.get(key) ?? 0) + Number(fields[col('kilograms')]));
  }
  return cells;
}

describe('annual returns: the World Drug Report annex through the national nodes', function () {
  this.timeout(900000);
  let env: TestEnv;
  let hub: TestHub;
  let token: string;
  const stats = async (query: string) => {
    const r = await getJson(`${hub.apiUrl}/v1/stats?source=annual&${query}`, token);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    return r.body.rows as { key: string; quantityKg: number; count: number }[];
  };

  before(async () => {
    env = createTestEnv('annual');
    hub = await startTestHub(env, ['TJ'], { unknownSignerGraceMs: 30000 });
    token = hub.token('analyst', 'KZ', 'GREEN');
  });
  after(async () => {
    await hub?.close();
    env?.cleanup();
  });

  it('imports every row of the annex, each country signed by its own node', async () => {
    const result = await hubAsync(['import-annual', ANNEX, '--concurrency', '6'], cliEnv(env), 600000);
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stderr).to.match(/11198 rows read: 671 returns .* of 164 countries/);
    const store = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });
    try {
      await waitUntil(
        'all 671 returns stored',
        async () => (await store.collection(COLLECTIONS.annualReturns).countDocuments()) === 671,
        300000,
        1000,
      );
      const tj = await store.collection(COLLECTIONS.annualReturns).findOne({ country: 'TJ', year: 2023 });
      expect(tj?.originCountry).to.equal('TJ');
      const envelope = await store.collection(COLLECTIONS.envelopes).findOne({ _id: tj?.messageId });
      expect(envelope?.signerCertificatePem).to.be.a('string');
      expect(envelope?.origin).to.equal('TJ');
    } finally {
      await store.close();
    }
  });

  it('returns the cells of reference.md exactly, cocaine without coca leaf', async () => {
    expect(await stats('country=IR&drug=heroin&year=2022')).to.deep.include({
      key: 'IR',
      country: 'IR',
      quantityKg: 17273,
      count: 1,
    });
    expect((await stats('country=TJ&drug=heroin&from=2023&to=2023'))[0]?.quantityKg).to.equal(422.48);
    // Colombia 2023: paste/base 99,356 + HCl 746,285 + smokable forms 1,088; never its 984,366 kg of coca leaf.
    expect((await stats('country=CO&drug=cocaine&year=2023'))[0]?.quantityKg).to.equal(846729);
    expect((await stats('country=CO&drug=coca-leaf&year=2023'))[0]?.quantityKg).to.equal(984366);
  });

  it('never counts a total row and its parts twice, and keeps "not reported" apart from zero', async () => {
    // Canada 2023 reports a cocaine total of 9,764.25 kg beside 4.18 kg of parts: the total is the figure.
    expect((await stats('country=CA&drug=cocaine&year=2023'))[0]?.quantityKg).to.equal(9764.25);
    const byDrug = await stats('country=CA&year=2023&groupBy=drug&drugGroup=cocaine-type');
    expect(byDrug.map((r) => r.key)).to.include('cocaine-total');
    // Turkmenistan reports nothing for 2019-2023: no rows, not zeros.
    expect(await stats('country=TM')).to.deep.equal([]);
    // Its group figure: total row plus the coca leaf outside it, never the parts again.
    const group = await stats('country=CA&year=2023&groupBy=drugGroup&drugGroup=cocaine-type');
    const leaf = (await stats('country=CA&year=2023&drug=coca-leaf'))[0]?.quantityKg ?? 0;
    expect(group[0]?.quantityKg).to.be.closeTo(9764.25 + leaf, 1e-6);
  });

  it('returns every cell of the annex exactly (country × drug × year)', async () => {
    const expected = expectedCells();
    const rows = (await stats('groupBy=country,drug,year')) as unknown as {
      country: string;
      drug: string;
      year: number;
      quantityKg: number;
    }[];
    const got = new Map(rows.map((r) => [`${r.country}|${r.drug}|${r.year}`, r.quantityKg]));
    expect(got.size).to.equal(expected.size);
    const wrong = [...expected].filter(([k, v]) => Math.abs((got.get(k) ?? NaN) - v) > 1e-6);
    expect(wrong.slice(0, 5)).to.deep.equal([]);
  });

  it('refuses a return with a named field error, and a country that is not the node’s', async () => {
    const bad = await postJson(`${hub.nodes.TJ!.url}/v1/annual-returns`, {
      year: 2024,
      rows: [
        { drugName: 'Heroin', kilograms: -3 },
        { drugName: 'Mystery powder', kilograms: 1 },
      ],
      handling: { tlp: 'GREEN' },
    });
    expect(bad.status).to.equal(400);
    const fields = (bad.body.errors as { field: string }[]).map((e) => e.field);
    expect(fields).to.include.members(['rows[0].kilograms', 'rows[1].drugGroup']);
    const other = await postJson(`${hub.nodes.TJ!.url}/v1/annual-returns`, {
      country: 'Uzbekistan',
      year: 2024,
      rows: [{ drugName: 'Heroin', kilograms: 3 }],
      handling: { tlp: 'GREEN' },
    });
    expect(other.status).to.equal(400);
    expect(JSON.stringify(other.body.errors)).to.match(/through UZ's node/);
  });

  it('replaces a return by its next version in the statistics', async () => {
    const sent = await postJson(`${hub.nodes.TJ!.url}/v1/annual-returns`, {
      year: 2023,
      rows: [{ drugGroup: 'Opioids', drugName: 'Heroin', kilograms: 500 }],
      handling: { tlp: 'CLEAR' },
    });
    expect(sent.status, JSON.stringify(sent.body)).to.equal(202);
    expect(sent.body.version).to.equal(2);
    await waitUntil('version 2 in the statistics', async () => {
      const rows = await stats('country=TJ&drug=heroin&year=2023');
      return rows[0]?.quantityKg === 500 || undefined;
    });
    // The whole return was replaced: TJ's 2023 cannabis of version 1 is gone with it.
    expect(await stats('country=TJ&year=2023&drug=cannabis-herb')).to.deep.equal([]);
  });
});
