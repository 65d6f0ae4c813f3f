import { expect } from 'chai';
import {
  informationRequestFromJson,
  isoSeizureDate,
  parseNumber,
  QUANTITY_LIMIT_KG,
  readAsUtcNote,
  readIsoTime,
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
    // Said as of a seizure's date: a due time is read by the same rules.
    expect(dueAt('2026-06-31T12:00:00Z')).to.deep.equal(['dueAt: is not a real calendar date']);
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

  it('names a number too large to hold as out of range, echoing it when given as text', () => {
    const drug = (minimal.drugs as Record<string, unknown>[])[0]!;
    // As express.json reads {"quantity": 1e400}: Infinity, which JSON would echo back as null.
    const parsed = JSON.parse('{"quantity": 1e400}') as { quantity: number };
    const refusal = (quantity: unknown) => {
      try {
        seizureReportFromJson({ ...minimal, drugs: [{ ...drug, quantity }] }, ctx);
      } catch (err) {
        return (err as { errors: { field: string; message: string; value?: unknown }[] }).errors;
      }
      return [];
    };
    expect(refusal(parsed.quantity)).to.deep.equal([
      { field: 'drugs[0].quantity', message: 'is out of range: a number too large (beyond ±1.8e308)' },
    ]);
    expect(refusal(-parsed.quantity)).to.deep.equal([
      { field: 'drugs[0].quantity', message: 'is out of range: a number too large (beyond ±1.8e308)' },
    ]);
    // A CSV cell keeps its text: echoed as written.
    expect(refusal('1e400')).to.deep.equal([
      { field: 'drugs[0].quantity', message: 'is out of range: a number too large', value: '1e400' },
    ]);
  });

  it('names what was given where an object or a list is asked', () => {
    expect(report({ place: 'Khorgos' })).to.deep.equal(['place: must be an object, got string']);
    expect(report({ place: ['Khorgos'] })).to.deep.equal(['place: must be an object, got a list']);
    expect(report({ route: { country: 'TJ' } })).to.deep.equal(['route: must be a list, got object']);
    const entries = report({ arrested: [null, 'TJ'] });
    expect(entries).to.include('arrested[0]: must be an object, got null');
    expect(entries).to.include('arrested[1]: must be an object, got string');
  });
});

