import { expect } from 'chai';
import {
  annualReturnFromJson,
  informationRequestFromJson,
  informationResponseFromJson,
  loadVocabularies,
  readReason,
  routeReportFromJson,
  seizureReportFromJson,
  suggestCountries,
} from '@hub/domain';
import {
  DEFAULT_TEXT_MAX,
  RELEASABLE_ENTRY_MAX,
  RELEASABLE_MAX,
  TEXT_MAX,
  textOverLimits,
} from '@hub/schemas';
import { ctx, minimal, refusals } from './readers';

describe('text limits: one table for the node that takes a field and the coordinator that receives it', () => {
  // Free-text fields whose input path is the path they are sent under (vocabulary fields are sent as their codes).
  /** A copy of `obj` with the text at `path` (`[]`: the list's first item, made when missing). */
  const set = (obj: Record<string, unknown>, path: string, text: string): Record<string, unknown> => {
    const copy = structuredClone(obj);
    const keys = path.replace(/\[\]/g, '.0').split('.');
    let at: Record<string, unknown> = copy;
    keys.slice(0, -1).forEach((k, i) => {
      at[k] ??= /^\d+$/.test(keys[i + 1]!) ? [{}] : {};
      at = at[k] as Record<string, unknown>;
    });
    at[keys.at(-1)!] = text;
    return copy;
  };
  const links = { links: [{ kind: 'case', ref: 'KZ-1' }] };
  const seizureFields = [
    'place.name',
    'place.city',
    'place.adminRegion',
    'place.borderCrossingPoint',
    'agencyName',
    'caseReference',
    'conveyance.vehicle',
    'conveyance.identifiers[].value',
    'route[].place',
    'links[].kind',
    'links[].ref',
    'notes',
    'source',
  ] as const;

  for (const path of seizureFields) {
    it(`SeizureReport ${path}: taken at its limit, refused one character over, by the node and the coordinator`, () => {
      const max = TEXT_MAX.SeizureReport[path];
      const named = path.replace(/\[\]/g, '[0]');
      const at = set({ ...minimal, ...links }, path, 'x'.repeat(max));
      const record = seizureReportFromJson(at, ctx).value as unknown as Record<string, unknown>;
      expect(textOverLimits('SeizureReport', record)).to.deep.equal([]);
      const over = set({ ...minimal, ...links }, path, 'x'.repeat(max + 1));
      expect(refusals(() => seizureReportFromJson(over, ctx))).to.deep.equal([
        `${named}: must be at most ${max} characters (got ${max + 1})`,
      ]);
      // As a node writing straight to its topic would send it: the coordinator names the same field and limit.
      expect(textOverLimits('SeizureReport', set(record, path, 'x'.repeat(max + 1)))).to.deep.equal([
        { field: named, message: `must be at most ${max} characters (got ${max + 1})` },
      ]);
    });
  }

  it('the other messages a node writes: each long text taken at its limit and refused over it', () => {
    const handling = { tlp: 'AMBER' as const, releasableTo: ['UZ'] };
    const cases: [string, string, number, (text: string) => unknown][] = [
      [
        'InformationRequest',
        'question',
        TEXT_MAX.InformationRequest.question,
        (question) =>
          informationRequestFromJson({ to: 'UZ', purpose: 'case 118', question, handling }, ctx).value,
      ],
      [
        'InformationRequest',
        'purpose',
        TEXT_MAX.InformationRequest.purpose,
        (purpose) =>
          informationRequestFromJson({ to: 'UZ', purpose, question: 'known?', handling }, ctx).value,
      ],
      [
        'InformationResponse',
        'answer',
        TEXT_MAX.InformationResponse.answer,
        (answer) =>
          informationResponseFromJson(
            { answer },
            {
              requestId: '6c1f3f1e-8f0e-4d1e-9a43-5b1f1a2b3c4d',
              from: 'UZ',
              handling,
            },
            ctx,
          ).value,
      ],
      [
        'TraffickingRoute',
        'description',
        TEXT_MAX.TraffickingRoute.description,
        (description) =>
          routeReportFromJson({ legs: [{ from: 'AF', to: 'TJ' }], handling, description }, ctx).value,
      ],
      [
        'AnnualSeizureReturn',
        'rows[0].drugName',
        TEXT_MAX.AnnualSeizureReturn['rows[].drugName'],
        (drugName) =>
          annualReturnFromJson(
            { year: 2025, rows: [{ drugName, drugGroup: 'opioids', kilograms: 1 }], handling },
            ctx,
          ).value,
      ],
    ];
    for (const [type, field, max, read] of cases) {
      const record = read('x'.repeat(max)) as Record<string, unknown>;
      expect(textOverLimits(type, record), `${type} ${field} at ${max}`).to.deep.equal([]);
      expect(
        refusals(() => read('x'.repeat(max + 1))),
        `${type} ${field} over`,
      ).to.include(`${field}: must be at most ${max} characters (got ${max + 1})`);
    }
  });

  it("a retraction's and a renewal's reason: required, trimmed, refused over its limit rather than cut", () => {
    const max = TEXT_MAX.SeizureRetraction.reason;
    expect(readReason({ reason: `  ${'r'.repeat(max)}  ` }, max, 'say why')).to.equal('r'.repeat(max));
    expect(refusals(() => readReason({ reason: '  ' }, max, 'say why'))).to.deep.equal([
      'reason: is required: say why',
    ]);
    expect(refusals(() => readReason(undefined, max, 'say why'))).to.deep.equal([
      'reason: is required: say why',
    ]);
    expect(refusals(() => readReason({ reason: 'r'.repeat(max + 1) }, max, 'say why'))).to.deep.equal([
      `reason: must be at most ${max} characters (got ${max + 1})`,
    ]);
  });

  it('refuses a reason of another type as such, with its value, rather than as missing', () => {
    const max = TEXT_MAX.RetentionRenewal.reason;
    const refusal = (body: unknown) => {
      try {
        readReason(body, max, 'say why');
      } catch (err) {
        return (err as { errors: unknown[] }).errors;
      }
      return [];
    };
    expect(refusal({ reason: 5 })).to.deep.equal([
      { field: 'reason', message: 'must be a string, got number', value: 5 },
    ]);
    expect(refusal({ reason: true })).to.deep.equal([
      { field: 'reason', message: 'must be a string, got boolean', value: true },
    ]);
    expect(refusals(() => readReason({ reason: ['x'] }, max, 'say why'))).to.deep.equal([
      'reason: must be a string, got a list',
    ]);
    expect(refusals(() => readReason({ reason: { text: 'x' } }, max, 'say why'))).to.deep.equal([
      'reason: must be a string, got object',
    ]);
    // null is no reason given.
    expect(refusals(() => readReason({ reason: null }, max, 'say why'))).to.deep.equal([
      'reason: is required: say why',
    ]);
  });

  it('holds a field the table does not list to the default, skips fields checked otherwise, and counts past 20', () => {
    expect(textOverLimits('SeizureReport', { reportingChannel: 'c'.repeat(DEFAULT_TEXT_MAX) })).to.deep.equal(
      [],
    );
    expect(
      textOverLimits('SeizureReport', { reportingChannel: 'c'.repeat(DEFAULT_TEXT_MAX + 1) }),
    ).to.deep.equal([
      { field: 'reportingChannel', message: `must be at most ${DEFAULT_TEXT_MAX} characters (got 501)` },
    ]);
    const id = 'x'.repeat(900_000);
    expect(textOverLimits('SeizureReport', { reportId: id }, new Set(['reportId']))).to.deep.equal([]);
    expect(textOverLimits('SeizureReport', { reportId: id })).to.have.length(1);
    // Bytes (an Avro `bytes` field) are not text.
    expect(textOverLimits('SeizureReport', { blob: Buffer.alloc(100_000) })).to.deep.equal([]);
    const many = textOverLimits('SeizureReport', {
      links: Array.from({ length: 25 }, () => ({ kind: 'case', ref: 'r'.repeat(201) })),
    });
    expect(many).to.have.length(21);
    expect(many[19]).to.deep.equal({
      field: 'links[19].ref',
      message: 'must be at most 200 characters (got 201)',
    });
    expect(many[20]).to.deep.equal({ field: '(text)', message: 'and 5 more fields over their limits' });
    // A type no node writes (the coordination node's own records) is not the table's to judge.
    expect(textOverLimits('RequestNotice', { note: 'n'.repeat(10_000) })).to.deep.equal([]);
  });

  it('bounds a releasable-to list and its entries before looking for suggestions, and still suggests for a typo', () => {
    const handled = (releasableTo: unknown[]) =>
      refusals(() => seizureReportFromJson({ ...minimal, handling: { tlp: 'AMBER', releasableTo } }, ctx));
    // Each unknown name is compared with every country's names: 2,000 of them once held a node for 8 s.
    expect(handled(Array.from({ length: RELEASABLE_MAX + 1 }, () => 'Kazakstan'))).to.deep.equal([
      `handling.releasableTo: must list at most ${RELEASABLE_MAX} countries or regions (got ${RELEASABLE_MAX + 1})`,
    ]);
    expect(handled(['UZ', 'x'.repeat(40_000)])).to.deep.equal([
      `handling.releasableTo[1]: must be an ISO country code, a country name or a region id (at most ${RELEASABLE_ENTRY_MAX} characters, got 40000)`,
    ]);
    expect(handled(['Kazakstan'])).to.deep.equal([]);
    expect(handled(['Kazahstann'])[0]).to.match(
      /^handling\.releasableTo\[0\]: unknown country.*did you mean KZ/,
    );
    // A long unknown value has no near term (each is shorter than half of it), and is not compared with each.
    expect(suggestCountries('Kazakhstan'.repeat(1000))).to.deep.equal([]);
    expect(suggestCountries('Uzbekstan')[0]).to.equal('UZ');
    expect(loadVocabularies().substances.suggest('heroine'.repeat(1000))).to.deep.equal([]);
    expect(loadVocabularies().substances.suggest('heroine')[0]).to.equal('heroin');
  });
});
