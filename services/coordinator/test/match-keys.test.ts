import { expect } from 'chai';
import type { StoredReport } from '@hub/store';
import { matchKeysOf, mostRecentMembers, type Member } from '../src/correlate';

const secret = Buffer.alloc(32, 7);
const DAY = 86400000;

/** A stored report with only what matchKeysOf reads. */
function stored(over: {
  identifiers?: { kind: string; value: string }[];
  links?: { kind: string; ref: string }[];
}): StoredReport {
  return {
    status: 'active',
    report: {
      conveyance: over.identifiers ? { identifiers: over.identifiers } : null,
      links: over.links ?? [],
      concealment: null,
      route: [],
    },
  } as unknown as StoredReport;
}
const keysOf = (over: Parameters<typeof stored>[0]) => matchKeysOf(stored(over), secret).map((k) => k.key);

describe('coordinator match keys', () => {
  it('gives no key to an identifier or link of no letter or digit, even in a report signed before nodes refused them', () => {
    for (const blank of ['-', '/', '.', '_', ' ', '--']) {
      expect(keysOf({ identifiers: [{ kind: 'plate', value: blank }] }), blank).to.deep.equal([]);
      expect(keysOf({ links: [{ kind: 'case', ref: blank }] }), blank).to.deep.equal([]);
    }
    // The report's other identifiers still match.
    expect(
      keysOf({
        identifiers: [
          { kind: 'plate', value: '-' },
          { kind: 'container', value: 'CSQU3054383' },
        ],
      }),
    ).to.have.length(1);
  });

  it('gives one key to a phone, an IMO number and a link kind however each is written', () => {
    const same = (a: Parameters<typeof stored>[0], b: Parameters<typeof stored>[0]) =>
      expect(keysOf(a)).to.deep.equal(keysOf(b)).and.to.have.length(1);
    same(
      { identifiers: [{ kind: 'phone', value: '+7 (701) 123-45-67' }] },
      { identifiers: [{ kind: 'phone', value: '+77011234567' }] },
    );
    same(
      { identifiers: [{ kind: 'vessel-imo', value: 'IMO 9074729' }] },
      { identifiers: [{ kind: 'vessel-imo', value: '9074729' }] },
    );
    same(
      { links: [{ kind: 'Case', ref: 'op-north-17' }] },
      { links: [{ kind: 'case', ref: 'OP-NORTH-17' }] },
    );
    expect(keysOf({ identifiers: [{ kind: 'phone', value: '+77011234567' }] })).not.to.deep.equal(
      keysOf({ identifiers: [{ kind: 'phone', value: '+77011234568' }] }),
    );
  });
});

describe('coordinator: the reports an alert names and a key keeps', () => {
  const member = (country: string, daysAgo: number): Member => ({
    country,
    version: 1,
    seizedAt: new Date(Date.parse('2026-06-01T00:00:00Z') - daysAgo * DAY),
    evaluation: null,
  });

  it('names at most the limit: the given report, each country’s latest, then the most recent', () => {
    const members: [string, Member][] = [
      ...Array.from({ length: 200 }, (_, i): [string, Member] => [
        `kz-${String(i).padStart(3, '0')}`,
        member('KZ', i),
      ]),
      ['uz-old', member('UZ', 900)],
      ['kg-old', member('KG', 800)],
      ['kz-new', member('KZ', 1000)],
    ];
    const named = mostRecentMembers(members, 50, ['kz-new']);
    expect(named).to.have.length(50);
    const ids = named.map(([id]) => id);
    expect(ids[0]).to.equal('kz-new');
    expect(ids).to.include.members(['uz-old', 'kg-old']);
    // The rest are KZ's most recent seizures.
    expect(ids.slice(3)).to.deep.equal(
      Array.from({ length: 47 }, (_, i) => `kz-${String(i).padStart(3, '0')}`),
    );
  });

  it('keeps every member when there are no more than the limit', () => {
    const members: [string, Member][] = [
      ['a', member('KZ', 3)],
      ['b', member('UZ', 1)],
    ];
    expect(mostRecentMembers(members, 50).map(([id]) => id)).to.deep.equal(['b', 'a']);
  });
});
