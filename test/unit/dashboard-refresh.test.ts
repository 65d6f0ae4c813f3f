// Unit tier: a live refresh (every 30 s) draws the charts and the map anew without closing the data table their reader
// opened (services/query-api/public/dom.js refill and its users); after "Show older alerts" or "Older entries" the
// focus goes on from the new button, or the first item added (dom.js focusAfterPaging). The DOM is a stand-in.
import { expect } from 'chai';
import { dashboardModule, loadDashboardReference, unloadDashboardReference } from './dashboard-support';
import { installDom, type StandInElement } from './dom-stand-in';

type Row = Record<string, unknown>;
interface Charts {
  renderBarChart(c: unknown, o: { rows: Row[]; labelledBy: string }): void;
  renderLineChart(c: unknown, o: { series: { label: string; rows: Row[] }[]; labelledBy: string }): void;
}

const bars = [{ key: 'heroin', label: 'Heroin', quantityKg: 6, count: 2 }];
const series = [{ label: 'All seizures', rows: [{ key: '2026-01', quantityKg: 6, count: 2 }] }];
const legs = [
  { from: 'AF', to: 'TJ', count: 1, quantityKg: 6, substances: ['heroin'], lastSeenAt: '2026-01-01' },
  { from: 'TJ', to: 'KZ', count: 1, quantityKg: 4, substances: ['heroin'], lastSeenAt: '2026-01-01' },
];
const alert = (n: number) => ({
  alertId: `alert-${n}`,
  rule: 'shared_identifier',
  identifierKind: 'plate',
  matched: [
    { reportId: `r-${n}-kz`, country: 'KZ', version: 1, evaluation: null },
    { reportId: `r-${n}-uz`, country: 'UZ', version: 1, evaluation: null },
  ],
  countries: ['KZ', 'UZ'],
  score: 0.5,
  reason: '2 reports name the same plate identifier',
  createdAt: '2026-01-10T00:00:00Z',
});

describe('dashboard refresh', () => {
  let dom: ReturnType<typeof installDom>;
  before(async () => {
    dom = installDom();
    (await dashboardModule<{ setLang(l: string): void }>('i18n.js')).setLang('en');
    await loadDashboardReference();
  });
  after(async () => {
    await unloadDashboardReference();
    dom.restore();
  });

  const box = () => {
    const el = dom.document.createElement('div');
    dom.document.body.append(el);
    return el;
  };
  const details = (el: StandInElement) => el.querySelector('details')!;

  it('keeps a chart’s data table open when the chart is drawn anew', async () => {
    const { renderBarChart, renderLineChart } = await dashboardModule<Charts>('charts.js');
    const drug = box();
    const time = box();
    renderBarChart(drug, { rows: bars, labelledBy: 'x' });
    renderLineChart(time, { series, labelledBy: 'y' });
    expect(details(drug).open).to.equal(false);
    details(drug).open = true;
    renderBarChart(drug, { rows: bars, labelledBy: 'x' });
    renderLineChart(time, { series, labelledBy: 'y' });
    expect(details(drug).open, 'opened: open again').to.equal(true);
    expect(details(time).open, 'never opened: closed').to.equal(false);
    details(drug).open = false;
    renderBarChart(drug, { rows: bars, labelledBy: 'x' });
    expect(details(drug).open, 'closed again: stays closed').to.equal(false);
  });

  it('keeps the map’s table of legs open when the map is drawn anew', async () => {
    const { renderMap } = await dashboardModule<{ renderMap(c: unknown, legs: Row[]): void }>('map.js');
    const map = box();
    renderMap(map, legs);
    expect(details(map).open).to.equal(false);
    details(map).open = true;
    renderMap(map, legs);
    expect(details(map).open).to.equal(true);
  });

  it('moves the focus after an older page of alerts to the button drawn anew, or to the first alert added', async () => {
    const { renderAlerts } = await dashboardModule<{
      renderAlerts(c: unknown, alerts: Row[], more?: () => Promise<void>): void;
    }>('alerts.js');
    const list = box();
    let shown = [alert(1)];
    const pages = [[alert(2)], [alert(3)]];
    // As the dashboard's loadOlderAlerts does: fetch, then draw the list again (with a button while more are left).
    const more = async () => {
      shown = [...shown, ...pages.shift()!];
      renderAlerts(list, shown, pages.length ? more : undefined);
    };
    renderAlerts(list, shown, more);
    const first = dom.document.getElementById('alerts-older')!;
    first.focus();
    await first.click();
    const second = dom.document.getElementById('alerts-older')!;
    expect(second).to.not.equal(first);
    expect(dom.document.activeElement).to.equal(second);
    await second.click();
    expect(dom.document.getElementById('alerts-older')).to.equal(null);
    const active = dom.document.activeElement as StandInElement;
    expect(active.getAttribute('data-alert-id')).to.equal('alert-3');
    expect(active.getAttribute('tabindex')).to.equal('-1');
  });

  it('moves the focus after older audit entries to the button drawn anew, or to the first entry added', async () => {
    const { createAudit } = await dashboardModule<{
      createAudit(o: unknown): { load(): Promise<void> };
    }>('audit.js');
    for (const id of ['nav-audit', 'audit-entries']) box().setAttribute('id', id);
    const entry = (seq: number) => ({ seq, at: '2026-01-10T00:00:00Z', action: 'read', count: 1, query: {} });
    const pages = [
      { entries: [entry(3)], next: 'n1', valid: true, checked: 3 },
      { entries: [entry(2)], next: 'n2', intact: true },
      { entries: [entry(1)], next: null, intact: true },
    ];
    const audit = createAudit({
      api: { get: async () => pages.shift() },
      claims: () => ({ role: 'auditor' }),
      report: (err: unknown) => {
        throw err;
      },
    });
    await audit.load();
    const settle = () => new Promise((r) => setTimeout(r, 0));
    const first = dom.document.getElementById('audit-older')!;
    await first.click();
    await settle();
    const second = dom.document.getElementById('audit-older')!;
    expect(second).to.not.equal(first);
    expect(dom.document.activeElement).to.equal(second);
    await second.click();
    await settle();
    expect(dom.document.getElementById('audit-older')).to.equal(null);
    expect((dom.document.activeElement as StandInElement).getAttribute('data-seq')).to.equal('1');
  });
});
