import { expect } from 'chai';
import { alertScore, withholdFromAlert, type AlertShape } from '../src/alerts';

/** An alert on the reports named (each `<country>-...`), evaluated as given, whole as correlation makes it. */
function alert(ids: string[], evaluations: Record<string, string> = {}): AlertShape & { alertId: string } {
  const matched = ids.map((reportId) => ({
    reportId,
    country: reportId.slice(0, 2).toUpperCase(),
    version: 1,
    evaluation: evaluations[reportId] ?? null,
  }));
  return {
    alertId: 'a-1',
    rule: 'shared_identifier',
    matched,
    countries: [...new Set(matched.map((m) => m.country))].sort(),
    score: alertScore(
      'shared_identifier',
      matched.map((m) => m.evaluation),
    ),
    reason: `${ids.length} reports name the same plate identifier; 4 more, of older seizures, are not named`,
  };
}

const shownOnly =
  (...ids: string[]) =>
  (m: { reportId: string }) =>
    ids.includes(m.reportId);

describe('store: what a copy of an alert withholds from its reader (withholdFromAlert)', () => {
  const whole = alert(['kg-1', 'kz-1', 'uz-1', 'uz-2'], {
    'kg-1': 'B2',
    'kz-1': 'A1',
    'uz-1': 'E4',
    'uz-2': 'C3',
  });

  it('gives the alert itself when every report is shown', () => {
    expect(withholdFromAlert(whole, () => true, 'KZ')).to.equal(whole);
  });

  it("leaves out the others' reports not shown, their countries and evaluations, and counts them in the reason", () => {
    const copy = withholdFromAlert(whole, shownOnly('kg-1', 'kz-1'), 'KZ');
    expect(copy.alertId).to.equal('a-1');
    expect(copy.matched.map((m) => m.reportId)).to.deep.equal(['kg-1', 'kz-1']);
    expect(copy.countries).to.deep.equal(['KG', 'KZ']);
    expect(copy.score).to.equal(alertScore('shared_identifier', ['B2', 'A1', null, null]));
    expect(copy.reason).to.equal(
      '4 reports name the same plate identifier; 2 of them, which you may not read, are withheld by their handling; 4 more, of older seizures, are not named',
    );
    // Only its own shown: the note says they match the reader's.
    expect(withholdFromAlert(whole, shownOnly('kz-1'), 'KZ').reason).to.include(
      '; 3 reports you may not read match yours;',
    );
  });

  it("keeps the reader's country when the alert names it, and names no country only withheld", () => {
    expect(withholdFromAlert(whole, shownOnly('uz-1'), 'KZ').countries).to.deep.equal(['KZ', 'UZ']);
    // A coordinator of TJ, not named: only the countries of the reports shown.
    expect(withholdFromAlert(whole, shownOnly('kg-1'), 'TJ').countries).to.deep.equal(['KG']);
  });

  it("leaves out the reader's own reports not shown (withdrawn since) without counting them or their evaluations", () => {
    const copy = withholdFromAlert(whole, shownOnly('kg-1', 'uz-1', 'uz-2'), 'KZ');
    expect(copy.matched.map((m) => m.reportId)).to.deep.equal(['kg-1', 'uz-1', 'uz-2']);
    expect(copy.countries).to.deep.equal(['KG', 'KZ', 'UZ']);
    // Nothing of another country withheld: the reason and the score stay the whole alert's.
    expect(copy.reason).to.equal(whole.reason);
    expect(copy.score).to.equal(whole.score);
    // With one of another's withheld too, its own evaluation still counts in the score, and only the other's is noted.
    const both = withholdFromAlert(whole, shownOnly('kg-1', 'uz-2'), 'KZ');
    expect(both.score).to.equal(alertScore('shared_identifier', ['B2', 'A1', null, 'C3']));
    expect(both.reason).to.include('; 1 of them, which you may not read, is withheld by their handling;');
  });
});
