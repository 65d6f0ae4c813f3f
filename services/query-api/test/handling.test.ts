import { expect } from 'chai';
import { mayRead, readableFilter, type Handled } from '../src/handling';
import type { Clearance } from '../src/issuer';

// Records of KZ with each handling, and who may read them.
const records: Record<string, Handled> = {
  clear: { originCountry: 'KZ', tlp: 'CLEAR', releasableCountries: [] },
  green: { originCountry: 'KZ', tlp: 'GREEN', releasableCountries: [] },
  amberRegion: {
    originCountry: 'KZ',
    tlp: 'AMBER',
    releasableTo: ['central-asia'],
    releasableCountries: ['KG', 'KZ', 'TJ', 'TM', 'UZ'],
  },
  amberKg: { originCountry: 'KZ', tlp: 'AMBER', releasableTo: ['KG'], releasableCountries: ['KG'] },
  strictKg: { originCountry: 'KZ', tlp: 'AMBER+STRICT', releasableTo: ['KG'], releasableCountries: ['KG'] },
  strictRegion: {
    originCountry: 'KZ',
    tlp: 'AMBER+STRICT',
    releasableTo: ['central-asia'],
    releasableCountries: ['KG', 'KZ', 'TJ', 'TM', 'UZ'],
  },
  red: { originCountry: 'KZ', tlp: 'RED', releasableTo: ['KG'], releasableCountries: ['KG'] },
};

const users: Record<string, { country: string; clearance: Clearance }> = {
  'KZ GREEN (originator)': { country: 'KZ', clearance: 'GREEN' },
  'KG RED': { country: 'KG', clearance: 'RED' },
  'KG AMBER': { country: 'KG', clearance: 'AMBER' },
  'KG GREEN': { country: 'KG', clearance: 'GREEN' },
  'UZ AMBER+STRICT': { country: 'UZ', clearance: 'AMBER+STRICT' },
  'RU RED': { country: 'RU', clearance: 'RED' },
};

const MATRIX: Record<string, string[]> = {
  'KZ GREEN (originator)': ['clear', 'green', 'amberRegion', 'amberKg', 'strictKg', 'strictRegion', 'red'],
  'KG RED': ['clear', 'green', 'amberRegion', 'amberKg', 'strictKg'],
  'KG AMBER': ['clear', 'green', 'amberRegion', 'amberKg'],
  'KG GREEN': ['clear', 'green'],
  'UZ AMBER+STRICT': ['clear', 'green', 'amberRegion'],
  'RU RED': ['clear', 'green'],
};

describe('handling: the access matrix of users by records', () => {
  for (const [user, caller] of Object.entries(users)) {
    it(`${user} sees exactly ${MATRIX[user]!.join(', ')}`, () => {
      const visible = Object.entries(records)
        .filter(([, r]) => mayRead(caller, r))
        .map(([name]) => name);
      expect(visible).to.deep.equal(MATRIX[user]);
    });
  }
});

// The same rule as a store filter (readableFilter), clause by clause: with no MongoDB matcher at hand, each user's
// filter is compared with the clauses that admit exactly its records of MATRIX above (records' fields as stored:
// originCountry, handling.tlp, handling.releasableCountries, handling.releasableTo).
const own = (cc: string) => ({ originCountry: cc });
const open = (...tlps: string[]) => ({ 'handling.tlp': { $in: tlps } });
const amberTo = (cc: string) => ({ 'handling.tlp': 'AMBER', 'handling.releasableCountries': cc });
const strictTo = (cc: string) => ({ 'handling.tlp': 'AMBER+STRICT', 'handling.releasableTo': cc });

const FILTERS: Record<string, Record<string, unknown>[]> = {
  // Every record of MATRIX is KZ's: all by the first clause.
  'KZ GREEN (originator)': [own('KZ'), open('CLEAR', 'GREEN')],
  // clear, green; amberRegion and amberKg (KG among the countries); strictKg (KG named itself), not strictRegion.
  'KG RED': [own('KG'), open('CLEAR', 'GREEN'), amberTo('KG'), strictTo('KG')],
  // No AMBER+STRICT clause: strictKg is beyond the clearance.
  'KG AMBER': [own('KG'), open('CLEAR', 'GREEN'), amberTo('KG')],
  'KG GREEN': [own('KG'), open('CLEAR', 'GREEN')],
  // amberRegion through central-asia; strictRegion names the region, not UZ.
  'UZ AMBER+STRICT': [own('UZ'), open('CLEAR', 'GREEN'), amberTo('UZ'), strictTo('UZ')],
  // Nothing is releasable to RU: the clauses beyond the open ones admit no record of MATRIX.
  'RU RED': [own('RU'), open('CLEAR', 'GREEN'), amberTo('RU'), strictTo('RU')],
};

describe('handling: the access matrix as a store filter (readableFilter)', () => {
  for (const [user, caller] of Object.entries(users))
    it(`${user}: the clauses of ${MATRIX[user]!.join(', ')}`, () => {
      expect(readableFilter(caller)).to.deep.equal({ $or: FILTERS[user] });
    });

  it('gives a CLEAR clearance the CLEAR records only, beside its own', () => {
    expect(readableFilter({ country: 'KG', clearance: 'CLEAR' })).to.deep.equal({
      $or: [own('KG'), open('CLEAR')],
    });
  });

  it('reads handling at the prefix and the origin at the field given (read-model buckets: no AMBER+STRICT clause)', () => {
    expect(readableFilter({ country: 'KG', clearance: 'RED' }, '', 'origin')).to.deep.equal({
      $or: [
        { origin: 'KG' },
        { tlp: { $in: ['CLEAR', 'GREEN'] } },
        { tlp: 'AMBER', releasableCountries: 'KG' },
      ],
    });
  });
});
