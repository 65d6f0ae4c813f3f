import { expect } from 'chai';
import { ValidationError, type FieldError } from '@hub/errors';
import { drugCondition, parseParams } from '../src/params';

// The `drug` filter of search, export and routes: a substance code or an aggregate of the World Drug Report.
describe('query parameters: the drug filter', () => {
  const parse = (drug: string) => parseParams({ drug }, { drug: { kind: 'drug' } });
  const refusal = (drug: string) => {
    try {
      parse(drug);
    } catch (err) {
      expect(err).to.be.instanceOf(ValidationError);
      return (err as ValidationError).errors[0]!;
    }
    throw new Error(`${drug} was taken`);
  };

  it('takes a substance code as it is, and an aggregate as the substances it counts', () => {
    expect(parse('heroin').drug).to.equal('heroin');
    expect(drugCondition('heroin')).to.equal('heroin');
    // Cocaine is its forms, never coca leaf or bush (the World Drug Report's aggregate).
    expect(drugCondition('cocaine')).to.deep.equal({
      $in: ['coca-paste-base', 'cocaine-hcl', 'crack-cocaine', 'other-cocaine'],
    });
    const opiates = drugCondition('opiates') as { $in: string[] };
    expect(opiates.$in).to.include.members(['heroin', 'opium', 'morphine']);
    expect(opiates.$in).to.not.include('fentanyl');
  });

  it('refuses a code that is neither, naming the field and suggesting what was meant', () => {
    const e = refusal('heroine');
    expect(e.field).to.equal('drug');
    expect(e.value).to.equal('heroine');
    expect(e.suggestions).to.include('heroin');
    expect(e.message).to.match(/did you mean .*heroin/);
    expect(refusal('cocain').suggestions).to.include('cocaine');
    expect(refusal('zzzzzz').message).to.contain('/data/substances.json');
  });
});

