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
