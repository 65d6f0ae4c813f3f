import { expect } from 'chai';
import { ValidationError } from '@hub/errors';
import { informationRequestFromJson, informationResponseFromJson } from '@hub/domain';

const NOW = Date.UTC(2026, 2, 14, 9, 0);
const ctx = { nodeCountry: 'KZ', now: NOW, regions: new Set(['central-asia']) };
const fieldsOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err.errors.map((e) => e.field);
    throw err;
  }
  return [];
};

const errorsOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err.errors;
    throw err;
  }
  return [];
};

describe('national node: information request input', () => {
  const body = {
    to: 'Узбекистан',
    purpose: 'investigation',
    question: 'Seen before?',
    handling: { tlp: 'GREEN' },
  };

  it('normalises the addressee and sets the due time by urgency when none is given', () => {
    const routine = informationRequestFromJson(body, ctx).value;
    expect(routine).to.include({
      from: 'KZ',
      to: 'UZ',
      urgency: 'routine',
      subjectKind: 'other',
      sentAt: NOW,
    });
    expect(routine.dueAt).to.equal(NOW + 14 * 86400000);
    expect(informationRequestFromJson({ ...body, urgency: 'URGENT' }, ctx).value.dueAt).to.equal(
      NOW + 86400000,
    );
    expect(informationRequestFromJson({ ...body, urgency: 'immediate' }, ctx).value.dueAt).to.equal(
      NOW + 2 * 3600000,
    );
    const given = informationRequestFromJson({ ...body, dueAt: '2026-03-14T18:00:00+05:00' }, ctx).value;
    expect(given.dueAt).to.equal(Date.UTC(2026, 2, 14, 13, 0));
  });

  it('reports every field error at once', () => {
    expect(
      fieldsOf(() =>
        informationRequestFromJson(
          { to: 'KZ', subjectKind: 'report', subjectRef: 'abc', urgency: 'soon', dueAt: 'tomorrow' },
          ctx,
        ),
      ),
    ).to.deep.equal([
      'to',
      'subjectRef',
      'purpose',
      'question',
      'urgency',
      'dueAt',
      'handling',
      'handling.tlp',
    ]);
    expect(
      fieldsOf(() => informationRequestFromJson({ ...body, dueAt: '2026-03-14T08:00:00Z' }, ctx)),
    ).to.deep.equal(['dueAt']);
  });

  it("reads a due time without a UTC offset as UTC, not in the server's time zone, and says so", () => {
    // Run under TZ=Asia/Almaty too: Date.parse would read these as 13:00Z there.
    for (const dueAt of ['2026-03-15T18:00', '2026-03-15T18:00:00', '2026-03-15 18:00']) {
      const read = informationRequestFromJson({ ...body, dueAt }, ctx);
      expect(read.value.dueAt, dueAt).to.equal(Date.UTC(2026, 2, 15, 18, 0));
      expect(read.normalisations, dueAt).to.include(
        `dueAt ${dueAt} → 2026-03-15T18:00:00.000Z (a time without a UTC offset is read as UTC; add e.g. +05:00)`,
      );
    }
    // A date alone is refused (due-at.test.ts): read as midnight UTC it would fall due up to a day early.
    expect(fieldsOf(() => informationRequestFromJson({ ...body, dueAt: '2026-03-16' }, ctx))).to.deep.equal([
      'dueAt',
    ]);
    // With its offset, as given, and no note about it.
    const zoned = informationRequestFromJson({ ...body, dueAt: '2026-03-15T18:00:00.250-03:30' }, ctx);
    expect(zoned.value.dueAt).to.equal(Date.UTC(2026, 2, 15, 21, 30, 0, 250));
    expect(zoned.normalisations.filter((n) => n.startsWith('dueAt'))).to.deep.equal([]);
  });

  it('refuses a due time whose UTC offset no time zone has, naming field, value and rule', () => {
    for (const dueAt of ['2026-03-15T18:00+15:00', '2026-03-15T18:00:00+05:60']) {
      const errors = errorsOf(() => informationRequestFromJson({ ...body, dueAt }, ctx));
      expect(errors, dueAt).to.have.length(1);
      expect(errors[0]).to.include({ field: 'dueAt', value: dueAt });
      expect(errors[0]!.message).to.match(
        /^has UTC offset [+]\d\d:\d\d, which no time zone has: an offset is at most ±14:00/,
      );
    }
    expect(
      informationRequestFromJson({ ...body, dueAt: '2026-03-15T18:00+14:00' }, ctx).value.dueAt,
    ).to.equal(Date.UTC(2026, 2, 15, 4, 0));
  });

  it('says the rule and the times when a due time is too soon or too late', () => {
    const [soon] = errorsOf(() =>
      informationRequestFromJson({ ...body, dueAt: '2026-03-14T09:00:00.500Z' }, ctx),
    );
    expect(soon).to.deep.equal({
      field: 'dueAt',
      message:
        '2026-03-14T09:00:00.500Z must be at least 1 s after the time the request is read (2026-03-14T09:00:00.000Z)',
      value: '2026-03-14T09:00:00.500Z',
    });
    const [late] = errorsOf(() => informationRequestFromJson({ ...body, dueAt: '2027-03-16T09:00' }, ctx));
    expect(late).to.deep.equal({
      field: 'dueAt',
      message:
        '2027-03-16T09:00:00.000Z must be at most 366 days after the time the request is read (2026-03-14T09:00:00.000Z), i.e. no later than 2027-03-15T09:00:00.000Z (a time without a UTC offset is read as UTC; add e.g. +05:00)',
      value: '2027-03-16T09:00',
    });
    expect(
      fieldsOf(() => informationRequestFromJson({ ...body, dueAt: '2026-02-30T10:00Z' }, ctx)),
    ).to.deep.equal(['dueAt']);
  });

  it("answers with the request's handling unless it gives its own, to the requester", () => {
    const request = {
      requestId: '0b0f2a52-6a1e-4f0e-9d1c-1c2f3a4b5c6d',
      from: 'UZ',
      handling: { tlp: 'AMBER' as const, releasableTo: ['UZ'] },
    };
    const inherited = informationResponseFromJson({ answer: 'yes' }, request, ctx);
    expect(inherited.value).to.include({
      from: 'KZ',
      to: 'UZ',
      status: 'answered',
      requestId: request.requestId,
    });
    expect(inherited.value.handling).to.deep.equal(request.handling);
    expect(inherited.normalisations).to.include('handling not given: inherited from the request');
    const own = informationResponseFromJson({ answer: 'yes', handling: { tlp: 'RED' } }, request, ctx).value;
    expect(own.handling).to.deep.equal({ tlp: 'RED', releasableTo: [] });
    expect(informationResponseFromJson({ status: 'declined' }, request, ctx).value.answer).to.equal('');
    expect(
      fieldsOf(() => informationResponseFromJson({ relatedReports: ['x'], status: 'no' }, request, ctx)),
    ).to.deep.equal(['status', 'answer', 'relatedReports[0]']);
  });
});