describe('national node readers: what the coordinator would refuse, and ids, times and lists as meant', () => {
  const drug = (minimal.drugs as Record<string, unknown>[])[0]!;

  it('takes a report id in any letter case as the same lower-case id, and says so', () => {
    const id = '3F2504E0-4F89-41D3-9A0C-0305E82C3301';
    const taken = seizureReportFromJson({ ...minimal, reportId: id }, ctx);
    expect(taken.value.reportId).to.equal(id.toLowerCase());
    expect(taken.normalisations).to.include(`reportId '${id}' → ${id.toLowerCase()}`);
    const route = routeReportFromJson(
      {
        routeId: id,
        legs: [{ from: 'TJ', to: 'KZ' }],
        relatedReports: [id],
        handling: { tlp: 'GREEN' },
      },
      ctx,
    ).value;
    expect(route.routeId).to.equal(id.toLowerCase());
    // Other countries' reports, named as the hub holds them (ids of before 2026-12-07 as they were sent).
    expect(route.relatedReports).to.deep.equal([id]);
    // An id the node holds as sent in capitals (before 2026-12-07) keeps that spelling.
    const held = seizureReportFromJson(
      { ...minimal, reportId: id.toLowerCase() },
      { ...ctx, idOf: () => id },
    );
    expect(held.value.reportId).to.equal(id);
    expect(held.normalisations).to.include(`reportId '${id.toLowerCase()}' → ${id}`);
  });

  it('refuses a quantity the coordinator would refuse as implausible, naming the quantity and the limit', () => {
    expect(QUANTITY_LIMIT_KG).to.equal(500_000);
    expect(report({ drugs: [{ ...drug, quantity: 500, unit: 't' }] })).to.deep.equal([]);
    const [over] = report({ drugs: [{ ...drug, quantity: 600, unit: 't' }] });
    expect(over).to.match(/^drugs\[0\]\.quantity: must come to at most 500000 kg.*600 t is 600000 kg.*unit/);
    // 1e306 t is more kilograms than a double holds (Infinity): refused too, not queued.
    const [huge] = report({ drugs: [{ ...drug, quantity: 1e306, unit: 't' }] });
    expect(huge).to.match(/^drugs\[0\]\.quantity: must come to at most 500000 kg/);
    const refused = (() => {
      try {
        seizureReportFromJson({ ...minimal, drugs: [{ ...drug, quantity: 600, unit: 't' }] }, ctx);
      } catch (err) {
        return (err as { errors: { value?: unknown }[] }).errors[0];
      }
    })();
    expect(refused?.value).to.equal(600);
  });

  it('refuses a UTC offset no time zone has', () => {
    const rule = 'at most ±14:00, its minutes under 60';
    for (const seizedAt of [
      '2026-03-14T09:30:00+99:99',
      '2026-03-14T09:30:00+05:60',
      '2026-03-14T09:30:00-1430',
    ]) {
      const [e] = report({ seizedAt });
      expect(e, seizedAt).to.contain('seizedAt: has UTC offset').and.contain(rule);
    }
    expect(report({ seizedAt: '2026-03-14T09:30:00+14:00' })).to.deep.equal([]);
    expect(report({ seizedAt: '2026-03-14T09:30:00-12:00' })).to.deep.equal([]);
    expect(
      seizureReportFromJson({ ...minimal, seizedAt: '2026-03-14T09:30:00+0545' }, ctx).value
        .seizedAtOffsetMinutes,
    ).to.equal(345);
  });

  it('says, of a time in the future, that one without a UTC offset was read as UTC', () => {
    // ctx.now is 2026-06-01T00:00Z: 03:00 in Almaty is before it, 03:00 UTC after.
    expect(report({ seizedAt: '2026-06-01T03:00:00' })).to.deep.equal([
      'seizedAt: must not be in the future (a time without a UTC offset is read as UTC; add e.g. +05:00)',
    ]);
    expect(report({ seizedAt: '2026-06-01T03:00:00+05:00' })).to.deep.equal([]);
    expect(report({ seizedAt: '2026-06-02' })[0]).to.match(
      /^seizedAt: must not be in the future \(a date without a time is read as midnight UTC;/,
    );
    expect(report({ seizedAt: '2026-06-01T09:00:00+05:00' })).to.deep.equal([
      'seizedAt: must not be in the future',
    ]);
  });

  it("reads a seizure's date and a request's due time by one reading of ISO 8601, each within its own bounds", () => {
    expect(readIsoTime(' 2026-03-14T09:30:15.25+05:00 ')).to.deep.equal({
      ms: Date.UTC(2026, 2, 14, 4, 30, 15, 250),
      offsetMinutes: 300,
      hasTime: true,
    });
    expect(readIsoTime('2026-03-14 09:30Z')).to.deep.equal({
      ms: Date.UTC(2026, 2, 14, 9, 30),
      offsetMinutes: 0,
      hasTime: true,
    });
    const date = readIsoTime('2026-03-14');
    expect(date).to.deep.equal({ ms: Date.UTC(2026, 2, 14), offsetMinutes: null, hasTime: false });
    expect(readIsoTime('14.03.2026')).to.deep.equal({ error: true });
    expect(readIsoTime('2026-02-30T10:00:00Z')).to.deep.equal({
      error: true,
      rule: 'is not a real calendar date',
    });
    expect((readIsoTime('2026-03-14T09:30:00+05:60') as { rule?: string }).rule).to.match(
      /^has UTC offset \+05:60, which no time zone has/,
    );
    expect(readAsUtcNote(date as Exclude<typeof date, { error: true }>, 'E.G.')).to.equal(
      ' (a date without a time is read as midnight UTC; give the time with its UTC offset, e.g. E.G.)',
    );
    // A seizure's date is kept to the second; a due time to the millisecond.
    expect(
      seizureReportFromJson({ ...minimal, seizedAt: '2026-03-14T09:30:15.999+05:00' }, ctx).value.seizedAt,
    ).to.equal(Date.UTC(2026, 2, 14, 4, 30, 15));
    const due = informationRequestFromJson(
      {
        to: 'UZ',
        purpose: 'a case',
        question: 'Who?',
        dueAt: '2026-06-03T12:00:00.5Z',
        handling: { tlp: 'AMBER' },
      },
      ctx,
    ).value.dueAt;
    expect(due).to.equal(Date.UTC(2026, 5, 3, 12, 0, 0, 500));
  });

  it('names a latitude out of range alone, not as a longitude without its latitude', () => {
    expect(report({ place: { lat: 91, lon: 0 } })).to.deep.equal(['place.lat: must be at most 90']);
    expect(report({ place: { lat: 0, lon: 181 } })).to.deep.equal(['place.lon: must be at most 180']);
    expect(report({ place: { lat: 44 } })).to.deep.equal(['place: lat and lon go together']);
    expect(report({ place: { lon: 80 } })).to.deep.equal(['place: lat and lon go together']);
  });

  it('refuses a list entry that is not a string, by its index, instead of taking it as empty', () => {
    expect(report({ handling: { tlp: 'AMBER', releasableTo: [123, null, {}, 'KZ'] } })).to.deep.equal([
      'handling.releasableTo[0]: must be a string: an ISO country code, a country name or a region id (got number)',
      'handling.releasableTo[1]: must be a string: an ISO country code, a country name or a region id (got null)',
      'handling.releasableTo[2]: must be a string: an ISO country code, a country name or a region id (got object)',
    ]);
    const route = (changes: Record<string, unknown>) =>
      refusals(() =>
        routeReportFromJson(
          { legs: [{ from: 'TJ', to: 'KZ' }], handling: { tlp: 'GREEN' }, ...changes },
          ctx,
        ),
      );
    expect(route({ substances: [123, 'heroin'], concealment: [{}], relatedReports: [[]] })).to.deep.equal([
      'substances[0]: must be a string: a substance code or name (got number)',
      'concealment[0]: must be a string: a concealment method (got object)',
      'relatedReports[0]: must be a string: a report id (UUID) (got a list)',
    ]);
    expect(route({ substances: ['  '] })).to.deep.equal([
      'substances[0]: must not be empty: each entry is a substance code or name',
    ]);
    expect(route({ substances: ['heroin'], concealment: ['false floor'] })).to.deep.equal([]);
  });
});