describe('query parameters: dates and codes', () => {
  const range = { from: { kind: 'date' }, to: { kind: 'date' } } as const;

  it('takes a day, month or year given as `to` as the whole of it (UTC), and `from` as its start', () => {
    const day = parseParams({ from: '2026-03-14', to: '2026-03-14' }, range);
    expect((day.from as Date).toISOString()).to.equal('2026-03-14T00:00:00.000Z');
    expect((day.to as Date).toISOString()).to.equal('2026-03-14T23:59:59.999Z');
    expect((parseParams({ to: '2026-02' }, range).to as Date).toISOString()).to.equal(
      '2026-02-28T23:59:59.999Z',
    );
    expect((parseParams({ to: '2025' }, range).to as Date).toISOString()).to.equal(
      '2025-12-31T23:59:59.999Z',
    );
    expect((parseParams({ to: '2026-12-31' }, range).to as Date).toISOString()).to.equal(
      '2026-12-31T23:59:59.999Z',
    );
    // A time given is taken as it is.
    expect((parseParams({ to: '2026-03-14T04:30:00Z' }, range).to as Date).toISOString()).to.equal(
      '2026-03-14T04:30:00.000Z',
    );
  });

  it('refuses a day its month does not have, naming the parameter, the value and the month’s length', () => {
    const refusal = (query: Record<string, string>) => {
      try {
        parseParams(query, range);
      } catch (err) {
        expect(err).to.be.instanceOf(ValidationError);
        return (err as ValidationError).errors;
      }
      throw new Error(`${JSON.stringify(query)} was taken`);
    };
    // Not moved into the next month: 29 February 2025 is not 1 March, 31 April is not 1 May.
    expect(refusal({ to: '2025-02-29' })).to.deep.equal([
      { field: 'to', message: 'is not a date of the calendar: 2025-02 has 28 days', value: '2025-02-29' },
    ]);
    expect(refusal({ to: '2026-04-31' })).to.deep.equal([
      { field: 'to', message: 'is not a date of the calendar: 2026-04 has 30 days', value: '2026-04-31' },
    ]);
    expect(refusal({ from: '2026-02-30T09:30:00Z' })).to.deep.equal([
      {
        field: 'from',
        message: 'is not a date of the calendar: 2026-02 has 28 days',
        value: '2026-02-30T09:30:00Z',
      },
    ]);
    // Each named, both at once.
    expect(refusal({ from: '2026-06-31', to: '2026-09-31' }).map((e) => e.field)).to.deep.equal([
      'from',
      'to',
    ]);
    // A leap year's 29 February, and the last day of each month, are dates.
    expect((parseParams({ to: '2024-02-29' }, range).to as Date).toISOString()).to.equal(
      '2024-02-29T23:59:59.999Z',
    );
    expect((parseParams({ from: '2026-04-30' }, range).from as Date).toISOString()).to.equal(
      '2026-04-30T00:00:00.000Z',
    );
  });

  it('reads a time with no zone as UTC, and an offset whose + the query string turned into a space', () => {
    const at = (from: string) => (parseParams({ from }, range).from as Date).toISOString();
    // Not the server's local time: the same whatever TZ the query API runs in.
    expect(at('2026-03-14T09:30')).to.equal('2026-03-14T09:30:00.000Z');
    expect(at('2026-03-14T09:30:00 05:00')).to.equal('2026-03-14T04:30:00.000Z');
    expect(at('2026-03-14T09:30:00+05:00')).to.equal('2026-03-14T04:30:00.000Z');
    expect(() => parseParams({ from: '14.03.2026' }, range)).to.throw(ValidationError);
  });

  it('reads a substance or conveyance code in any case', () => {
    expect(parseParams({ drug: 'Heroin' }, { drug: { kind: 'drug' } }).drug).to.equal('heroin');
    expect(parseParams({ conveyance: 'ROAD' }, { conveyance: { kind: 'conveyance' } }).conveyance).to.equal(
      'road',
    );
  });

  it('reads a mode of transport as the node stores it, from the words a node takes, and refuses one it does not know', () => {
    const conveyance = (value: string) =>
      parseParams({ conveyance: value }, { conveyance: { kind: 'conveyance' } }).conveyance;
    expect(conveyance('truck')).to.equal('road');
    expect(conveyance('ship')).to.equal('maritime');
    expect(conveyance('поезд')).to.equal('rail');
    expect(conveyance('maritime')).to.equal('maritime');
    let refused: FieldError | undefined;
    try {
      conveyance('hovercraftt');
    } catch (err) {
      refused = (err as ValidationError).errors[0];
    }
    expect(refused?.field).to.equal('conveyance');
    expect(refused?.message).to.match(/^is not a mode of transport.*\(one of road, rail, air, maritime/);
  });
});

// Every country filter (country, routeCountry, origin): a code of no country would be answered with nothing, which
// reads as "no seizures".
describe('query parameters: the country filters', () => {
  const parse = (country: string) => parseParams({ country }, { country: { kind: 'country' } }).country;
  const refusal = (country: string) => {
    try {
      parse(country);
    } catch (err) {
      expect(err).to.be.instanceOf(ValidationError);
      return (err as ValidationError).errors[0]!;
    }
    throw new Error(`${country} was taken`);
  };

  it("takes a country's ISO alpha-2 code, in any case", () => {
    expect(parse('KZ')).to.equal('KZ');
    expect(parse('uz')).to.equal('UZ');
    expect(parse('XK')).to.equal('XK');
  });

  it('refuses two letters that are no country, naming the field and the value', () => {
    for (const code of ['XX', 'EU', 'ZZ']) {
      const e = refusal(code);
      expect(e, code).to.include({ field: 'country', value: code });
      expect(e.message, code).to.equal(
        'must be an ISO 3166-1 alpha-2 country code like KZ (see /data/countries.json)',
      );
      expect(e.suggestions, code).to.equal(undefined);
    }
  });

  it('refuses a code or name used for a country, suggesting its ISO code', () => {
    const uk = refusal('UK');
    expect(uk).to.include({ field: 'country', value: 'UK' });
    expect(uk.suggestions).to.deep.equal(['GB']);
    expect(uk.message).to.equal('must be an ISO 3166-1 alpha-2 country code like KZ; did you mean GB?');
    expect(refusal('uk').suggestions).to.deep.equal(['GB']);
    expect(refusal('KAZ').suggestions).to.deep.equal(['KZ']);
    expect(refusal('Kazakhstan').suggestions).to.deep.equal(['KZ']);
  });

  it('names each country filter refused, as routeCountry and origin are read the same way', () => {
    const countries = {
      country: { kind: 'country' },
      routeCountry: { kind: 'country' },
      origin: { kind: 'country' },
    } as const;
    const parsing = () => parseParams({ country: 'KZ', routeCountry: 'UK', origin: 'XX' }, countries);
    expect(parsing).to.throw(ValidationError);
    let errors: FieldError[] = [];
    try {
      parsing();
    } catch (err) {
      errors = (err as ValidationError).errors;
    }
    expect(errors.map((e) => [e.field, e.value])).to.deep.equal([
      ['routeCountry', 'UK'],
      ['origin', 'XX'],
    ]);
  });
});
