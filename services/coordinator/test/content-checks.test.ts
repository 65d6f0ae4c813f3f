import { expect } from 'chai';
import { flagSeizureReport, insideBox } from '../src/content-checks';
import { alertScore } from '../src/correlate';

describe('coordinator content checks', () => {
  it('finds coordinates inside a bounding box, also one crossing the antimeridian', () => {
    const kz: [number, number, number, number] = [46.6, 40.6, 87.3, 55.4];
    expect(insideBox(kz, 44.21, 80.41)).to.equal(true);
    expect(insideBox(kz, 80.41, 44.21), 'lat and lon swapped').to.equal(false);
    const ru: [number, number, number, number] = [19.6, 41.2, -169.7, 81.9];
    expect(insideBox(ru, 64.7, 177.5), 'Chukotka, east of 180').to.equal(true);
    expect(insideBox(ru, 65.5, -171.0), 'west of 180 but inside the box').to.equal(true);
    expect(insideBox(ru, 55.7, 0), 'London is not in Russia’s box').to.equal(false);
  });

  it('flags a report whose place lies outside its country, and not one without coordinates', () => {
    const flags = flagSeizureReport({ country: 'TJ', place: { lat: 38.56, lon: -68.77 } });
    expect(flags.map((f) => f.code)).to.deep.equal(['coordinates-outside-country']);
    expect(flagSeizureReport({ country: 'TJ', place: { lat: 38.56, lon: 68.77 } })).to.deep.equal([]);
    expect(flagSeizureReport({ country: 'TJ', place: { lat: null, lon: null } })).to.deep.equal([]);
  });

  it('weighs an alert by the 4x4 evaluations of its reports', () => {
    expect(alertScore('shared_identifier', ['A1', 'A1'])).to.equal(0.9);
    expect(alertScore('shared_identifier', ['E4', 'X4'])).to.be.below(
      alertScore('shared_identifier', ['B2', 'C3']),
    );
    expect(alertScore('route_and_concealment', ['A1'])).to.be.below(alertScore('linked_case', ['A1']));
  });
});
