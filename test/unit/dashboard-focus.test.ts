// Unit tier: a live refresh draws the map and the alerts anew, and the keyboard focus stays on the element its reader
// was on (services/query-api/public/focus.js keepFocus), found again by its `data-focus-key` (map.js, alerts.js):
// neither lost when what a refresh changes changes (a flow's count), nor moved to another element that looks the same
// (a link to a report that several alerts name). The DOM is a stand-in.
import { expect } from 'chai';
import { dashboardModule, loadDashboardReference, unloadDashboardReference } from './dashboard-support';
import { installDom, type StandInElement } from './dom-stand-in';

type Row = Record<string, unknown>;
type KeepFocus = (container: StandInElement, render: () => void, o: { fallback: StandInElement }) => void;

const leg = (from: string, to: string, count: number, quantityKg: number) => ({
  from,
  to,
  count,
  quantityKg,
  substances: ['heroin'],
  lastSeenAt: '2026-01-01',
});
const REPORT = '11111111-1111-4111-8111-111111111111';
const alert = (alertId: string, rule: string, reportIds: string[]) => ({
  alertId,
  rule,
  identifierKind: 'plate',
  countries: ['KZ', 'UZ'],
  score: 0.5,
  reason: 'x',
  createdAt: '2026-01-10T00:00:00Z',
  matched: reportIds.map((reportId, i) => ({
    reportId,
    country: i ? 'UZ' : 'KZ',
    version: 1,
    evaluation: null,
  })),
});

describe('dashboard focus across a live refresh', () => {
  let dom: ReturnType<typeof installDom>;
  let keepFocus: KeepFocus;
  before(async () => {
    dom = installDom();
    (await dashboardModule<{ setLang(l: string): void }>('i18n.js')).setLang('en');
    await loadDashboardReference();
    ({ keepFocus } = await dashboardModule<{ keepFocus: KeepFocus }>('focus.js'));
  });
  after(async () => {
    await unloadDashboardReference();
    dom.restore();
  });

  /** A view's heading (the fallback) and a panel under it. */
  const panel = (view: string) => {
    const heading = dom.document.createElement('h2');
    heading.setAttribute('id', `${view}-h`);
    heading.setAttribute('tabindex', '-1');
    const box = dom.document.createElement('div');
    dom.document.body.append(heading, box);
    return { heading, box };
  };

  it('keeps the focus on a map flow when a new seizure on its leg changes its count', async () => {
    const { renderMap } = await dashboardModule<{ renderMap(c: unknown, legs: Row[]): void }>('map.js');
    const { heading, box } = panel('overview');
    const flow = (from: string) => box.querySelector(`path[data-from="${from}"]`)!;
    renderMap(box, [leg('AF', 'TJ', 1, 6), leg('TJ', 'KZ', 1, 4)]);
    flow('TJ').focus();
    const before = dom.document.activeElement;
    // The leg TJ→KZ gets a seizure (count 1 → 2, now the heaviest), and a new leg is drawn before it.
    keepFocus(
      box,
      () => renderMap(box, [leg('CN', 'KZ', 1, 20), leg('AF', 'TJ', 1, 6), leg('TJ', 'KZ', 2, 9)]),
      {
        fallback: heading,
      },
    );
    expect(dom.document.activeElement, 'a flow drawn anew').to.not.equal(before);
    expect(dom.document.activeElement, 'the flow TJ→KZ, not the heading').to.equal(flow('TJ'));
    expect(flow('TJ').getAttribute('data-count')).to.equal('2');
  });

  it('keeps the focus on the link in the alert it was in, though an earlier alert names the same report', async () => {
    const { renderAlerts } = await dashboardModule<{ renderAlerts(c: unknown, a: Row[]): void }>('alerts.js');
    const { heading, box } = panel('alerts');
    const list = [
      alert('A1', 'shared_identifier', [REPORT, '22222222-2222-4222-8222-222222222222']),
      alert('A2', 'route_and_concealment', [REPORT, '33333333-3333-4333-8333-333333333333']),
    ];
    const link = (alertId: string, i: number) => box.querySelectorAll(`li[data-alert-id="${alertId}"] a`)[i]!;
    renderAlerts(box, list);
    link('A2', 0).focus();
    keepFocus(box, () => renderAlerts(box, list), { fallback: heading });
    expect(dom.document.activeElement, 'the link to the report in A2, not in A1').to.equal(link('A2', 0));
    // The other link of the same alert is told apart too.
    link('A2', 1).focus();
    keepFocus(box, () => renderAlerts(box, list), { fallback: heading });
    expect(dom.document.activeElement).to.equal(link('A2', 1));
  });
});
