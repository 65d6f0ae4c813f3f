// The due time of an information request as an agency writes it: ISO 8601's hour-only UTC offset is an offset, and a
// date alone, which a person means as some time on that date where they are, is refused rather than read as midnight
// UTC (due, and escalated, up to a day before they meant).
import { expect } from 'chai';
import { ValidationError } from '@hub/errors';
import { informationRequestFromJson } from '@hub/domain';

const NOW = Date.UTC(2026, 2, 14, 9, 0);
const ctx = { nodeCountry: 'KZ', now: NOW, regions: new Set(['central-asia']) };
const body = { to: 'UZ', purpose: 'investigation', question: 'Seen before?', handling: { tlp: 'GREEN' } };

/** The request read with `dueAt`: its due time, or the field errors it was refused with. */
const read = (dueAt: string) => {
  try {
    return { dueAt: informationRequestFromJson({ ...body, dueAt }, ctx).value.dueAt };
  } catch (err) {
    if (err instanceof ValidationError) return { errors: err.errors };
    throw err;
  }
};

describe('information request input: the due time', () => {
  it('reads an hour-only UTC offset (±hh) as ±hh:00', () => {
    expect(read('2026-03-20T18:00+05')).to.deep.equal({ dueAt: Date.UTC(2026, 2, 20, 13, 0) });
    expect(read('2026-03-20T18:00:30-03')).to.deep.equal({ dueAt: Date.UTC(2026, 2, 20, 21, 0, 30) });
    expect(read('2026-03-20 18:00 +14')).to.deep.equal({ dueAt: Date.UTC(2026, 2, 20, 4, 0) });
    // As the same offset written out in full.
    expect(read('2026-03-20T18:00+05')).to.deep.equal(read('2026-03-20T18:00+05:00'));
    // One no time zone has is refused for that, naming the value as given.
    const { errors } = read('2026-03-20T18:00+15');
    expect(errors).to.have.length(1);
    expect(errors![0]).to.include({ field: 'dueAt', value: '2026-03-20T18:00+15' });
    expect(errors![0]!.message).to.match(/^has UTC offset \+15:00, which no time zone has/);
  });

  it('refuses a date without a time, asking for the time and its offset', () => {
    expect(read('2026-03-20')).to.deep.equal({
      errors: [
        {
          field: 'dueAt',
          message:
            '2026-03-20 has no time: give the date and time it falls due with its UTC offset, e.g. 2026-03-20T18:00+05:00 (a date alone would be read as midnight UTC, up to a day early)',
          value: '2026-03-20',
        },
      ],
    });
  });
});
