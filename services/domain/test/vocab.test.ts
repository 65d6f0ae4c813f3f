import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { ValidationError } from '@hub/errors';
import {
  distancesComputed,
  isValidContainerNumber,
  SuggestionBudget,
  loadVocabularies,
  normaliseIdentifier,
  resolveCountry,
  suggestCountries,
  toKg,
} from '../src/vocab/index';
import { seizureReportFromJson } from '../src/report/seizure-report';
import { annualReturnFromJson } from '../src/annual/annual-return';
import { aggregatesOf, groupOfSubstance, loadDrugGroups } from '../src/annual/drug-groups';

const v = loadVocabularies();
const WDR = fileURLToPath(
  new URL('../../../test/fixtures/wdr2025_annex7.1_seizures_2019-2023.csv', import.meta.url),
);
/**
 * Every (drug group, drug) pair of UNODC's 2012-2016 seizure table in kilogram equivalents (9,442 rows, 679
 * country-year returns; UNODC seizure statistics as republished without a stated licence, so only the names and how
 * many rows carry each are kept here): the older vocabulary agencies still write.
 */
const UNODC_2012_2016 = fileURLToPath(new URL('./fixtures/unodc-2012-2016-drug-names.csv', import.meta.url));
const older = readFileSync(UNODC_2012_2016, 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const [group, drug, rows] = line.split(';') as [string, string, string];
    return { group, drug, rows: Number(rows) };
  });

