import { expect } from 'chai';
import { mayRead, type Handled } from '../src/handling';
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
