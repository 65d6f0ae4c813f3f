import { expect } from 'chai';
import {
  informationRequestFromJson,
  isoSeizureDate,
  parseNumber,
  routeReportFromJson,
  seizureReportFromJson,
} from '@hub/domain';
import { ctx, minimal, refusals } from './readers';

const report = (changes: Record<string, unknown>) =>
  refusals(() => seizureReportFromJson({ ...minimal, ...changes }, ctx));

describe('national node readers: values taken as written or refused, never quietly changed', () => {
  it('refuses a date the calendar does not have, which Date.parse rolls over to the next month', () => {
    expect(report({ seizedAt: '2026-02-30' })).to.deep.equal(['seizedAt: is not a real calendar date']);
    expect(report({ seizedAt: '2026-04-31T10:00:00+05:00' })).to.deep.equal([
      'seizedAt: is not a real calendar date',
    ]);
    // The same date as a CSV file writes it, day first.
    expect(report({ seizedAt: isoSeizureDate('30.02.2026', null) })).to.deep.equal([
      'seizedAt: is not a real calendar date',
    ]);
    expect(report({ seizedAt: '2024-02-29' })).to.deep.equal([]);
    const route = (periodFrom: string) =>
      refusals(() =>
        routeReportFromJson(
          { legs: [{ from: 'TJ', to: 'KZ' }], periodFrom, handling: { tlp: 'GREEN' } },
          ctx,
        ),
      );
    expect(route('2026-02-30')).to.deep.equal(['periodFrom: must be an ISO 8601 date like 2026-01-31']);
    expect(route('2026-02-28')).to.deep.equal([]);
    const dueAt = (due: string) =>
      refusals(() =>
        informationRequestFromJson(
          { to: 'UZ', purpose: 'a case', question: 'Who?', dueAt: due, handling: { tlp: 'AMBER' } },
          ctx,
        ),
      );
    expect(dueAt('2026-06-31T12:00:00Z')).to.deep.equal([
      'dueAt: must be an ISO 8601 date-time, e.g. 2026-03-14T18:00:00+05:00',
    ]);
    expect(dueAt('2026-06-30T12:00:00Z')).to.deep.equal([]);
  });

  it('refuses a fraction where a count is asked, instead of cutting it', () => {
    const drug = (minimal.drugs as Record<string, unknown>[])[0]!;
    expect(report({ drugs: [{ ...drug, packageCount: 3.7 }] })).to.deep.equal([
      'drugs[0].packageCount: must be a whole number',
    ]);
    expect(report({ arrested: [{ nationality: 'TJ', count: 2.9 }] })).to.deep.equal([
      'arrested[0].count: must be a whole number',
    ]);
    const taken = seizureReportFromJson(
      { ...minimal, drugs: [{ ...drug, packageCount: '40' }], arrested: [{ nationality: 'TJ', count: 3 }] },
      ctx,
    ).value;
    expect(taken.drugs[0]!.packageCount).to.equal(40);
    expect(taken.arrested[0]!.count).to.equal(3);
  });

  it('reads a number given as text in decimal notation only', () => {
    const drug = (minimal.drugs as Record<string, unknown>[])[0]!;
    expect(report({ drugs: [{ ...drug, quantity: '0x10' }] })).to.deep.equal([
      'drugs[0].quantity: must be a finite number',
    ]);
    expect(report({ drugs: [{ ...drug, quantity: '0b11' }] })).to.deep.equal([
      'drugs[0].quantity: must be a finite number',
    ]);
    const taken = seizureReportFromJson({ ...minimal, drugs: [{ ...drug, quantity: ' 12.5 ' }] }, ctx).value;
    expect(taken.drugs[0]!.quantity).to.equal(12.5);
    // A CSV cell: "0x10" stays text (refused by the reader, naming it), decimal forms are read.
    expect(parseNumber('0x10')).to.equal('0x10');
    expect(parseNumber('1 250,5', ';')).to.equal(1250.5);
    expect(parseNumber('1e3')).to.equal(1000);
    expect(parseNumber('-.5')).to.equal(-0.5);
  });
});
