// Unit tier: the dashboard words an alert's reason in the reader's language (services/query-api/public/alerts.js
// reasonText), from its rule, identifier kind and the numbers of the reason the hub wrote; the reasons are made here
// by the hub's own functions (the coordinator's sentence, the notes of reports withheld and of older seizures), so
// that a change of their wording shows here; a reason it does not know is shown as the hub wrote it.
import { expect } from 'chai';
import { alertReason } from '@hub/coordinator/correlate';
import { withheldReason } from '@hub/store';
import { dashboardModule, loadDashboardReference, unloadDashboardReference } from './dashboard-support';
import { installDom } from './dom-stand-in';

interface Alerts {
  reasonText(a: { rule: string; identifierKind?: string | null; reason: string }): string;
}
type Rule = Parameters<typeof alertReason>[0];

describe('dashboard alert reasons', () => {
  let dom: ReturnType<typeof installDom>;
  let alerts: Alerts;
  let setLang: (l: string) => void;
  before(async () => {
    dom = installDom();
    ({ setLang } = await dashboardModule<{ setLang(l: string): void }>('i18n.js'));
    alerts = await dashboardModule<Alerts>('alerts.js');
    await loadDashboardReference();
  });
  after(async () => {
    await unloadDashboardReference();
    dom.restore();
  });

  const older = (reason: string, n: number) => `${reason}; ${n} more, of older seizures, are not named`;

  it('words every reason the hub writes in Russian, from its rule, identifier kind and numbers', () => {
    setLang('ru');
    const cases: [Rule, string | null, string, string][] = [
      [
        'shared_identifier',
        'plate',
        withheldReason(alertReason('shared_identifier', 'plate', 3), 1, false),
        'Сообщений с одним и тем же идентификатором (Государственный номер): 3; скрыто режимом обращения (вам недоступны): 1',
      ],
      [
        'shared_identifier',
        null,
        alertReason('shared_identifier', null, 2),
        'Сообщений с одним и тем же идентификатором транспорта: 2',
      ],
      [
        'linked_case',
        'case',
        older(withheldReason(alertReason('linked_case', 'case', 4), 2, true), 5),
        'Сообщений, связанных с одним делом: 4; совпадают с вашими, но вам недоступны: 2; не названо более ранних изъятий: 5',
      ],
      [
        'linked_case',
        'operation',
        alertReason('linked_case', 'operation', 2),
        'Сообщений, связанных одной ссылкой (operation): 2',
      ],
      [
        'route_and_concealment',
        null,
        withheldReason(older(alertReason('route_and_concealment', null, 2), 1), 3, false),
        'Сообщений за 30 сут. с тем же маршрутом и способом сокрытия: 2; скрыто режимом обращения (вам недоступны): 3; не названо более ранних изъятий: 1',
      ],
    ];
    for (const [rule, identifierKind, reason, ru] of cases)
      expect(alerts.reasonText({ rule, identifierKind, reason }), reason).to.equal(ru);
  });

  it('shows a reason it does not know, or of another rule or identifier kind, as the hub wrote it', () => {
    setLang('ru');
    const known = alertReason('shared_identifier', 'plate', 3);
    for (const a of [
      { rule: 'shared_identifier', identifierKind: 'plate', reason: 'the same truck plate in two reports' },
      { rule: 'shared_identifier', identifierKind: 'container', reason: known },
      { rule: 'linked_case', identifierKind: 'plate', reason: known },
      { rule: 'shared_identifier', identifierKind: 'plate', reason: `${known}; and something new` },
      { rule: 'some_new_rule', identifierKind: null, reason: '2 reports share something' },
    ])
      expect(alerts.reasonText(a), a.reason).to.equal(a.reason);
  });

  it('shows the alert with its reason so worded', async () => {
    setLang('ru');
    const { renderAlerts } = await dashboardModule<{ renderAlerts(c: unknown, alerts: unknown[]): void }>(
      'alerts.js',
    );
    const box = dom.document.createElement('div');
    renderAlerts(box, [
      {
        alertId: 'a1',
        rule: 'shared_identifier',
        identifierKind: 'plate',
        matched: [],
        countries: ['KZ', 'UZ'],
        score: 0.9,
        reason: alertReason('shared_identifier', 'plate', 2),
        createdAt: '2026-01-10T00:00:00Z',
      },
    ]);
    expect(box.querySelector('li.alert .reason')!.textContent).to.equal(
      'Сообщений с одним и тем же идентификатором (Государственный номер): 2',
    );
  });

  it('words it in English too, for the rule’s kind', () => {
    setLang('en');
    expect(
      alerts.reasonText({
        rule: 'shared_identifier',
        identifierKind: 'plate',
        reason: withheldReason(alertReason('shared_identifier', 'plate', 3), 1, false),
      }),
    ).to.equal(
      '3 reports name the same identifier (Vehicle registration plate); withheld by their handling, which you may not read: 1',
    );
  });
});