describe('reference vocabularies', () => {
  it('finds a substance by code, English or Russian label, alias or transliteration', () => {
    for (const input of ['heroin', 'Героин', 'geroin', ' HEROIN ', 'diacetylmorphine'])
      expect(v.substances.resolve(input), input).to.equal('heroin');
    expect(v.substances.resolve('гашиш')).to.equal('cannabis-resin');
    expect(v.substances.resolve('Hashish (resin)')).to.equal('cannabis-resin');
    expect(v.substances.resolve('первитин')).to.equal('methamphetamine');
    expect(v.substances.resolve('Cocaine hydrochloride')).to.equal('cocaine-hcl');
  });

  it('suggests the nearest valid terms for a typo', () => {
    expect(v.substances.suggest('heroine')[0]).to.equal('heroin');
    expect(v.substances.suggest('metamfetamine')).to.include('methamphetamine');
    expect(v.units.suggest('kilgram')).to.include('kg');
  });

  it('remembers the suggestions for an input: a misspelling repeated costs one pass over the vocabulary', () => {
    const before = distancesComputed();
    expect(v.substances.suggest('heroinnne')[0]).to.equal('heroin');
    const once = distancesComputed() - before;
    expect(once).to.be.greaterThan(0);
    for (let i = 0; i < 100; i++) expect(v.substances.suggest(' HEROINNNE ')[0]).to.equal('heroin');
    expect(suggestCountries('Kazakhstann')).to.include('KZ');
    const countries = distancesComputed() - before - once;
    for (let i = 0; i < 100; i++) expect(suggestCountries('kazakhstann')).to.include('KZ');
    expect(distancesComputed() - before).to.equal(once + countries);
  });

  it('computes no more suggestions than its budget, and spends none on a remembered one', () => {
    const budget = new SuggestionBudget(2);
    expect(v.units.suggest('kilgramm', 5, budget)).to.include('kg');
    expect(v.units.suggest('kilgramm', 5, budget)).to.include('kg');
    expect(v.units.suggest('gramms', 5, budget)).to.include('g');
    const before = distancesComputed();
    expect(v.units.suggest('tonnnes', 5, budget)).to.deep.equal([]);
    expect(distancesComputed()).to.equal(before);
    // Remembered answers are still given once the budget is spent.
    expect(v.units.suggest('gramms', 5, budget)).to.include('g');
  });

  it('suggests for the first unknown terms of a report only, and refuses every one with its field and value', () => {
    const ctx = { nodeCountry: 'KZ', now: Date.now(), versionOf: () => 1, regions: new Set<string>() };
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    const drugs = Array.from({ length: 50 }, (_, i) => ({
      substance: `cocain${letters[i % 26]}${letters[Math.floor(i / 26)]}`,
      quantity: 1,
      unit: 'kg',
    }));
    const before = distancesComputed();
    try {
      seizureReportFromJson(
        { seizedAt: '2026-03-14', country: 'KZ', agency: 'customs', drugs, handling: { tlp: 'GREEN' } },
        ctx,
      );
      expect.fail('accepted unknown substances');
    } catch (err) {
      const errors = (err as ValidationError).errors;
      expect(errors.map((e) => [e.field, e.value])).to.deep.equal(
        drugs.map((d, i) => [`drugs[${i}].substance`, d.substance]),
      );
      for (const e of errors) expect(e.message).to.match(/^unknown substances term/);
      expect(errors.filter((e) => e.suggestions)).to.have.length(20);
    }
    const cost = distancesComputed() - before;
    v.substances.suggest('cocainzz');
    expect(cost).to.be.at.most(25 * (distancesComputed() - before - cost));
  });

  it('keeps the convention and schedule of each substance as data, apart from its drug group', () => {
    expect(v.substances.get('heroin')?.control).to.deep.equal({ convention: '1961', schedule: 'I, IV' });
    expect(v.substances.get('acetic-anhydride')?.control).to.deep.equal({
      convention: '1988',
      schedule: 'Table I',
    });
    expect(v.substances.get('diazepam')?.control.convention).to.equal('1971');
    expect(v.substances.get('coca-leaf')?.aggregates).to.not.include('cocaine');
    expect(v.substances.get('crack-cocaine')?.aggregates).to.include('cocaine');
  });

  it('uses the drug groups and drug names of the World Drug Report annex exactly', () => {
    const rows = readFileSync(WDR, 'utf8').split('\n').slice(1).filter(Boolean);
    const pairs = new Set(
      rows.map((line) => {
        const cells = line
          .match(/("([^"]|"")*"|[^,]*)(,|$)/g)!
          .map((c) => c.replace(/,$/, '').replace(/^"|"$/g, '').replace(/""/g, '"'));
        return `${cells[3]}|${cells[4]}`;
      }),
    );
    const groups = new Set([...pairs].map((p) => p.split('|')[0]));
    for (const s of v.substances.terms) {
      expect(groups.has(s.group), `${s.code}: group ${s.group}`).to.equal(true);
      for (const name of s.wdrNames)
        expect(pairs.has(`${s.group}|${name}`), `${s.code}: ${name}`).to.equal(true);
    }
  });

  it('resolves countries by code, alpha-3, English, Russian and UN names, and suggests for typos', () => {
    expect(resolveCountry('kz')).to.equal('KZ');
    expect(resolveCountry('KAZ')).to.equal('KZ');
    expect(resolveCountry('Kazakhstan')).to.equal('KZ');
    expect(resolveCountry('Казахстан')).to.equal('KZ');
    expect(resolveCountry('Iran (Islamic Republic of)')).to.equal('IR');
    expect(resolveCountry('Türkiye')).to.equal('TR');
    expect(resolveCountry('Atlantis')).to.equal(undefined);
    expect(suggestCountries('Kazakstan')).to.include('KZ');
  });

  it('converts units to kilograms, tablets by the substance tablet mass', () => {
    expect(toKg(v, 12500, 'g')).to.equal(12.5);
    expect(toKg(v, 2, 't')).to.equal(2000);
    expect(toKg(v, 30, 'l')).to.equal(30);
    expect(toKg(v, 10000, 'tablets', 'captagon')).to.equal(1.7);
    expect(toKg(v, 10000, 'tablets', 'heroin')).to.equal(1);
  });

  it('normalises plates with Cyrillic look-alike letters and validates container check digits', () => {
    expect(normaliseIdentifier('plate', '777 АВС 02')).to.equal(normaliseIdentifier('plate', '777abc-02'));
    expect(isValidContainerNumber('CSQU3054383')).to.equal(true);
    expect(isValidContainerNumber('CSQU3054384')).to.equal(false);
  });

  it('normalises Uzbek, Kazakh, Kyrgyz and Tajik labels of the region where the data files know them', () => {
    const ctx = { nodeCountry: 'UZ', now: Date.now(), versionOf: () => 1, regions: new Set<string>() };
    const { value } = seizureReportFromJson(
      {
        seizedAt: '2026-03-14T09:30:00+05:00',
        country: 'UZ',
        place: { name: 'Termiz', locationType: 'Chegara oʻtkazish punkti' },
        agency: 'customs',
        drugs: [
          { substance: 'Geroin', quantity: 2, unit: 'kilogramm', form: 'Kukun' },
          { substance: 'Метамфетамин', quantity: 300, unit: 'gramm' },
        ],
        conveyance: { mode: 'Temir yoʻl transporti' },
        concealment: 'Yoqilgʻi baki',
        handling: { tlp: 'GREEN' },
      },
      ctx,
    );
    expect(value.place.locationType).to.equal('border-crossing');
    expect(value.drugs.map((d) => [d.substance, d.quantityKg, d.form])).to.deep.equal([
      ['heroin', 2, 'powder'],
      ['methamphetamine', 0.3, null],
    ]);
    expect(value.conveyance?.mode).to.equal('rail');
    expect(value.concealment).to.equal('fuel-tank');
    for (const [vocab, label, code] of [
      [v.substances, 'Апийим', 'opium'],
      [v.substances, 'Афюн', 'opium'],
      [v.transportModes, 'Әуе көлігі', 'air'],
      [v.locationTypes, 'Фурудгоҳ', 'airport'],
    ] as const)
      expect(vocab.resolve(label), label).to.equal(code);
    // Every term of every vocabulary has English and Russian labels.
    for (const vocab of Object.values(v))
      for (const t of vocab.terms)
        expect(Object.keys(t.labels), `${vocab.name}:${t.code}`).to.include.members(['en', 'ru']);
  });

  it('normalises a Russian-language report and says what it changed; refuses unknown terms with suggestions', () => {
    const ctx = { nodeCountry: 'KZ', now: Date.now(), versionOf: () => 1, regions: new Set<string>() };
    const { value, normalisations } = seizureReportFromJson(
      {
        seizedAt: '2026-03-14T09:30:00+05:00',
        country: 'Казахстан',
        agency: 'таможня',
        drugs: [{ substance: 'Героин', quantity: 1500, unit: 'г', form: 'порошок' }],
        conveyance: { mode: 'грузовик', identifiers: [{ kind: 'госномер', value: '777 АВС 02' }] },
        concealment: 'двойное дно',
        detection: 'рентген',
        route: [{ country: 'Афганистан', role: 'origin' }],
        handling: { tlp: 'AMBER', releasableTo: ['Кыргызстан'] },
      },
      ctx,
    );
    expect(value.country).to.equal('KZ');
    expect(value.agency).to.equal('customs');
    expect(value.drugs[0]).to.include({
      substance: 'heroin',
      unit: 'g',
      quantityKg: 1.5,
      form: 'powder',
      substanceReported: 'Героин',
    });
    expect(value.conveyance?.mode).to.equal('road');
    expect(value.concealment).to.equal('false-floor');
    expect(value.detection).to.equal('x-ray');
    expect(value.route[0]?.country).to.equal('AF');
    expect(value.handling.releasableTo).to.deep.equal(['KG']);
    expect(normalisations.join('\n')).to.contain("'Героин' → heroin");
    try {
      seizureReportFromJson(
        {
          seizedAt: '2026-03-14',
          country: 'KZ',
          agency: 'customs',
          drugs: [{ substance: 'herion', quantity: 1, unit: 'kilgram' }],
          handling: { tlp: 'GREEN' },
        },
        ctx,
      );
      expect.fail('accepted an unknown substance');
    } catch (err) {
      const errors = (err as ValidationError).errors;
      expect(errors.find((e) => e.field === 'drugs[0].substance')?.suggestions).to.include('heroin');
      expect(errors.find((e) => e.field === 'drugs[0].unit')?.suggestions).to.include('kg');
    }
  });

  it('reads the drug groups of the 2012-2016 UNODC table, so that no annual return of then is refused whole', () => {
    const groups = loadDrugGroups();
    const expected: Record<string, string> = {
      ATS: 'ats',
      'Cannabis-type': 'cannabis',
      'Cocaine-type': 'cocaine-type',
      Hallucinogens: 'hallucinogens',
      Opioids: 'opioids',
      Precursors: 'precursors',
      'Sedatives and Tranquillizers': 'sedatives',
      // What the annex has called NPS since: ketamine, synthetic cannabinoids and cathinones, piperazines,
      // phenethylamines, tryptamines, aminoindanes, plant-based substances.
      'Substances not under international control': 'nps',
      'Non-specified': 'other',
      'Other miscellaneous': 'other',
      // UNODC's own misspelling, in its data.
      'Solvents and Inhallants': 'solvents',
    };
    const seen = [...new Set(older.map((o) => o.group))].sort();
    expect(seen).to.deep.equal(Object.keys(expected).sort());
    for (const g of seen) expect(groups.resolve(g), g).to.equal(expected[g]);
    // One return holding every name of the table: taken, each row under its group.
    const ctx = {
      nodeCountry: 'KZ',
      now: Date.parse('2026-06-01T00:00:00Z'),
      versionOf: () => 1,
      regions: new Set<string>(),
    };
    const { value } = annualReturnFromJson(
      {
        year: 2016,
        rows: older.map((o) => ({ drugGroup: o.group, drugName: o.drug, kilograms: o.rows })),
        handling: { tlp: 'GREEN' },
      },
      ctx,
    );
    expect(value.rows).to.have.length(older.length);
    value.rows.forEach((row, i) =>
      expect(groups.resolve(row.drugGroup), older[i]!.drug).to.equal(expected[older[i]!.group]),
    );
  });

  it('takes the 2012-2016 table’s names of taxonomy substances as those substances', () => {
    const expected: Record<string, string> = {
      'Marijuana (herb)': 'cannabis-herb',
      'Hashish (resin)': 'cannabis-resin',
      // The "ecstasy" group's substance: MDMA and its analogues (MDA, MDEA), as "ecstasy" is taken.
      'Ecstasy-type substances': 'mdma',
      ATS: 'other-ats',
      'Non-specified ATS': 'other-ats',
      'Cocaine salts': 'cocaine-hcl',
      Crack: 'crack-cocaine',
      'Coca paste/cocaine base': 'coca-paste-base',
      'Cocaine (base, paste and salts)': 'other-cocaine',
      'Other coca/cocaine type': 'other-cocaine',
      'Non-specified coca/cocaine type': 'other-cocaine',
      'Illicit morphine': 'morphine',
      'Pharmaceutical opioids': 'other-opioids',
      'Synthetic cannabinoids under international control': 'synthetic-cannabinoids',
      'Synthetic cannabinoids (Spice)': 'synthetic-cannabinoids',
      'Ketamine and phencyclidine-type substances': 'ketamine',
      'Psychotropic substances': 'other-drugs',
      'Other miscellaneous': 'other-drugs',
      'Solvents and inhalants': 'solvents-inhalants',
    };
    for (const [name, code] of Object.entries(expected)) {
      expect(
        older.some((o) => o.drug === name),
        `${name} is a name of the table`,
      ).to.equal(true);
      expect(v.substances.resolve(name), name).to.equal(code);
    }
    const ctx = { nodeCountry: 'KZ', now: Date.now(), versionOf: () => 1, regions: new Set<string>() };
    const { value } = seizureReportFromJson(
      {
        seizedAt: '2026-03-14',
        country: 'KZ',
        agency: 'police',
        drugs: [
          { substance: 'Marijuana (herb)', quantity: 2, unit: 'kg' },
          { substance: 'Ecstasy-type substances', quantity: 500, unit: 'tablets' },
        ],
        handling: { tlp: 'GREEN' },
      },
      ctx,
    );
    expect(value.drugs.map((d) => [d.substance, d.substanceReported])).to.deep.equal([
      ['cannabis-herb', 'Marijuana (herb)'],
      ['mdma', 'Ecstasy-type substances'],
    ]);
    // A name the table has under a group is taken as a substance of that group, or of the group the annex has
    // moved it to since (the old ATS held "ecstasy"; GBL is a sedative; synthetic cannabinoids are NPS).
    const movedSince = new Set([
      'ATS|Ecstasy-type substances',
      'Substances not under international control|GBL',
      'Cannabis-type|Synthetic cannabinoids under international control',
    ]);
    const groups = loadDrugGroups();
    let resolvedRows = 0;
    for (const o of older) {
      const substance = v.substances.resolve(o.drug);
      if (!substance) continue;
      resolvedRows += o.rows;
      if (movedSince.has(`${o.group}|${o.drug}`)) continue;
      expect(groupOfSubstance(substance), `${o.group}|${o.drug}`).to.equal(groups.resolve(o.group));
    }
    // 7,748 of the 9,442 rows name a substance of the taxonomy (the rest are kept by their names in a return).
    expect(resolvedRows).to.be.at.least(7748);
  });

  it("counts a row of the 2012-2016 table in one group's total, even where the annex has moved its substance since", () => {
    // The groups' totals (aggregates of the drug groups) are disjoint; opiates are a part of opioids, not a group.
    const groupTotals = new Set(loadDrugGroups().terms.flatMap((g) => (g.aggregate ? [g.aggregate] : [])));
    for (const o of older) {
      const substance = v.substances.resolve(o.drug) ?? null;
      const totals = aggregatesOf(substance, loadDrugGroups().resolve(o.group) ?? null).filter((a) =>
        groupTotals.has(a),
      );
      expect(totals.length, `${o.group}|${o.drug}: ${totals.join(', ')}`).to.be.at.most(1);
    }
    // Ecstasy filed under the old ATS counts as ecstasy, not in the ATS total, which leaves ecstasy out.
    expect(aggregatesOf('mdma', loadDrugGroups().resolve('ATS') ?? null)).to.deep.equal(['ecstasy']);
    expect(aggregatesOf(null, loadDrugGroups().resolve('ATS') ?? null)).to.deep.equal(['ats']);
  });

  it('gives each substance, filed under its own group, exactly the aggregates the vocabulary lists for it', () => {
    for (const s of v.substances.terms)
      expect(aggregatesOf(s.code, groupOfSubstance(s.code)), s.code).to.deep.equal([...s.aggregates].sort());
  });
});
