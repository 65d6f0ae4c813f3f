// Unit tier: the dashboard's record view (services/query-api/public/record.js) shows a drug line counted, not weighed
// (plants: quantityKg null) as such and not as 0 kg, names each line's unit in the reader's language (the units
// vocabulary the query API serves), and names every route role, in English and Russian. The DOM is a stand-in; the
// reference data is the query API's own.
import { expect } from 'chai';
import { dashboardModule, loadDashboardReference, unloadDashboardReference } from './dashboard-support';
import { installDom, type StandInElement } from './dom-stand-in';

const PLANTS = { substance: 'cannabis-herb', quantity: 12, unit: 'plants', quantityKg: null };
const GRAMS = { substance: 'heroin', quantity: 4, unit: 'g', quantityKg: 0.004 };

function record(report: Record<string, unknown>) {
  return {
    reportId: '0b4e5c8e-0000-4000-8000-000000000001',
    version: 1,
    status: 'active',
    country: 'KZ',
    handling: { tlp: 'AMBER', releasableTo: [], evaluation: null },
    history: [],
    report,
  };
}

describe('dashboard record', () => {
  let dom: ReturnType<typeof installDom>;
  let setLang: (l: string) => void;
  let renderRecord: (container: unknown, rec: unknown) => void;
  before(async () => {
    dom = installDom();
    ({ setLang } = await dashboardModule<{ setLang(l: string): void }>('i18n.js'));
    ({ renderRecord } = await dashboardModule<{ renderRecord(c: unknown, r: unknown): void }>('record.js'));
    await loadDashboardReference();
  });
  beforeEach(() => setLang('en'));
  after(async () => {
    await unloadDashboardReference();
    dom.restore();
  });

  const drugRows = (box: StandInElement) =>
    box
      .querySelectorAll('.record-grid table tbody tr')
      .map((tr) => tr.querySelectorAll('td').map((td) => td.textContent));
  const field = (box: StandInElement, name: string) =>
    box.querySelector(`dd[data-field="${name}"]`)?.textContent;

  it('shows plants as counted, not as 0 kg, with the unit named in the reader’s language', () => {
    const box = dom.document.createElement('div');
    renderRecord(box, record({ drugs: [PLANTS, GRAMS] }));
    const [plants, grams] = drugRows(box);
    // drug, quantity, unit, kg
    expect(plants!.slice(1, 4)).to.deep.equal(['12', 'plants', 'not weighed']);
    expect(grams!.slice(1, 4)).to.deep.equal(['4', 'gram', '0.004']);
    setLang('ru');
    renderRecord(box, record({ drugs: [PLANTS, GRAMS] }));
    expect(drugRows(box)[0]!.slice(1, 4)).to.deep.equal(['12', 'растения', 'не взвешено']);
    expect(drugRows(box)[1]!.slice(1, 4)).to.deep.equal(['4', 'грамм', '0,004']);
  });

  it('names every role of a route, origin as происхождение in Russian', () => {
    const route = ['origin', 'departure', 'transit', 'seizure', 'destination', 'unknown'].map((role, i) => ({
      country: ['AF', 'TJ', 'UZ', 'KZ', 'RU', 'BY'][i],
      role,
    }));
    const box = dom.document.createElement('div');
    renderRecord(box, record({ route }));
    expect(field(box, 'route')).to.equal(
      'Afghanistan (origin) → Tajikistan (departure) → Uzbekistan (transit) → Kazakhstan (place of seizure) → ' +
        'Russian Federation (destination) → Belarus (role not given)',
    );
    setLang('ru');
    renderRecord(box, record({ route }));
    expect(field(box, 'route')).to.match(/^Афганистан \(происхождение\) → Таджикистан \(отправление\) → /);
    expect(field(box, 'route')).to.contain('(место изъятия)');
    expect(field(box, 'route')).to.contain('(роль не указана)');
  });
});
