import { expect } from 'chai';
import {
  annualReturnId,
  MAX_ANNUAL_ROWS,
  QUANTITY_LIMIT_COUNT,
  QUANTITY_LIMIT_KG,
  ROUTE_MAX_LEGS,
  ROUTE_MAX_TERMS,
  SEIZURE_REPORT_MAX,
} from '@hub/domain';
import {
  checkAnnualReturn,
  checkRoute,
  checkSeizureReport,
  flagSeizureReport,
  insideBox,
} from '../src/content-checks';
import { alertScore } from '@hub/store';

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

  it('takes a quantity up to the limit a national node applies, and refuses one over it', () => {
    const now = Date.UTC(2026, 11, 6);
    const report = (quantityKg: number) => ({
      country: 'KZ',
      seizedAt: now - 86_400_000,
      version: 1,
      drugs: [{ substance: 'heroin', quantity: quantityKg, quantityKg }],
    });
    expect(checkSeizureReport(report(QUANTITY_LIMIT_KG), 'KZ', now)).to.deep.equal([]);
    const refused = checkSeizureReport(report(QUANTITY_LIMIT_KG + 1), 'KZ', now);
    expect(refused.map((f) => f.field)).to.deep.equal(['drugs[0].quantity']);
  });

  it('takes a date alone as a node does: up to 14 hours past its clock, when it is that date east of UTC', () => {
    // 14:00 UTC: tomorrow's date has begun from UTC+10:00 eastwards.
    const now = Date.UTC(2026, 11, 6, 14);
    const tomorrow = Date.UTC(2026, 11, 7);
    const report = (seizedAt: number, seizedAtOffsetMinutes: number | null) => ({
      country: 'KZ',
      seizedAt,
      seizedAtOffsetMinutes,
      version: 1,
      drugs: [{ substance: 'heroin', quantity: 1, unit: 'kg', quantityKg: 1 }],
    });
    expect(checkSeizureReport(report(tomorrow, null), 'KZ', now)).to.deep.equal([]);
    // Given with its offset, midnight is a time of day like any other: five minutes of skew only.
    expect(checkSeizureReport(report(tomorrow, 0), 'KZ', now).map((e) => e.field)).to.deep.equal([
      'seizedAt',
    ]);
    // A date no zone has reached: the day after tomorrow, 34 hours ahead.
    const refused = checkSeizureReport(report(Date.UTC(2026, 11, 8), null), 'KZ', now);
    expect(refused.map((e) => e.field)).to.deep.equal(['seizedAt']);
    expect(refused[0]!.message).to.match(/no time zone has reached yet/);
  });

  it('bounds a count of plants as a node does, naming the field, the value and the limit', () => {
    const now = Date.UTC(2026, 11, 6);
    const report = (quantity: number) => ({
      country: 'KZ',
      seizedAt: now - 86_400_000,
      version: 1,
      drugs: [{ substance: 'cannabis', quantity, unit: 'plants', quantityKg: null }],
    });
    expect(checkSeizureReport(report(QUANTITY_LIMIT_COUNT), 'KZ', now)).to.deep.equal([]);
    expect(checkSeizureReport(report(1e300), 'KZ', now)).to.deep.equal([
      {
        field: 'drugs[0].quantity',
        message: `must be at most ${QUANTITY_LIMIT_COUNT} plants, as a national node takes it`,
        value: 1e300,
      },
    ]);
  });

  it('refuses kilograms that are negative, not a number or infinite, naming the field, the value and the rule', () => {
    const now = Date.UTC(2026, 11, 6);
    const report = (quantityKg: unknown) => ({
      country: 'KZ',
      seizedAt: now - 86_400_000,
      version: 1,
      drugs: [{ substance: 'heroin', quantity: 5, unit: 'tablets', quantityKg }],
    });
    // Null (no conversion known) and 0 (a quantity too small for the microgram) are taken.
    expect(checkSeizureReport(report(null), 'KZ', now)).to.deep.equal([]);
    expect(checkSeizureReport(report(0), 'KZ', now)).to.deep.equal([]);
    for (const [kg, shown] of [
      [-5, '-5'],
      [Number.NaN, 'NaN'],
      [Number.NEGATIVE_INFINITY, '-Infinity'],
      [Number.POSITIVE_INFINITY, 'Infinity'],
    ] as const)
      expect(checkSeizureReport(report(kg), 'KZ', now), shown).to.deep.equal([
        {
          field: 'drugs[0].quantityKg',
          message: `must be a finite number of kilograms, 0 or more (got ${shown})`,
          value: kg,
        },
      ]);
  });

  it('refuses kilograms that are not the quantity converted, where the unit converts by mass', () => {
    const now = Date.UTC(2026, 11, 6);
    const report = (quantity: number, unit: string, quantityKg: number) => ({
      country: 'KZ',
      seizedAt: now - 86_400_000,
      version: 1,
      drugs: [{ substance: 'heroin', quantity, unit, quantityKg }],
    });
    // As a national node converts them (toKg, rounded to the microgram).
    expect(checkSeizureReport(report(1500, 'g', 1.5), 'KZ', now)).to.deep.equal([]);
    expect(checkSeizureReport(report(3, 'lb', 1.36077711), 'KZ', now)).to.deep.equal([]);
    expect(checkSeizureReport(report(0.1, 'g', 0.0001), 'KZ', now), 'float noise').to.deep.equal([]);
    expect(checkSeizureReport(report(1500, 'g', 1500), 'KZ', now)).to.deep.equal([
      {
        field: 'drugs[0].quantityKg',
        message: 'must be the quantity in kilograms: 1500 g is 1.5 kg, not 1500',
        value: 1500,
      },
    ]);
    expect(checkSeizureReport(report(2, 'kg', 2.001), 'KZ', now).map((e) => e.field)).to.deep.equal([
      'drugs[0].quantityKg',
    ]);
    // Tablets weigh what the substance's unit mass says, which a node's vocabulary may hold otherwise: not compared.
    expect(checkSeizureReport(report(1000, 'tablets', 0.25), 'KZ', now)).to.deep.equal([]);
    // A unit the hub does not know is not compared either.
    expect(checkSeizureReport(report(1000, 'bricks', 7), 'KZ', now)).to.deep.equal([]);
  });

  it('takes no longer lists than a national node does, naming each list and its length', () => {
    const now = Date.UTC(2026, 11, 6);
    const drug = { substance: 'heroin', quantity: 1, quantityKg: 1 };
    const report = (over: Record<string, unknown>) => ({
      country: 'KZ',
      seizedAt: now - 86_400_000,
      version: 1,
      drugs: [drug],
      ...over,
    });
    expect(checkSeizureReport(report({}), 'KZ', now)).to.deep.equal([]);
    const full = report({
      drugs: Array.from({ length: SEIZURE_REPORT_MAX.drugs }, () => drug),
      route: Array.from({ length: SEIZURE_REPORT_MAX.route }, () => ({ country: 'KZ' })),
      conveyance: { identifiers: Array.from({ length: SEIZURE_REPORT_MAX.identifiers }, () => ({})) },
      arrested: Array.from({ length: SEIZURE_REPORT_MAX.arrested }, () => ({})),
      links: Array.from({ length: SEIZURE_REPORT_MAX.links }, () => ({})),
    });
    expect(checkSeizureReport(full, 'KZ', now), 'each list at its limit').to.deep.equal([]);
    const over = report({
      drugs: Array.from({ length: 5000 }, () => drug),
      route: Array.from({ length: 31 }, () => ({ country: 'KZ' })),
      conveyance: { identifiers: Array.from({ length: 21 }, () => ({})) },
      arrested: Array.from({ length: 51 }, () => ({})),
      links: Array.from({ length: 51 }, () => ({})),
    });
    expect(checkSeizureReport(over, 'KZ', now)).to.deep.equal([
      { field: 'drugs', message: 'must list at most 50 (as a national node takes them)', value: 5000 },
      { field: 'route', message: 'must list at most 30 (as a national node takes them)', value: 31 },
      {
        field: 'conveyance.identifiers',
        message: 'must list at most 20 (as a national node takes them)',
        value: 21,
      },
      { field: 'arrested', message: 'must list at most 50 (as a national node takes them)', value: 51 },
      { field: 'links', message: 'must list at most 50 (as a national node takes them)', value: 51 },
    ]);
    const legs = (n: number) => Array.from({ length: n }, () => ({ from: 'AF', to: 'TJ' }));
    expect(checkRoute({ country: 'KZ', legs: legs(ROUTE_MAX_LEGS) }, 'KZ')).to.deep.equal([]);
    expect(checkRoute({ country: 'KZ', legs: legs(ROUTE_MAX_LEGS + 1) }, 'KZ')[0]).to.include({
      field: 'legs',
      value: ROUTE_MAX_LEGS + 1,
    });
    const terms = (n: number) => Array.from({ length: n }, () => 'heroin');
    const route = {
      country: 'KZ',
      legs: legs(1),
      substances: terms(ROUTE_MAX_TERMS),
      concealment: terms(ROUTE_MAX_TERMS),
    };
    expect(checkRoute(route, 'KZ'), 'named terms at their limit').to.deep.equal([]);
    expect(
      checkRoute({ ...route, substances: terms(ROUTE_MAX_TERMS + 1), concealment: terms(5000) }, 'KZ'),
    ).to.deep.equal([
      { field: 'substances', message: 'must list at most 20 (as a national node takes them)', value: 21 },
      { field: 'concealment', message: 'must list at most 20 (as a national node takes them)', value: 5000 },
    ]);
    const rows = Array.from({ length: MAX_ANNUAL_ROWS + 1 }, () => ({}));
    expect(
      checkAnnualReturn(
        { country: 'KZ', year: 2025, returnId: annualReturnId('KZ', 2025), version: 1, rows },
        'KZ',
        now,
      ).map((e) => e.field),
    ).to.deep.equal(['rows']);
  });
  it('refuses a seizure or report time before 1970 or in the future, naming the field, the time and the rule, as a date would not hold it', () => {
    const now = Date.UTC(2026, 11, 6);
    const report = (over: Record<string, unknown>) => ({
      country: 'KZ',
      seizedAt: now - 86_400_000,
      reportedAt: now,
      version: 1,
      drugs: [{ substance: 'heroin', quantity: 1, quantityKg: 1 }],
      ...over,
    });
    expect(checkSeizureReport(report({}), 'KZ', now)).to.deep.equal([]);
    // The first instant a national node takes, and the clocks' five minutes of skew.
    expect(
      checkSeizureReport(report({ seizedAt: Date.UTC(1970, 0, 1), reportedAt: now + 5 * 60000 }), 'KZ', now),
    ).to.deep.equal([]);
    // Beyond what a date holds, stored as 1970-01-01 before this check.
    expect(checkSeizureReport(report({ seizedAt: -9e15, reportedAt: 9e15 }), 'KZ', now)).to.deep.equal([
      {
        field: 'seizedAt',
        message: 'must not be before 1970-01-01, as a national node takes it (got -9000000000000000)',
        value: -9e15,
      },
      {
        field: 'reportedAt',
        message:
          "9000000000000000 is ahead of the hub's clock (2026-12-06T00:00:00.000Z) by more than the 5 minutes allowed for clock skew: set the node's clock right",
        value: 9e15,
      },
    ]);
    expect(
      checkSeizureReport(
        report({ seizedAt: now + 5 * 60000 + 1, reportedAt: Date.UTC(1969, 11, 31) }),
        'KZ',
        now,
      ),
    ).to.deep.equal([
      {
        field: 'seizedAt',
        message:
          "2026-12-06T00:05:00.001Z is ahead of the hub's clock (2026-12-06T00:00:00.000Z) by more than the 5 minutes allowed for clock skew: check the seizure's date, time and UTC offset, and the node's clock",
        value: now + 5 * 60000 + 1,
      },
      {
        field: 'reportedAt',
        message: 'must not be before 1970-01-01, as a national node takes it (got 1969-12-31T00:00:00.000Z)',
        value: Date.UTC(1969, 11, 31),
      },
    ]);
    const annual = (reportedAt: number) => ({
      country: 'KZ',
      year: 2025,
      returnId: annualReturnId('KZ', 2025),
      version: 1,
      reportedAt,
      rows: [{ drugName: 'Heroin', kilograms: 1 }],
    });
    expect(checkAnnualReturn(annual(now), 'KZ', now)).to.deep.equal([]);
    expect(checkAnnualReturn(annual(-9e15), 'KZ', now)).to.deep.equal([
      {
        field: 'reportedAt',
        message: 'must not be before 1970-01-01, as a national node takes it (got -9000000000000000)',
        value: -9e15,
      },
    ]);
    expect(checkAnnualReturn(annual(now + 3_600_000), 'KZ', now).map((e) => e.message)).to.deep.equal([
      "2026-12-06T01:00:00.000Z is ahead of the hub's clock (2026-12-06T00:00:00.000Z) by more than the 5 minutes allowed for clock skew: set the node's clock right",
    ]);
  });
  it("refuses an annual return under another id than its country's and year's, which another country could take", () => {
    const now = Date.UTC(2026, 11, 6);
    const kz2025 = annualReturnId('KZ', 2025);
    const annual = (country: string, returnId: string) => ({
      country,
      year: 2025,
      returnId,
      version: 1,
      reportedAt: now,
      rows: [{ drugName: 'Heroin', kilograms: 1 }],
    });
    expect(checkAnnualReturn(annual('KZ', kz2025), 'KZ', now)).to.deep.equal([]);
    // UZ sending its own return under KZ's id for 2025, or under any id of its choosing.
    for (const taken of [kz2025, '7d0c3c9e-1f7a-4b52-9c1e-0a8c3b1f2e44'])
      expect(checkAnnualReturn(annual('UZ', taken), 'UZ', now)).to.deep.equal([
        {
          field: 'returnId',
          message: `must be ${annualReturnId('UZ', 2025)}, the id of UZ's return for 2025 (one return per country and year)`,
          value: taken,
        },
      ]);
  });
});
