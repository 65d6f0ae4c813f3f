import { expect } from 'chai';
import { alertScore, type Handled } from '@hub/store';
import * as correlate from '../src/correlate';
import { alertCopies, type AlertRecord } from '../src/correlate';

// Reports matched by one plate, by id: their country and handling as stored.
const handling: Record<string, Handled> = {
  'kz-green': { originCountry: 'KZ', tlp: 'GREEN', releasableCountries: [] },
  'uz-red': { originCountry: 'UZ', tlp: 'RED', releasableCountries: [] },
  'kg-green': { originCountry: 'KG', tlp: 'GREEN', releasableCountries: [] },
  'tj-amber-kg': { originCountry: 'TJ', tlp: 'AMBER', releasableTo: ['KG'], releasableCountries: ['KG'] },
};
const handlingOf = (id: string) => handling[id];

/** An alert as correlation makes it, on the reports named (each `<country>-...`), evaluated as given. */
function alert(ids: string[], evaluations: Record<string, string> = {}, reason?: string): AlertRecord {
  const matched = ids.map((reportId) => ({
    reportId,
    country: reportId.slice(0, 2).toUpperCase(),
    version: 1,
    evaluation: evaluations[reportId] ?? null,
  }));
  return {
    alertId: '6f1c1c8e-0000-4000-8000-000000000001',
    rule: 'shared_identifier',
    identifierKind: 'plate',
    matchKeyPrefix: '0123456789ab',
    matched,
    countries: [...new Set(matched.map((m) => m.country))].sort(),
    score: alertScore(
      'shared_identifier',
      matched.map((m) => m.evaluation),
    ),
    reason: reason ?? `${ids.length} reports name the same plate identifier`,
    createdAt: 1_780_000_000_000,
  };
}

