// A due time given as a date with a UTC offset but no time of day (2026-03-20Z, 2026-03-20+05:00) is refused, as a
// date alone is; its refusal's example is that date with a time and the offset given, a value the field takes.
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

/** The example a refusal of `dueAt` for having no time gives. */
const exampleFor = (dueAt: string) => {
  const { errors } = read(dueAt);
  expect(errors, dueAt).to.have.length(1);
  expect(errors![0]).to.include({ field: 'dueAt', value: dueAt.trim() });
  expect(errors![0]!.message).to.match(new RegExp(`^${dueAt.trim().replace(/[+]/g, '\\+')} has no time: `));
  return /e\.g\. (\S+)/.exec(errors![0]!.message)?.[1];
};

describe('information request input: a due date with an offset and no time', () => {
  it('gives as its example the date with a time and the offset given, which the field takes', () => {
    expect(exampleFor('2026-03-20Z')).to.equal('2026-03-20T18:00Z');
    expect(exampleFor('2026-03-20+05:00')).to.equal('2026-03-20T18:00+05:00');
    expect(exampleFor('2026-03-20 -0330')).to.equal('2026-03-20T18:00-0330');
    expect(exampleFor(' 2026-03-20 ')).to.equal('2026-03-20T18:00+05:00');
    for (const dueAt of ['2026-03-20Z', '2026-03-20+05:00', '2026-03-20 -0330'])
      expect(read(exampleFor(dueAt)!), `${dueAt}'s example`)
        .to.have.property('dueAt')
        .that.is.a('number');
  });
});
