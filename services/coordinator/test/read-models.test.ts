// The read models' pure part: what one report version contributes to each bucket (statistics by country, drug and
// month; route legs). How the buckets change from it is in test/coordinator/persist.test.ts, on the real store.
import { expect } from 'chai';
import type { StoredReport } from '@hub/store';
import { amountsOf, contributionsOf, type Amount } from '../src/read-models';

/** An active report of KZ's with only what contributionsOf reads: its drug lines and the countries of its route. */
function stored(drugs: [substance: string, kg: number][], route: string[]): StoredReport {
  return {
    _id: 'report-1',
    status: 'active',
    originCountry: 'KZ',
    country: 'KZ',
    seizedAt: new Date('2026-03-14T09:30:00Z'),
    handling: { tlp: 'GREEN', releasableTo: [], releasableCountries: [], evaluation: null },
    report: {
      drugs: drugs.map(([substance, quantityKg]) => ({ substance, quantityKg })),
      route: route.map((country) => ({ country })),
    },
    substances: [...new Set(drugs.map(([substance]) => substance))],
  } as unknown as StoredReport;
}

/** The report's amount in its statistics bucket of `substance`, and in its leg bucket from → to of `substance`. */
const statsOf = (amounts: Amount[], substance: string) =>
  amounts.filter((a) => a.bucket.startsWith(`s|KZ|${substance}|2026-3|`));
const legOf = (amounts: Amount[], from: string, to: string, substance: string) =>
  amounts.filter((a) => a.bucket.startsWith(`l|${from}|${to}|${substance}|`));

describe('coordinator read models: a report’s share of each bucket', () => {
  it('counts a report once in a bucket however many of its drug lines fall there, their kilograms summed', () => {
    const amounts = amountsOf(
      contributionsOf(
        stored(
          [
            ['heroin', 5],
            ['heroin', 2],
            ['opium', 10],
          ],
          ['AF', 'TJ', 'KZ'],
        ),
      ),
    );
    const heroin = statsOf(amounts, 'heroin');
    expect(heroin, 'one heroin bucket').to.have.length(1);
    expect(heroin[0]).to.include({ n: 1, kg: 7 });
    const opium = statsOf(amounts, 'opium');
    expect(opium, 'one opium bucket').to.have.length(1);
    expect(opium[0]).to.include({ n: 1, kg: 10 });
    // Each leg of the route: the report once per substance, with that substance's kilograms.
    for (const [from, to] of [
      ['AF', 'TJ'],
      ['TJ', 'KZ'],
    ] as const) {
      expect(legOf(amounts, from, to, 'heroin'), `${from}>${to} heroin`).to.have.length(1);
      expect(legOf(amounts, from, to, 'heroin')[0], `${from}>${to} heroin`).to.include({ n: 1, kg: 7 });
      expect(legOf(amounts, from, to, 'opium'), `${from}>${to} opium`).to.have.length(1);
      expect(legOf(amounts, from, to, 'opium')[0], `${from}>${to} opium`).to.include({ n: 1, kg: 10 });
    }
    expect(amounts, 'two statistics buckets and two legs of two substances').to.have.length(6);
    expect(amounts.every((a) => a.at.toISOString() === '2026-03-14T09:30:00.000Z')).to.equal(true);
  });

  it('counts a leg the route takes twice once, with the drugs it carried once', () => {
    const amounts = amountsOf(contributionsOf(stored([['heroin', 5]], ['AF', 'TJ', 'AF', 'TJ', 'KZ'])));
    expect(legOf(amounts, 'AF', 'TJ', 'heroin')).to.have.length(1);
    expect(legOf(amounts, 'AF', 'TJ', 'heroin')[0]).to.include({ n: 1, kg: 5 });
    expect(legOf(amounts, 'TJ', 'AF', 'heroin')[0]).to.include({ n: 1, kg: 5 });
    expect(legOf(amounts, 'TJ', 'KZ', 'heroin')[0]).to.include({ n: 1, kg: 5 });
    expect(statsOf(amounts, 'heroin')[0]).to.include({ n: 1, kg: 5 });
  });

  it('sums the kilograms of a bucket without floating-point noise', () => {
    const amounts = amountsOf(
      contributionsOf(
        stored(
          [
            ['heroin', 0.1],
            ['heroin', 0.2],
          ],
          [],
        ),
      ),
    );
    expect(amounts).to.have.length(1);
    expect(amounts[0]).to.include({ n: 1, kg: 0.3 });
  });
});
