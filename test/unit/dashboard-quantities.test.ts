// Unit tier: the dashboard shows kilograms as they are (services/query-api/public/i18n.js fmtKg and its users): a
// quantity counted, not weighed (plants: the API gives its quantityKg as null, and sums it as 0 kg) is never shown as
// 0 kg, a few grams are not rounded to 0, and a drug line's unit is named in the reader's language. The DOM is a
// stand-in; the reference data is the query API's own.
import { expect } from 'chai';
import { dashboardModule, loadDashboardReference, unloadDashboardReference } from './dashboard-support';
import { installDom, type StandInElement } from './dom-stand-in';

interface I18n {
  setLang(lang: string): void;
  t(key: string): string;
  fmtKg(kg: unknown): string;
  fmtKgSum(kg: number, count: number): string;
  kgLabel(kg: number, count?: number): string;
}
type Row = Record<string, unknown>;

/** A search result (GET /v1/seizures item) with these drug lines. */
function result(drugs: Row[], totalKg: number): Row {
  return {
    reportId: '0b4e5c8e-0000-4000-8000-000000000001',
    seizedAt: '2026-01-10T00:00:00Z',
    country: 'KZ',
    substances: drugs.map((d) => d.substance),
    totalKg,
    handling: { tlp: 'AMBER', releasableTo: [], evaluation: null },
    report: { drugs, route: [] },
  };
}

const PLANTS = { substance: 'cannabis-herb', quantity: 12, unit: 'plants', quantityKg: null };
const GRAMS = { substance: 'heroin', quantity: 4, unit: 'g', quantityKg: 0.004 };

describe('dashboard quantities', () => {
  let dom: ReturnType<typeof installDom>;
  let i18n: I18n;
  before(async () => {
    dom = installDom();
    i18n = await dashboardModule<I18n>('i18n.js');
    await loadDashboardReference();
  });
  beforeEach(() => i18n.setLang('en'));
  after(async () => {
    await unloadDashboardReference();
    dom.restore();
  });

  it('says a quantity without kilograms is not weighed, and shows grams below 1 kg to their significant digits', () => {
    expect(i18n.fmtKg(null)).to.equal('not weighed');
    expect(i18n.fmtKg(undefined)).to.not.equal('0');
    expect(i18n.fmtKg(0.004)).to.equal('0.004');
    expect(i18n.fmtKg(0.0049)).to.equal('0.0049');
    expect(i18n.fmtKg(0.000001)).to.equal('0.000001');
    expect(i18n.fmtKg(46)).to.equal('46');
    expect(i18n.fmtKg(1.5)).to.equal('1.5');
    i18n.setLang('ru');
    expect(i18n.fmtKg(null)).to.equal('не взвешено');
    expect(i18n.fmtKg(0.004)).to.equal('0,004');
  });

  it('reads a sum of 0 kg over some seizure entries as counted, not weighed, and an empty month as 0', () => {
    expect(i18n.fmtKgSum(0, 3)).to.equal('not weighed');
    expect(i18n.fmtKgSum(0, 0)).to.equal('0');
    expect(i18n.kgLabel(0.0049, 1)).to.equal('0.0049 kg');
    expect(i18n.kgLabel(0, 2)).to.equal('not weighed');
  });

  it('flags a search result whose quantities include counted ones, so that its total is not read as 0 kg', async () => {
    const search = await dashboardModule<{
      resultRow(item: Row): StandInElement;
      reportQuantity(item: Row): { kg: number | null; counted: { unit: string; quantity: number }[] };
    }>('search.js');
    const cell = (item: Row) => search.resultRow(item).querySelector('td[data-col="totalKg"]')!;

    const plantsOnly = cell(result([PLANTS], 0));
    expect(plantsOnly.childNodes[0]!.textContent).to.equal('not weighed');
    expect(plantsOnly.getAttribute('data-counted')).to.equal('true');
    expect(plantsOnly.querySelector('.sub')!.textContent).to.equal('plants: 12');

    const mixed = cell(result([GRAMS, PLANTS], 0.004));
    expect(mixed.childNodes[0]!.textContent).to.equal('0.004');
    expect(mixed.querySelector('.sub')!.textContent).to.equal('+ plants: 12 (counted, not weighed)');

    const weighed = cell(result([GRAMS, { ...GRAMS, quantity: 900, quantityKg: 0.9 }], 0.904));
    expect(weighed.textContent).to.equal('0.904');
    expect(weighed.hasAttribute('data-counted')).to.equal(false);
    expect(search.reportQuantity(result([PLANTS, PLANTS], 0))).to.deep.equal({
      kg: null,
      counted: [{ unit: 'plants', quantity: 24 }],
    });
  });

  it('labels the charts and the route legs of counted seizures as not weighed, and of grams in grams', async () => {
    const { renderBarChart } = await dashboardModule<{
      renderBarChart(c: unknown, o: { rows: Row[]; labelledBy: string }): void;
    }>('charts.js');
    const box = dom.document.createElement('div');
    renderBarChart(box, {
      labelledBy: 'x',
      rows: [
        { key: 'cannabis-herb', label: 'Cannabis herb', quantityKg: 0, count: 2 },
        { key: 'heroin', label: 'Heroin', quantityKg: 0.0049, count: 1 },
      ],
    });
    const titles = box.querySelectorAll('rect.bar title').map((x) => x.textContent);
    expect(titles).to.have.members(['Cannabis herb: not weighed (2)', 'Heroin: 0.0049 kg (1)']);
    const cells = box
      .querySelectorAll('details tbody tr')
      .map((tr) => tr.querySelectorAll('td')[0]!.textContent);
    expect(cells).to.have.members(['not weighed', '0.0049']);

    const { renderMap } = await dashboardModule<{ renderMap(c: unknown, legs: Row[]): void }>('map.js');
    const map = dom.document.createElement('div');
    renderMap(map, [
      {
        from: 'AF',
        to: 'TJ',
        count: 1,
        quantityKg: 0,
        substances: ['cannabis-herb'],
        lastSeenAt: '2026-01-01',
      },
      { from: 'TJ', to: 'KZ', count: 1, quantityKg: 0.004, substances: ['heroin'], lastSeenAt: '2026-01-01' },
    ]);
    const labels = map.querySelectorAll('path.flow').map((p) => p.getAttribute('aria-label'));
    expect(labels).to.have.members([
      'Afghanistan → Tajikistan: 1 seizures (per substance), not weighed (Cannabis herb (marijuana))',
      'Tajikistan → Kazakhstan: 1 seizures (per substance), 0.004 kg (Heroin)',
    ]);
  });
});