describe("coordinator: each country's copy of an alert (hit/no-hit)", () => {
  it('tells KZ that a report it may not read matches its own, without the report, its country or its evaluation', () => {
    const whole = alert(['kz-green', 'uz-red'], { 'kz-green': 'A1', 'uz-red': 'E4' });
    const copies = alertCopies(whole, handlingOf);
    const kz = copies.find((c) => c.to.includes('KZ'))!;
    expect(kz.to).to.deep.equal(['KZ']);
    expect(kz.alert.alertId, "the whole alert's id").to.equal(whole.alertId);
    expect(kz.alert.matched.map((m) => m.reportId)).to.deep.equal(['kz-green']);
    expect(kz.alert.countries).to.deep.equal(['KZ']);
    expect(kz.alert.reason).to.equal(
      '2 reports name the same plate identifier; 1 report you may not read matches yours',
    );
    // Scored as if UZ's report were unevaluated: the whole alert's score would tell its E4.
    expect(kz.alert.score).to.equal(alertScore('shared_identifier', ['A1', null]));
    expect(kz.alert.score).not.to.equal(whole.score);
    expect(JSON.stringify(kz.alert)).not.to.include('uz-red');
    expect(JSON.stringify(kz.alert)).not.to.include('UZ');
    // UZ may read KZ's GREEN report: it is told the whole alert, under the message id alerts always had.
    const uz = copies.find((c) => c.to.includes('UZ'))!;
    expect(uz).to.deep.equal({ alert: whole, to: ['UZ'], messageSeed: `alert:${whole.alertId}` });
    // KZ's copy under a seed of its own content: the alert id and a sha256, no country.
    expect(kz.messageSeed).to.match(new RegExp(`^alert:${whole.alertId}:[0-9a-f]{64}$`));
  });

  it('reads as the country, at any clearance: an AMBER report releasable to KG is shown to KG only', () => {
    const whole = alert(['kg-green', 'kz-green', 'tj-amber-kg']);
    const copies = alertCopies(whole, handlingOf);
    expect(copies.map((c) => c.to)).to.deep.equal([['KG', 'TJ'], ['KZ']]);
    expect(copies[0]!.alert).to.equal(whole);
    const kz = copies[1]!.alert;
    expect(kz.matched.map((m) => m.reportId)).to.deep.equal(['kg-green', 'kz-green']);
    expect(kz.countries).to.deep.equal(['KG', 'KZ']);
    expect(kz.reason).to.equal(
      '3 reports name the same plate identifier; 1 of them, which you may not read, is withheld by their handling',
    );
  });

  it('withholds a report whose handling is not known, and notes the withheld before the older seizures left out', () => {
    const whole = alert(
      ['kz-green', 'uz-gone', 'uz-red'],
      {},
      '3 reports name the same plate identifier; 7 more, of older seizures, are not named',
    );
    const copies = alertCopies(whole, handlingOf);
    const kz = copies.find((c) => c.to.includes('KZ'))!.alert;
    expect(kz.matched.map((m) => m.reportId)).to.deep.equal(['kz-green']);
    expect(kz.reason).to.equal(
      '3 reports name the same plate identifier; 2 reports you may not read match yours; 7 more, of older seizures, are not named',
    );
    // UZ is told its own reports, and KZ's: nothing withheld.
    expect(copies.find((c) => c.to.includes('UZ'))!.alert).to.equal(whole);
  });

  it('gives every copy a message id of its own, the same when the chunk is taken again', () => {
    const whole = alert(['kg-green', 'kz-green', 'uz-red']);
    const seeds = alertCopies(whole, handlingOf).map((c) => c.messageSeed);
    expect(new Set(seeds).size).to.equal(seeds.length);
    expect(alertCopies(whole, handlingOf).map((c) => c.messageSeed)).to.deep.equal(seeds);
    expect(
      alertCopies(whole, handlingOf)
        .flatMap((c) => c.to)
        .sort(),
    ).to.deep.equal(['KG', 'KZ', 'UZ']);
  });

  it('seeds a copy from its own content, never from the countries that get it too', () => {
    // KG and KZ may read each other's GREEN reports, not UZ's RED one: told the same, they share one copy.
    const whole = alert(['kg-green', 'kz-green', 'uz-red']);
    const before = alertCopies(whole, handlingOf);
    const shared = before.find((c) => c.to.includes('KZ'))!;
    expect(shared.to).to.deep.equal(['KG', 'KZ']);
    // UZ's report made releasable to KG: KG is told the whole alert, KZ the same copy as before, under the same id.
    // A seed naming the countries (KG,KZ, then KZ) would let KZ find, trying each set of the countries named, that
    // KG got another view; and would make the copy KZ had a new message at its node.
    const releasedToKg: Record<string, Handled> = {
      ...handling,
      'uz-red': { originCountry: 'UZ', tlp: 'AMBER', releasableTo: ['KG'], releasableCountries: ['KG'] },
    };
    const after = alertCopies(whole, (id) => releasedToKg[id]);
    const kz = after.find((c) => c.to.includes('KZ'))!;
    expect(kz.to).to.deep.equal(['KZ']);
    expect(kz.alert).to.deep.equal(shared.alert);
    expect(kz.messageSeed).to.equal(shared.messageSeed);
    expect(after.find((c) => c.to.includes('KG'))!.messageSeed).to.equal(`alert:${whole.alertId}`);
  });

  it('gives a copy a new message id when what it says changes, not when the alert is made again later', () => {
    const whole = alert(['kz-green', 'tj-amber-kg', 'uz-red']);
    const kzSeed = (a: AlertRecord, of: (id: string) => Handled | undefined) =>
      alertCopies(a, of).find((c) => c.to.includes('KZ'))!.messageSeed;
    const seed = kzSeed(whole, handlingOf);
    // Made again with a redelivered chunk, at another time: the same copy, the same message.
    expect(kzSeed({ ...whole, createdAt: whole.createdAt + 60000 }, handlingOf)).to.equal(seed);
    // TJ's report now releasable to KZ too: KZ's copy shows it, a message of its own.
    const releasedToKz: Record<string, Handled> = {
      ...handling,
      'tj-amber-kg': {
        originCountry: 'TJ',
        tlp: 'AMBER',
        releasableTo: ['KG', 'KZ'],
        releasableCountries: ['KG', 'KZ'],
      },
    };
    const changed = kzSeed(whole, (id) => releasedToKz[id]);
    expect(changed).to.match(new RegExp(`^alert:${whole.alertId}:[0-9a-f]{64}$`));
    expect(changed).not.to.equal(seed);
  });

  it('keeps the message ids its copies were sent under: the same content hashes to the same bytes as ever', () => {
    // Seeds made before the copy's canonical JSON was stableJson's: a chunk redone after an upgrade must send each
    // copy under the id its nodes hold it by, or they would keep it twice.
    const whole = alert(
      ['kg-green', 'kz-green', 'tj-amber-kg', 'uz-red'],
      { 'kz-green': 'A1', 'uz-red': 'E4', 'kg-green': 'B2' },
      '4 reports name the same plate identifier; 7 more, of older seizures, are not named',
    );
    const seeds = alertCopies(whole, handlingOf).map((c) => [c.to, c.messageSeed.split(':').pop()]);
    expect(seeds).to.deep.equal([
      [['KG', 'TJ'], '310f91572af361804be3255a8cc30cec323151bf53bae4512c8b7dfcbc2a7001'],
      [['KZ'], 'ec11ba560d77ad73574f6fcbe69b318fb88cb4463785e5931dd7bf8f7df6b25c'],
      [['UZ'], 'd27058b222b15ada55d2b6e1efb33f9a75b50977a415a9563e57dfe882c78ee3'],
    ]);
    const route = {
      ...alert(['kz-green', 'uz-red']),
      rule: 'route_and_concealment' as const,
      identifierKind: null,
      matchKeyPrefix: null,
      reason: '2 reports name the same plate identifier; 7 more, of older seizures, are not named',
    };
    expect(alertCopies(route, handlingOf).find((c) => c.to.includes('KZ'))!.messageSeed).to.equal(
      `alert:${route.alertId}:08b496f212bcf57b82a5016df7d6c25fbd38ed75a3a513ee4c76407cc61fcdfb`,
    );
  });

  it("leaves an alert's score and the note of what is withheld to @hub/store, their one definition", () => {
    for (const name of ['alertScore', 'withheldReason'])
      expect(Object.keys(correlate), name).not.to.include(name);
  });
});
