import { expect } from 'chai';
import { ValidationError } from '@hub/errors';
import {
  annualReturnFromJson,
  DATE_ONLY_AHEAD_MS,
  informationRequestFromJson,
  isoSeizureDate,
  mayBeDateOnly,
  parseNumber,
  QUANTITY_LIMIT_COUNT,
  QUANTITY_LIMIT_KG,
  readAsUtcNote,
  readIsoTime,
  readReason,
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
    expect(report({ seizedAt: '2026-06-02' })).to.deep.equal([
      'seizedAt: must not be in the future: no time zone has reached that date yet',
    ]);
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

describe('national node readers: times of day, dates east of UTC, counts, text and handling as agencies write them', () => {
  const drug = (minimal.drugs as Record<string, unknown>[])[0]!;
  /** The reader's refusal of `input`, as the field errors it names (field, message, value). */
  const errorsOf = (read: () => unknown) => {
    try {
      read();
    } catch (err) {
      if (err instanceof ValidationError) return err.errors;
      throw err;
    }
    return [];
  };

  it('says a time of day the clock does not have is not one, rather than a wrong calendar date', () => {
    const rule = (given: string) =>
      `seizedAt: is not a real time of day (${given}): hours run 00-23, minutes and seconds 00-59 (24:00 is taken as the end of the day; a leap second :60 is not)`;
    expect(report({ seizedAt: '2026-03-14T25:00:00Z' })).to.deep.equal([rule('25:00:00')]);
    expect(report({ seizedAt: '2026-03-14T09:61:00Z' })).to.deep.equal([rule('09:61:00')]);
    expect(report({ seizedAt: '2026-03-14T09:30:61+05:00' })).to.deep.equal([rule('09:30:61')]);
    expect(report({ seizedAt: '2026-03-14 09:99' })).to.deep.equal([rule('09:99')]);
    // A leap second is refused (seizedAt is kept to the second: it would have to become another one).
    expect(report({ seizedAt: '2016-12-31T23:59:60Z' })).to.deep.equal([rule('23:59:60')]);
    // Past the end of the day is no time either.
    expect(report({ seizedAt: '2026-03-14T24:00:01Z' })).to.deep.equal([rule('24:00:01')]);
    expect(report({ seizedAt: '2026-03-14T24:30Z' })).to.deep.equal([rule('24:30')]);
    expect(report({ seizedAt: '2026-03-14T24:00:00.5Z' })).to.deep.equal([rule('24:00:00')]);
    // A date the calendar lacks is still said to be that, whatever its time.
    expect(report({ seizedAt: '2026-02-30T25:00:00Z' })).to.deep.equal([
      'seizedAt: is not a real calendar date',
    ]);
    expect(report({ seizedAt: '2026-03-14T23:59:59Z' })).to.deep.equal([]);
    expect(readIsoTime('2026-03-14T00:00Z')).to.deep.equal({
      ms: Date.UTC(2026, 2, 14),
      offsetMinutes: 0,
      hasTime: true,
    });
  });

  it("takes 24:00 as the end of the day (ISO 8601): the next day's 00:00, in its zone, and says so", () => {
    expect(readIsoTime('2026-03-14T24:00:00+05:00')).to.deep.equal({
      ms: Date.parse('2026-03-15T00:00:00+05:00'),
      offsetMinutes: 300,
      hasTime: true,
    });
    const taken = seizureReportFromJson({ ...minimal, seizedAt: '2026-02-28T24:00Z' }, ctx);
    expect(taken.value.seizedAt).to.equal(Date.UTC(2026, 2, 1));
    expect(taken.normalisations).to.include('seizedAt 2026-02-28T24:00Z → 2026-03-01T00:00:00.000Z');
    // The end of a day the calendar lacks is refused as that day is.
    expect(report({ seizedAt: '2026-02-29T24:00Z' })).to.deep.equal([
      'seizedAt: is not a real calendar date',
    ]);
    // A CSV time cell takes it as a date-time does.
    expect(isoSeizureDate('28.02.2026', '24:00')).to.equal('2026-02-28T24:00:00');
  });

  it('takes a date alone once it is that date in some time zone (UTC+14:00), and not before', () => {
    const at = (now: string, seizedAt: string) =>
      refusals(() => seizureReportFromJson({ ...minimal, seizedAt }, { ...ctx, now: Date.parse(now) }));
    const future = ['seizedAt: must not be in the future: no time zone has reached that date yet'];
    // 01:00 on 2 June in Almaty (UTC+5), 20:00 on 1 June in UTC: today's date, written alone, is taken.
    expect(at('2026-06-01T20:00:00Z', '2026-06-02')).to.deep.equal([]);
    // 2 June begins in Kiribati (UTC+14:00) at 10:00 UTC on 1 June: from then on, and not a second before.
    expect(at('2026-06-01T10:00:00Z', '2026-06-02')).to.deep.equal([]);
    expect(at('2026-06-01T09:59:59Z', '2026-06-02')).to.deep.equal(future);
    expect(at('2026-06-01T20:00:00Z', '2026-06-03')).to.deep.equal(future);
    expect(DATE_ONLY_AHEAD_MS).to.equal(14 * 3600000);
    // A date with its UTC offset is that zone's: 2 June begins in UTC+5 at 19:00 UTC on 1 June.
    expect(at('2026-06-01T18:00:00Z', '2026-06-02+05:00')).to.deep.equal([
      'seizedAt: must not be in the future',
    ]);
    expect(at('2026-06-01T19:00:00Z', '2026-06-02+05:00')).to.deep.equal([]);
    // A time without an offset is UTC's, as before: midnight UTC of 2 June is still ahead at 20:00 UTC on 1 June.
    expect(at('2026-06-01T20:00:00Z', '2026-06-02T00:00:00')).to.deep.equal([
      'seizedAt: must not be in the future (a time without a UTC offset is read as UTC; add e.g. +05:00)',
    ]);
    // What the coordinator can tell from the record: midnight UTC without an offset may have been a date alone.
    const taken = seizureReportFromJson(
      { ...minimal, seizedAt: '2026-06-02' },
      { ...ctx, now: Date.parse('2026-06-01T20:00:00Z') },
    ).value;
    expect(mayBeDateOnly(taken.seizedAt, taken.seizedAtOffsetMinutes)).to.equal(true);
    expect(mayBeDateOnly(Date.UTC(2026, 5, 2, 9, 30), null)).to.equal(false);
    expect(mayBeDateOnly(Date.UTC(2026, 5, 2), 0)).to.equal(false);
  });

  it('bounds a count in a unit without a mass (plants), naming the count, the limit and the unit', () => {
    expect(QUANTITY_LIMIT_COUNT).to.equal(100_000_000);
    const plants = (quantity: number) =>
      errorsOf(() =>
        seizureReportFromJson(
          { ...minimal, drugs: [{ substance: 'cannabis-plants', quantity, unit: 'plants' }] },
          ctx,
        ),
      );
    expect(plants(1e300)).to.deep.equal([
      {
        field: 'drugs[0].quantity',
        message:
          'must be at most 100000000 plants, more than any single seizure on record (got 1e+300); check the quantity and unit',
        value: 1e300,
      },
    ]);
    expect(plants(100_000_001)).to.have.length(1);
    expect(plants(100_000_000)).to.deep.equal([]);
    // Units with a mass are bounded by their kilograms (QUANTITY_LIMIT_KG), not by the count.
    expect(
      report({ drugs: [{ substance: 'captagon', quantity: 200_000_000, unit: 'tablets' }] }),
    ).to.deep.equal([]);
    const taken = seizureReportFromJson(
      { ...minimal, drugs: [{ substance: 'cannabis-plants', quantity: 4200, unit: 'кусты' }] },
      ctx,
    ).value;
    expect(taken.drugs[0]).to.include({ quantity: 4200, unit: 'plants', quantityKg: null });
  });

  it('refuses a quantity that would be kept as 0 kg, and takes one of a microgram', () => {
    const line = (quantity: number, unit: string) =>
      errorsOf(() => seizureReportFromJson({ ...minimal, drugs: [{ ...drug, quantity, unit }] }, ctx));
    expect(line(1e-12, 'kg')).to.deep.equal([
      {
        field: 'drugs[0].quantity',
        message:
          'must come to at least 1 µg (0.000000001 kg), the least the hub keeps (1e-12 kg would be kept as 0 kg); check the quantity and unit',
        value: 1e-12,
      },
    ]);
    expect(line(0.0004, 'mg')[0]?.message).to.match(/^must come to at least 1 µg/);
    const kept = (quantity: number, unit: string) =>
      seizureReportFromJson({ ...minimal, drugs: [{ ...drug, quantity, unit }] }, ctx).value.drugs[0]!
        .quantityKg;
    expect(kept(1e-9, 'kg')).to.equal(1e-9);
    expect(kept(0.001, 'mg')).to.equal(1e-9);
    expect(kept(0.2, 'mg')).to.equal(2e-7);
  });

  it('refuses text holding half of a surrogate pair, naming where, and takes a pair', () => {
    // As express.json reads {"notes":"\ud800x"}: a string that is no Unicode text, with no UTF-8 form to sign.
    const body = JSON.parse('{"notes":"ok \\ud800x","place":{"name":"Khorgos \\udc00"}}') as Record<
      string,
      unknown
    >;
    const errors = errorsOf(() => seizureReportFromJson({ ...minimal, ...body }, ctx));
    expect(errors).to.deep.equal([
      {
        field: 'place.name',
        message:
          'must be well-formed Unicode text: character 9 is half of a UTF-16 surrogate pair (\\udc00) without its other half; send the character itself in UTF-8, or both halves of its pair escaped (e.g. \\ud83d\\ude00)',
        value: 'Khorgos \ufffd',
      },
      {
        field: 'notes',
        message:
          'must be well-formed Unicode text: character 4 is half of a UTF-16 surrogate pair (\\ud800) without its other half; send the character itself in UTF-8, or both halves of its pair escaped (e.g. \\ud83d\\ude00)',
        value: 'ok \ufffdx',
      },
    ]);
    // Counted in characters: an emoji before it is one.
    const after = JSON.parse('"\\ud83d\\ude00 \\ud83d"') as string;
    expect(report({ notes: after })).to.deep.equal([
      'notes: must be well-formed Unicode text: character 3 is half of a UTF-16 surrogate pair (\\ud83d) without its other half; send the character itself in UTF-8, or both halves of its pair escaped (e.g. \\ud83d\\ude00)',
    ]);
    const paired = JSON.parse('{"notes":"\\ud83d\\ude00 found"}') as { notes: string };
    expect(seizureReportFromJson({ ...minimal, ...paired }, ctx).value.notes).to.equal('😀 found');
    // A reason (retraction, renewal) is signed text too.
    expect(errorsOf(() => readReason({ reason: 'wrong \ud800' }, 4000, 'why'))).to.deep.equal([
      {
        field: 'reason',
        message:
          'must be well-formed Unicode text: character 7 is half of a UTF-16 surrogate pair (\\ud800) without its other half; send the character itself in UTF-8, or both halves of its pair escaped (e.g. \\ud83d\\ude00)',
      },
    ]);
  });

  it('takes a region id in any letter case as the region, and names region ids when an entry is neither', () => {
    const regional = { ...ctx, regions: new Set(['central-asia', 'balkan-route']) };
    const read = (releasableTo: string[]) =>
      seizureReportFromJson({ ...minimal, handling: { tlp: 'AMBER', releasableTo } }, regional);
    const taken = read(['Central-Asia', ' BALKAN-ROUTE ', 'KZ']);
    expect(taken.value.handling.releasableTo).to.deep.equal(['central-asia', 'balkan-route', 'KZ']);
    expect(taken.normalisations).to.include("handling.releasableTo[0] 'Central-Asia' → central-asia");
    expect(refusals(() => read(['Central-Asiaa']))).to.deep.equal([
      'handling.releasableTo[0]: unknown country; use an ISO 3166-1 alpha-2 code (e.g. KZ) or a region id (balkan-route, central-asia)',
    ]);
    // Other fields that take a country say nothing of regions.
    expect(report({ route: [{ country: 'Central-Asia', role: 'transit' }] })).to.deep.equal([
      'route[0].country: unknown country; use an ISO 3166-1 alpha-2 code (e.g. KZ)',
    ]);
  });

  it('takes a 4x4 evaluation in lower case as the code in capitals, and says so', () => {
    const graded = (evaluation: string) =>
      seizureReportFromJson({ ...minimal, handling: { tlp: 'AMBER', evaluation } }, ctx);
    expect(graded('b2').value.handling.evaluation).to.equal('B2');
    expect(graded('b2').normalisations).to.include("handling.evaluation 'b2' → B2");
    expect(graded('x4').value.handling.evaluation).to.equal('X4');
    expect(graded('B2').normalisations.join('\n')).to.not.contain('handling.evaluation');
    expect(refusals(() => graded('b9'))).to.deep.equal([
      'handling.evaluation: must be a 4x4 code: source A-E or X, then information 1-4 (e.g. B2)',
    ]);
    // Every record with handling reads it so.
    const annual = annualReturnFromJson(
      {
        year: 2025,
        rows: [{ drugName: 'Heroin', kilograms: 1 }],
        handling: { tlp: 'AMBER', releasableTo: ['central-asia'] },
      },
      { ...ctx, regions: new Set(['central-asia']) },
    );
    expect(annual.value.handling.releasableTo).to.deep.equal(['central-asia']);
  });
});
